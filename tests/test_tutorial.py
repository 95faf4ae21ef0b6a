"""The notebook tutorial (examples/tutorial.py, percent format) runs end to end and writes its outputs."""
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from mousescore import config

REPO = Path(__file__).resolve().parents[1]


def test_tutorial_runs_and_writes_its_table_and_plot(real_data, tmp_path):
    # the tutorial runs in another folder: it gets the data path as this process resolved it
    # (the README's MOUSESCORE_DATA_PATH=../shared/data is relative to the repository)
    data_path = os.pathsep.join(str(p) for p in config.settings().data_path)
    env = {**os.environ, "MOUSESCORE_HOME": str(tmp_path / "home"), "MOUSESCORE_TUTORIAL_OUT": str(tmp_path / "out"),
           "MPLBACKEND": "Agg", "MOUSESCORE_DATA_PATH": data_path}
    result = subprocess.run([sys.executable, str(REPO / "examples" / "tutorial.py")], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    plot = tmp_path / "out" / "profile.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000
    table = pd.read_csv(tmp_path / "out" / "scores.csv")
    assert sorted(set(table["model"])) == ["alexnet-random", "tinynet"] and len(table) == 16
    alexnet = table.set_index(["model", "benchmark"]).loc[("alexnet-random", "antolik2016.V1-srp_ridge")]
    assert abs(alexnet["value"] - 0.1596) < 5e-4 and alexnet["best_layer"] == "features.10"   # as on the board
    assert "significant" in result.stdout and "rsatoolbox: 4 VISp RDM(s) over 118 scenes" in result.stdout
    for name in ("assy_mousescore_Antolik2016.nc", "stimulus_mousescore_Antolik2016.csv",
                 "stimulus_mousescore_Antolik2016.zip"):
        assert (tmp_path / "out" / "brainio" / name).is_file()
