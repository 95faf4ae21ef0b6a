"""Extraction never reads memory it did not write, and its spill folders never outlive their process.

A layer whose rows, width or shape change between batches is refused naming the layer, in every path
(rows spilled to disk, in-memory projections, torch reductions, feature functions); feature functions'
other malformed returns are refused too. Real processes killed by SIGTERM, SIGINT and SIGHUP in the
middle of a spilled extraction leave no folder; one killed by SIGKILL leaves one, removed by the next
start, which keeps a live process's folder."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from mousescore import config
from mousescore.errors import MousescoreError
from mousescore.extraction import spill as spill_module
from mousescore.extraction.extract import InconsistentLayer, extract
from mousescore.extraction.functions import FeatureFunction, extract_function
from mousescore.extraction.spill import Spill, remove_orphaned_spills, scope, start_token
from mousescore.numerics import reductions
from tests.extraction.test_extraction import CORR, GRAM, SRP, _stimuli

SRP_GRAM = reductions.srp_gram(16, 0)
N = 24          # stimuli; batches of 5 leave a last batch of 4


def _loaded(layer: nn.Module):
    from mousescore.registry.specs import LoadedModel
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), layer).eval()   # nothing after it to fail on its output
    return LoadedModel(model, input_size=16, mean=(0.5,) * 3, std=(0.5,) * 3, provenance={"seed": 0})


class BatchSizedCrop(nn.Module):
    """Keeps 100 + 10 × (batch size) features: 150 for batches of 5, 140 for the last one of 4."""
    def forward(self, x):
        return x.flatten(1)[:, :100 + 10 * x.shape[0]]


class Counting(nn.Module):
    """Changes what it returns from its ``at``-th call (the ``at``-th batch) on."""
    def __init__(self, change, at=2):
        super().__init__()
        self.change, self.at, self.calls = change, at, 0

    def forward(self, x):
        self.calls += 1
        return self.change(x) if self.calls >= self.at else x


CHANGES = {   # what a layer does from the second batch on -> the refusal's message
    "fewer features (crop)": (
        lambda x: x.flatten(1)[:, :500],
        r"layer 1 gives 500 features per image for images 6-10 of 24 and gave 784"),
    "more features (padding)": (
        lambda x: torch.cat([x.flatten(1), x.flatten(1)[:, :3]], 1),
        r"gives 787 features per image .* gave 784"),
    "same width, other shape": (
        lambda x: x.reshape(len(x), 14, 4, 14),
        r"layer 1 gives its 784 features per image in shape \(14, 4, 14\) for images 6-10 of 24 "
        r"and in shape \(4, 14, 14\)"),
    "rows of another batch (one short)": (
        lambda x: x[:-1],
        r"layer 1 gives an output of shape \(4, 4, 14, 14\) for the 5 images 6-10 of 24"),
    "rows of another batch (repeated)": (lambda x: torch.cat([x, x]), r"shape \(10, 4, 14, 14\) for the 5 images 6-10"),
    "no tensor": (lambda x: None, r"layer 1 gives no tensor for the 5 images 6-10"),
    "a scalar": (lambda x: x.sum(), r"layer 1 gives an output of shape \(\) for the 5 images"),
    "rows flattened into one": (lambda x: x.reshape(-1), r"layer 1 gives an output of shape \(3920,\)"),
}
PATHS = {   # reductions and how they are computed -> extract's keyword arguments
    "spilled rows (correlation)": ({CORR}, {}),
    "spilled rows (Gram)": ({GRAM}, {}),
    "in-memory projection": ({SRP}, {}),
    "in-memory projection's Gram": ({SRP_GRAM}, {}),
    "torch reductions": ({CORR, SRP}, {"device": "cpu", "torch_reductions": True}),
}


@pytest.mark.parametrize("path", PATHS)
def test_a_layer_whose_width_follows_the_batch_size_is_refused_in_every_path(path, fresh_home, bad_input):
    bad_input(f"layer width 150 for batches of 5, 140 for the last batch of 4 ({path})")
    keys, options = PATHS[path]
    with pytest.raises(InconsistentLayer, match=r"layer 1 gives 140 features per image for images 21-24 of "
                                                r"24 and gave 150 for the first batch.*leave the layer out"):
        extract(_loaded(BatchSizedCrop()), _stimuli(N), keys, batch_size=5, progress=False, **options)
    assert _spill_folders(config.home()) == []     # the spill is removed after the refusal


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("path", ["spilled rows (correlation)", "in-memory projection"])
def test_a_layer_that_changes_in_a_later_batch_is_refused_naming_it(change, path, fresh_home, bad_input):
    bad_input(f"layer output changes in batch 2: {change} ({path})")
    function, message = CHANGES[change]
    keys, options = PATHS[path]
    with pytest.raises(InconsistentLayer, match=message):
        extract(_loaded(Counting(function)), _stimuli(N), keys, batch_size=5, progress=False, **options)


class Looping(nn.Module):
    """Runs its ReLU ``times(batch number)`` times: a forward pass that depends on its batch."""
    def __init__(self, times):
        super().__init__()
        self.relu, self.times, self.batch = nn.ReLU(), times, 0

    def forward(self, x):
        self.batch += 1
        for _ in range(self.times(self.batch)):
            x = self.relu(x)
        return x


@pytest.mark.parametrize("what, times, message", [
    ("a module run once more in batch 2", lambda b: 2 + (b == 2),
     "module 1.relu ran 3 times for images 6-10 of 24 and 2 times"),
    ("a module skipped in batch 3", lambda b: 0 if b == 3 else 1,
     "module 1.relu ran 0 times for images 11-15 of 24 and 1 times"),
    ("a module run once less in the last batch", lambda b: 1 if b == 5 else 2,
     "module 1.relu ran 1 times for images 21-24"),
])
def test_a_forward_pass_that_depends_on_its_batch_is_refused(what, times, message, fresh_home, bad_input):
    bad_input(what)
    with pytest.raises(InconsistentLayer, match=message):
        extract(_loaded(Looping(times)), _stimuli(N), {CORR, SRP}, batch_size=5, progress=False)


def test_the_refusal_reaches_the_public_api_and_no_score_is_stored(tmp_path, fresh_home, bad_input):
    """The issue's example: scored from misaligned spilled rows (0.030, exit 0) before."""
    import mousescore
    bad_input("torch module whose layer width follows the batch size, through mousescore.score")
    data = _own_data(tmp_path)
    benchmark = mousescore.custom_benchmark(data / "images", rdm=data / "rdm.npy")
    model = nn.Sequential(nn.Conv2d(3, 4, 3), BatchSizedCrop())
    with pytest.raises(MousescoreError, match="layer 1 gives 140 features per image for images 21-24 of 24 "
                                              "and gave 150"):
        mousescore.score(model, [benchmark], batch_size=5, input_size=16, progress=False, log=lambda m: None)
    assert _spill_folders(config.home()) == []
    one_batch = mousescore.score(model, [benchmark], batch_size=N, input_size=16, progress=False, log=lambda m: None)
    assert np.isfinite(one_batch[0].value)   # one batch, one width: scored


# --- feature functions --------------------------------------------------------------------------

def _function_features(function, batch_size=5, keys=(CORR,)):
    return extract_function(FeatureFunction(function), _stimuli(N), set(keys), batch_size=batch_size)


def _batch_numbered(function):
    """``function(images, b)`` called with the batch's number b (1, 2, ...); the one-image probe that
    measures the layers before the batches gets the first batch's number, as it gets its output."""
    batches = iter(range(1, 100))
    return lambda images: function(images, 1 if len(images) == 1 else next(batches))


def _rows(images, width=12):
    seed = len(images) * 1000 + int(images.sum() * 1e3) % 1000   # each batch's own rows
    return np.random.default_rng(seed).random((len(images), width))


FUNCTION_RETURNS = {   # a feature function's malformed return (from the second batch on) -> message
    "width following the batch size": (
        lambda x, b: {"a": _rows(x, 10 + len(x))},
        r"layer 'a' gives 14 features per image for images 21-24 of 24 and gave 15"),
    "width changing in batch 2": (
        lambda x, b: {"a": _rows(x, 12 if b == 1 else 11)},
        r"layer 'a' gives 11 features per image for images 6-10 of 24 and gave 12"),
    "same width, other shape": (
        lambda x, b: {"a": _rows(x).reshape(len(x), *((3, 4) if b == 1 else (4, 3)))},
        r"layer 'a' gives its 12 features per image in shape \(4, 3\) for images 6-10 of 24 and in shape \(3, 4\)"),
    "a layer missing": (
        lambda x, b: {"a": _rows(x), **({"b": _rows(x)} if b == 1 else {})},
        r"other layers for images 6-10 of 24 than for the first batch: missing \['b'\], new \[\]"),
    "a new layer": (lambda x, b: {"a": _rows(x), **({"b": _rows(x)} if b == 2 else {})}, r"missing \[\], new \['b'\]"),
    "complex values": (lambda x, b: {"a": _rows(x) * 1j}, r"layer 'a': values of type complex128 are not real numbers"),
    "numbers as text": (
        lambda x, b: {"a": _rows(x).astype(str)},
        r"layer 'a': values of type <U\d+ are not real numbers"),
    "text": (lambda x, b: {"a": [["cat"] * 3] * len(x)}, r"values of type <U3 are not real numbers"),
    "objects": (lambda x, b: {"a": np.array([object()] * len(x))}, r"values of type object are not real numbers"),
    "None": (lambda x, b: {"a": None}, r"values of type object are not real numbers"),
    "ragged rows": (
        lambda x, b: {"a": [[1.0] * (i + 1) for i in range(len(x))]},
        r"layer 'a': the values are not an array"),
    "two keys named alike": (lambda x, b: {1: _rows(x), "1": _rows(x)}, r"two layers named alike: \[1, '1'\]"),
    "datetimes": (
        lambda x, b: {"a": np.full((len(x), 2), np.datetime64("2024-01-01"))},
        r"values of type datetime64\[D\] are not real"),
}


@pytest.mark.parametrize("case", FUNCTION_RETURNS)
def test_a_feature_functions_malformed_return_is_refused_naming_the_layer(case, fresh_home, bad_input):
    bad_input(f"feature function returns {case}")
    function, message = FUNCTION_RETURNS[case]
    with pytest.raises(MousescoreError, match=message):
        _function_features(_batch_numbered(function))


def test_a_feature_function_reusing_its_output_buffer_is_scored_on_every_batchs_rows(fresh_home, bad_input):
    """Before, the rows were kept without a copy: every batch became the last batch's rows."""
    bad_input("feature function that returns the same buffer, overwritten, every batch")
    buffer = np.empty((5, 12), dtype=np.float32)

    def reusing(images):
        out = buffer[:len(images)]
        out[:] = _rows(images)
        return {"a": out}

    batched = _function_features(reusing)
    whole = _function_features(lambda images: {"a": np.concatenate(
        [_rows(images[i:i + 5]) for i in range(0, len(images), 5)])}, batch_size=N)
    np.testing.assert_allclose(batched.reduced["a"][CORR], whole.reduced["a"][CORR], atol=1e-6)


@pytest.mark.parametrize("case, function", [
    ("layers in another order in batch 2",
     lambda x, b: {"a": _rows(x), "b": -_rows(x)} if b == 1 else {"b": -_rows(x), "a": _rows(x)}),
    ("integer layer names", lambda x, b: {0: _rows(x), 1: -_rows(x)}),
    ("a bfloat16 tensor", lambda x, b: {"0": torch.from_numpy(_rows(x)).to(torch.bfloat16), "1": -_rows(x)}),
])
def test_a_feature_functions_well_formed_variations_are_accepted(case, function, fresh_home, bad_input):
    bad_input(f"feature function returns {case} (accepted: before, an internal error or a refusal)")
    features = _function_features(_batch_numbered(function))
    assert features.layers == (["a", "b"] if "order" in case else ["0", "1"])
    first = features.reduced[features.layers[0]][CORR]
    np.testing.assert_allclose(features.reduced[features.layers[1]][CORR], first, atol=1e-2)   # r(-x) = r(x)


# --- the spill files themselves ------------------------------------------------------------------

def test_spilled_rows_of_another_width_are_refused_by_the_spill(fresh_home, bad_input):
    bad_input("rows of 3 features appended to a spilled layer of 4")
    spill = Spill()
    try:
        spill.append("layer", np.ones((2, 4), dtype=np.float32))
        with pytest.raises(MousescoreError, match=r"layer layer: rows of \(3,\) features appended to .* of 4"):
            spill.append("layer", np.ones((2, 3), dtype=np.float32))
    finally:
        spill.close()


@pytest.mark.parametrize("damage", ["truncated", "extended", "deleted"])
def test_a_spill_file_changed_behind_the_extractions_back_is_refused_not_read(damage, fresh_home, fault):
    fault(f"spill file {damage} between writing and reading")
    spill = Spill()
    try:
        spill.append("layer", np.ones((3, 4), dtype=np.float32))
        path = spill.shapes["layer"][2]
        if damage == "deleted":
            path.unlink()
        else:
            path.write_bytes(path.read_bytes()[:20] if damage == "truncated" else path.read_bytes() + b"\0" * 8)
        message = "are gone" if damage == "deleted" else f"hold {20 if damage == 'truncated' else 56} bytes, not the 48"
        with pytest.raises(MousescoreError, match=message):
            spill.read("layer")
    finally:
        spill.close()


def test_spilled_rows_never_return_unread_memory(fresh_home, fault):
    fault("spill file truncated after it was opened for reading")
    from mousescore.extraction.spill import SpilledRows
    spill = Spill()
    try:
        spill.append("layer", np.ones((3, 4), dtype=np.float32))
        rows = spill.read("layer")
        rows.path.write_bytes(rows.path.read_bytes()[:30])
        with pytest.raises(MousescoreError, match="ended before row 1 of 3"):
            rows[:, 0:4]
        with pytest.raises(MousescoreError, match=r"holds 7 values, not \(3, 4\)"):
            np.asarray(SpilledRows(rows.path, 3, 4))
    finally:
        spill.close()


# --- spill folders and signals -------------------------------------------------------------------

def _own_data(root: Path) -> Path:
    """24 small images and an RDM over them: a custom RSA benchmark the CLI scores with ``pixels``."""
    data = root / "data"
    if not data.exists():
        (data / "images").mkdir(parents=True)
        rng = np.random.default_rng(0)
        for i in range(N):
            Image.fromarray((rng.random((16, 16, 3)) * 255).astype(np.uint8)).save(data / "images" / f"s{i:02d}.png")
        rdm = rng.random((N, N))
        rdm = (rdm + rdm.T) / 2
        np.fill_diagonal(rdm, 0)
        np.save(data / "rdm.npy", rdm)
    return data


# Runs the CLI; with a marker path, the extraction stops after the second batch's rows are spilled and
# writes the spill folder's path to the marker, then waits to be signalled.
CHILD = """
import os, signal, sys, time
from pathlib import Path
from mousescore.extraction import spill
if os.environ.get("CHILD_SIGINT_DEFAULT"):   # Ctrl-C kills, as in an embedding that reset it
    signal.signal(signal.SIGINT, signal.SIG_DFL)
marker, appended, original = sys.argv[1], [], spill.Spill.append
def pausing_append(self, layer, rows):
    original(self, layer, rows)
    appended.append(layer)
    if marker != "-" and len(appended) == 2:
        Path(marker).write_text(str(self.directory))
        time.sleep(600)
spill.Spill.append = pausing_append
from mousescore.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _start(home: Path, data: Path, marker="-", inject=None, extra_env=None):
    env = {**os.environ, "MOUSESCORE_HOME": str(home), "OMP_NUM_THREADS": "1", **(extra_env or {})}
    env.pop("MOUSESCORE_INJECT_FAULT", None)
    if inject:
        env["MOUSESCORE_INJECT_FAULT"] = inject
    command = ["score", "pixels", "--stimuli", str(data / "images"), "--rdm", str(data / "rdm.npy"),
               "--batch-size", "4", "--no-progress"]
    return subprocess.Popen([sys.executable, "-c", CHILD, str(marker), *command], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_as_in_a_terminal)


def _as_in_a_terminal():
    """SIGHUP and SIGINT at their default actions, as in a terminal: under nohup, or in a shell's
    background job (a CI script run with ``&``), the child would inherit them ignored, and mousescore
    then rightly ignores them too (Python installs no KeyboardInterrupt for an ignored SIGINT)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _paused_in_spill(process, marker: Path) -> Path:
    """The spill folder of a child stopped in the middle of its spilled extraction."""
    deadline = time.monotonic() + 300
    while not marker.exists() or not marker.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the child never reached its spill: {process.communicate()[1][-2000:]}")
        time.sleep(0.1)
    folder = Path(marker.read_text())
    assert folder.is_dir() and sum(f.stat().st_size for f in folder.iterdir()) == 2 * 4 * 64 * 64 * 4
    return folder


def _spill_folders(home: Path):
    return sorted((home / "tmp").glob("spill-*")) if (home / "tmp").exists() else []


@pytest.mark.parametrize("signum, status, sigint_default", [
    (signal.SIGTERM, -signal.SIGTERM, False), (signal.SIGHUP, -signal.SIGHUP, False),
    (signal.SIGINT, 130, False), (signal.SIGINT, -signal.SIGINT, True)])
def test_a_signal_in_the_middle_of_a_spilled_extraction_removes_its_folder(signum, status, sigint_default,
                                                                           tmp_path, fault):
    """The process still ends as the signal would have ended it: killed by SIGTERM or SIGHUP, and the
    CLI's "interrupted", status 130, for SIGINT (KeyboardInterrupt), or killed by it where SIGINT has
    its default action. Before: SIGTERM, SIGHUP and a default SIGINT left the folder, forever."""
    fault(f"{signum.name} in the middle of a spilled extraction" + (" (its default action)" if sigint_default else ""))
    home, marker = tmp_path / "home", tmp_path / "marker"
    child = _start(home, _own_data(tmp_path), marker,
                   extra_env={"CHILD_SIGINT_DEFAULT": "1"} if sigint_default else None)
    folder = _paused_in_spill(child, marker)
    assert folder.name.startswith(f"spill-{scope()}-{child.pid}-{start_token(child.pid)}-")
    child.send_signal(signum)
    _, err = child.communicate(timeout=120)
    assert child.returncode == status, err
    assert ("interrupted" in err) == (status == 130)
    assert _spill_folders(home) == []


def test_a_sigkilled_extractions_folder_is_removed_at_the_next_start(tmp_path, fault):
    fault("SIGKILL after the first spilled batch (MOUSESCORE_INJECT_FAULT=extraction)")
    home, data = tmp_path / "home", _own_data(tmp_path)
    killed = _start(home, data, inject="extraction")
    killed.communicate(timeout=300)
    assert killed.returncode == -signal.SIGKILL
    left = _spill_folders(home)
    assert [f.name.split("-")[2] for f in left] == [str(killed.pid)]      # nothing can run at SIGKILL
    assert sum(f.stat().st_size for f in left[0].iterdir()) == 4 * 64 * 64 * 4
    rerun = _start(home, data)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert _spill_folders(home) == []


def _plant(home: Path, name: str, age_s: float = 0) -> Path:
    folder = home / "tmp" / name
    folder.mkdir(parents=True)
    (folder / "0.f32").write_bytes(b"\0" * 64)
    then = time.time() - age_s
    for path in (folder / "0.f32", folder):
        os.utime(path, (then, then))
    return folder


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_next_start_removes_only_dead_processes_folders_and_keeps_a_live_ones(tmp_path, fault):
    """A live process paused in its spill keeps its folder while a second process spills and cleans;
    the dead ones go. Then SIGTERM removes the live one's too."""
    fault("folder of a SIGKILLed process (its pid now free)")
    fault("folder of a SIGKILLed process whose pid was reused by a live process")
    fault("folder left by an older version (no owner), unchanged for two days")
    fault("second process spilling and cleaning while the first is mid-spill")
    home, data, marker = tmp_path / "home", _own_data(tmp_path), tmp_path / "marker"
    here, me = scope(), os.getpid()
    dead = _plant(home, f"spill-{here}-{_dead_pid()}-{start_token(me)}-abc")
    reused = _plant(home, f"spill-{here}-{me}-{int(start_token(me)) - 1}-abc")    # my pid, started earlier
    legacy_old = _plant(home, "spill-k3j2h1g0", age_s=2 * 86400)
    legacy_new = _plant(home, "spill-a1b2c3d4", age_s=600)
    other_host = _plant(home, f"spill-otherhost.4026531836-{me}-1-abc", age_s=3600)
    other_host_old = _plant(home, f"spill-otherhost.4026531836-{me}-1-def", age_s=2 * 86400)
    mine = _plant(home, f"spill-{here}-{me}-{start_token(me)}-abc", age_s=2 * 86400)   # alive: kept
    first = _start(home, data, marker)
    live = _paused_in_spill(first, marker)
    second = _start(home, data)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert _spill_folders(home) == sorted([live, legacy_new, other_host, mine])
    assert not any(f.exists() for f in (dead, reused, legacy_old, other_host_old))
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=120)
    assert first.returncode == -signal.SIGTERM and not live.exists()


def test_the_free_disk_check_counts_a_killed_runs_spill_as_free(fresh_home, fault):
    """The memory pre-flight refuses an extraction whose spill would not fit the free disk: what dead
    processes left is removed before the disk is measured, not counted against the new run."""
    fault("folder of a SIGKILLed process present at the disk pre-flight")
    from mousescore.extraction.memory_budget import check_memory
    from tests.extraction.test_extraction import _loaded as shared_relu
    dead = _plant(fresh_home, f"spill-{scope()}-{_dead_pid()}-1-abc")
    assert check_memory(shared_relu(), _stimuli(N), {CORR}, 5, "m") == 5
    assert not dead.exists()


def test_a_spill_takes_over_only_default_signal_handlers_and_only_for_its_own_process(fresh_home, fault):
    """SIGTERM's default action is taken over while spilling and given back after; an application's own
    handler is left alone; a forked child (a data loader's worker) killed by SIGTERM ends as SIGTERM
    ends it and leaves its parent's spill in place."""
    fault("SIGTERM to a forked child of a spilling process")
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        spill = Spill()
        assert signal.getsignal(signal.SIGTERM) is spill_module._on_termination
        pid = os.fork()
        if pid == 0:   # the child: wait to be killed
            try:
                time.sleep(60)
            finally:
                os._exit(0)
        time.sleep(0.5)
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM
        assert spill.directory.is_dir() and remove_orphaned_spills() == 0 and spill.directory.is_dir()
        spill.close()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL and not spill.directory.exists()

        def mine(signum, frame):   # the application's own
            pass

        signal.signal(signal.SIGTERM, mine)
        spill = Spill()
        assert signal.getsignal(signal.SIGTERM) is mine
        spill.close()
        assert signal.getsignal(signal.SIGTERM) is mine and not spill_module._open_folders
    finally:
        signal.signal(signal.SIGTERM, previous)
