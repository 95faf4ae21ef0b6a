"""The same command on the same inputs gives bit-identical scores; 1 vs 2 torch threads agree within
1e-6 (summation order in the convolutions differs, nothing else)."""
import json
import os
import subprocess
import sys

import numpy as np

BENCHMARKS = ["kriegeskorte2008.IT-rsa", "allen_surrogate.VISp_layer23-srp_ridge"]
TOLERANCE = 1e-6


def scores(home, *extra):
    env = {**os.environ, "MOUSESCORE_HOME": str(home)}
    result = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", "alexnet-random", *BENCHMARKS,
                             "--json", "--no-progress", *extra], capture_output=True, text=True, env=env,
                            timeout=900)
    assert result.returncode == 0, result.stderr
    return {s["benchmark"]: s for s in json.loads(result.stdout)}


def numbers(score):
    return [score["value"], score["error"], score["ceiling"], *score["layer_profile"].values(),
            *score["unit_scores"].values()]


def test_bit_identical_across_runs_and_close_across_thread_counts(real_data, tmp_path, fault):
    fault("same command run twice in fresh homes")
    fault("torch thread count changed from 2 to 1")
    first = scores(tmp_path / "a", "--threads", "2")
    second = scores(tmp_path / "b", "--threads", "2")
    single = scores(tmp_path / "c", "--threads", "1")
    for benchmark in BENCHMARKS:
        assert numbers(first[benchmark]) == numbers(second[benchmark])          # bit for bit
        assert first[benchmark]["best_layer"] == single[benchmark]["best_layer"]
        np.testing.assert_allclose(numbers(single[benchmark]), numbers(first[benchmark]), rtol=0, atol=TOLERANCE)
