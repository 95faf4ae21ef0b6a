"""The store and the records check what they read (issue 31, class 6): a row stored under another key,
a corrupt, misplaced, read-only or full results store, and malformed leaderboard record files are each
refused in one line naming the file (and row or field), and the stored scores are never lost."""
import base64
import functools
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mousescore.errors import DataError, MousescoreError
from mousescore.leaderboard.site import build_site
from mousescore.results import store as store_module
from mousescore.results.record_schema import MAX_RECORD_FILE_BYTES, RecordError, check_model_file, load_json_file
from mousescore.results.records import make_record, read_records, write_record
from mousescore.results.score import Score
from mousescore.results.store import ResultStore

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from leaderboard.test_site import MODELS, synthetic_record, synthetic_records  # noqa: E402
from reliability.test_bad_inputs import assert_one_error_line, cli  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DRAWS_KIND = "bootstrap over stimuli (200 draws, the same indices for every model)"


def _score(model="m-random", benchmark="allen.VISp-rsa", **changes):
    values = dict(model=model, benchmark=benchmark, value=0.2, error=0.01, error_kind="sd", ceiling=0.8,
                  ceiling_kind="split-half", ceiled_value=0.25, best_layer="b", best_layer_depth=1.0,
                  layer_profile={"a": 0.1, "b": 0.2}, unit_scores={"n1": 0.3}, n_units=1,
                  references={"intermouse": 0.5}, provenance={"mousescore_version": "x", "time": "t"},
                  draws=[0.2] * 200, draws_kind=DRAWS_KIND)
    values.update(changes)
    return Score(**values)


def _rows(path):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT model, benchmark, record FROM scores ORDER BY model, benchmark").fetchall()


# --- rows that are not what their key says --------------------------------------------------------

MISKEYED = {"another benchmark": ("m-random", "allen.VISl-rsa"), "another model": ("other-random", "allen.VISp-rsa"),
            "another model and benchmark": ("other-random", "allen.VISl-rsa")}


@pytest.mark.parametrize("case", MISKEYED)
def test_a_row_under_another_key_is_refused_naming_the_row(tmp_path, case, bad_input):
    """Before: the score of allen.VISp-rsa was returned for allen.VISl-rsa (and by all(), twice)."""
    bad_input(f"store row moved under {case}")
    store = ResultStore(tmp_path / "results.sqlite")
    store.put(_score())
    model, benchmark = MISKEYED[case]
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE scores SET model=?, benchmark=?", (model, benchmark))
    expected = f"row ({model}, {benchmark}) holds the score of (m-random, allen.VISp-rsa)"
    with pytest.raises(DataError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        store.get(model, benchmark)
    with pytest.raises(DataError, match="would be returned for the wrong model or benchmark"):
        store.all()
    assert store.get("m-random", "allen.VISp-rsa") is None


MALFORMED_ROWS = {   # case -> (how the stored JSON changes, expected message fragment)
    "not JSON": (lambda text: text[:40], "the record is not JSON"),
    "a JSON list": (lambda text: "[1, 2]", "a score must be a JSON object"),
    "missing value": (lambda text: _json_without(text, "value"), "missing field(s) ['value']"),
    "unknown field": (lambda text: _json_with(text, valeu=0.3), "unknown field(s) ['valeu']"),
    "value a string": (lambda text: _json_with(text, value="0.2"), "field 'value' must be a number, not '0.2'"),
    "value null": (lambda text: _json_with(text, value=None), "field 'value' must be a number, not None"),
    "n_units a float": (lambda text: _json_with(text, n_units=1.5), "field 'n_units' must be an integer"),
    "n_units negative": (lambda text: _json_with(text, n_units=-3), "a count >= 0"),
    "layer profile a list": (lambda text: _json_with(text, layer_profile=[0.1, 0.2]),
                             "field 'layer_profile' must be an object"),
    "a draw a string": (lambda text: _json_with(text, draws=[0.1, "x"]), "(item 1 is 'x')"),
    "best layer a number": (lambda text: _json_with(text, best_layer=3), "field 'best_layer' must be a string"),
}


def _json_with(text, **changes):
    return json.dumps({**json.loads(text), **changes})


def _json_without(text, name):
    values = json.loads(text)
    del values[name]
    return json.dumps(values)


@pytest.mark.parametrize("case", MALFORMED_ROWS)
def test_a_malformed_row_is_refused_naming_row_and_field(tmp_path, case, bad_input):
    """Before: JSONDecodeError or TypeError (internal error, exit 1), or a Score holding a string or
    None where its number belongs (a crash later, or a wrong summary)."""
    bad_input(f"store row: {case}")
    store = ResultStore(tmp_path / "results.sqlite")
    store.put(_score())
    change, expected = MALFORMED_ROWS[case]
    with sqlite3.connect(store.path) as db:
        (text,) = db.execute("SELECT record FROM scores").fetchone()
        db.execute("UPDATE scores SET record=?", (change(text),))
    for read in (lambda: store.get("m-random", "allen.VISp-rsa"), store.all):
        with pytest.raises(DataError) as raised:
            read()
        message = str(raised.value)
        assert expected in message and "row (m-random, allen.VISp-rsa)" in message and str(store.path) in message
        assert "DELETE FROM scores WHERE model='m-random' AND benchmark='allen.VISp-rsa'" in message


def test_a_stored_nan_is_still_a_number(tmp_path):
    """The store keeps NaN as a number (not strict JSON): a NaN value reads back, it is no malformation."""
    store = ResultStore(tmp_path / "results.sqlite")
    store.put(_score(value=float("nan"), draws=[float("nan"), 0.2]))
    again = store.get("m-random", "allen.VISp-rsa")
    assert np.isnan(again.value) and np.isnan(again.draws[0]) and again.draws[1] == 0.2


# --- a results store that cannot be used ------------------------------------------------------------

def _seeded_home(tmp_path):
    home = tmp_path / "home"
    store = ResultStore(home / "results.sqlite")
    store.put_all([_score(benchmark=f"allen.VIS{area}-rsa", unit_scores={f"n{i}": 0.1 for i in range(300)})
                   for area in ("p", "l", "al", "rl", "am", "pm")])
    return home


def _damage(path, case):
    data = path.read_bytes()
    if case == "random bytes":
        path.write_bytes(np.random.default_rng(0).bytes(len(data)))
    elif case == "truncated to half":
        path.write_bytes(data[: len(data) // 2])
    elif case == "header overwritten":
        path.write_bytes(b"\0" * 100 + data[100:])
    elif case == "pages zeroed":
        path.write_bytes(data[:4096] + b"\0" * (len(data) - 4096))


@pytest.mark.parametrize("case", ["random bytes", "truncated to half", "header overwritten", "pages zeroed"])
def test_a_corrupt_store_is_one_line_naming_it_and_is_left_as_it_is(tmp_path, case, fault):
    """Before: 'internal error: DatabaseError: file is not a database' / '... disk image is malformed'
    (exit 1), no file named."""
    fault(f"results.sqlite corrupted: {case}")
    home = _seeded_home(tmp_path)
    path = home / "results.sqlite"
    _damage(path, case)
    damaged = path.read_bytes()
    result = cli("results", "export", "--format", "csv", home=home)
    assert_one_error_line(result, f"the results store {path} is corrupt")
    assert "move it aside" in result.stderr
    assert path.read_bytes() == damaged     # never removed or rewritten: what it still holds is the user's


def test_a_folder_in_place_of_the_store_is_one_line(tmp_path, bad_input):
    """Before: 'internal error: OperationalError: unable to open database file' (exit 1)."""
    bad_input("a directory named results.sqlite")
    home = tmp_path / "home"
    (home / "results.sqlite").mkdir(parents=True)
    assert_one_error_line(cli("results", "export", "--format", "csv", home=home),
                          f"the results store {home / 'results.sqlite'} is not a file")
    with pytest.raises(MousescoreError, match="move it away"):
        ResultStore(home / "results.sqlite")


def test_a_file_in_place_of_the_home_folder_is_one_line(tmp_path, bad_input):
    """Before: 'internal error: FileExistsError' (exit 1)."""
    bad_input("MOUSESCORE_HOME is a file")
    home = tmp_path / "home"
    home.write_text("not a folder")
    assert_one_error_line(cli("results", "export", "--format", "csv", home=home),
                          f"cannot create {home} for the results store")


def _mount_tmpfs(folder: Path, size: str) -> bool:
    """A real small file system (as root, where mounting works); False where it cannot be had."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def _unmount(folder: Path) -> None:
    if subprocess.run(["umount", str(folder)], capture_output=True).returncode:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def read_only_home(tmp_path):
    """A home holding a store, made read-only for real: a read-only mount as root (root ignores file
    modes), else the folder's write permission taken away."""
    home = tmp_path / "home"
    mounted = _mount_tmpfs(home, "8m")
    ResultStore(home / "results.sqlite").put(_score())
    if mounted:
        subprocess.run(["mount", "-o", "remount,ro", str(home)], check=True)
    else:
        home.chmod(0o555)
    yield home
    if mounted:
        _unmount(home)
    else:
        home.chmod(0o755)


def test_a_read_only_home_is_one_line_saying_what_to_do(read_only_home, fault):
    """Before: 'internal error: OperationalError: unable to open database file' (exit 1)."""
    fault("MOUSESCORE_HOME read-only")
    path = read_only_home / "results.sqlite"
    result = cli("results", "export", "--format", "csv", home=read_only_home)
    assert_one_error_line(result, f"cannot write the results store {path}: {read_only_home} is read-only")
    assert "set MOUSESCORE_HOME to another folder" in result.stderr
    # a folder to be created under it is refused the same way (before: internal error: OSError)
    assert_one_error_line(cli("results", "export", "--format", "csv", home=read_only_home / "sub"),
                          f"cannot create {read_only_home / 'sub'} for the results store: read-only")


def test_a_full_disk_while_writing_keeps_the_stored_scores(tmp_path, fault):
    """A real full file system (a 1 MiB tmpfs): before, 'internal error: OperationalError: disk I/O
    error' (exit 1); now one line; the scores stored before are intact and readable."""
    home = tmp_path / "small"
    if not _mount_tmpfs(home, "1m"):
        pytest.skip("cannot mount a small file system here (not root); the injected variant runs instead")
    try:
        fault("disk full while writing the store (real tmpfs)")
        store = ResultStore(home / "results.sqlite")
        store.put(_score())
        with open(home / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError:
                pass
        big = _score(benchmark="allen.VISl-rsa", unit_scores={f"n{i}": 0.1 for i in range(50_000)})
        with pytest.raises(MousescoreError, match=r"cannot write the results store .*the disk is full "
                                                  r".*scores stored before are intact"):
            store.put(big)
        (home / "filler").unlink()
        assert [(s.model, s.benchmark) for s in store.all()] == [("m-random", "allen.VISp-rsa")]
        store.put(big)                          # space again: the store works as before
        assert len(store.all()) == 2
    finally:
        _unmount(home)


class _FullDiskConnection(sqlite3.Connection):
    def executemany(self, *args):
        raise sqlite3.OperationalError("database or disk is full")


def test_an_injected_full_disk_is_one_line_and_loses_nothing(tmp_path, monkeypatch, fault):
    """ENOSPC injected into the write (for machines where no small file system can be mounted)."""
    fault("disk full while writing the store (injected)")
    store = ResultStore(tmp_path / "results.sqlite")
    store.put(_score())
    monkeypatch.setattr(store_module.sqlite3, "connect",
                        functools.partial(sqlite3.connect, factory=_FullDiskConnection))
    monkeypatch.setattr(store_module.shutil, "disk_usage", lambda folder: SimpleNamespace(free=4096))
    with pytest.raises(MousescoreError, match=r"the disk is full \(4,096 bytes free .*intact"):
        store.put(_score(benchmark="allen.VISl-rsa"))
    monkeypatch.undo()
    assert [(s.model, s.benchmark) for s in store.all()] == [("m-random", "allen.VISp-rsa")]


def _file_size_limited(limit):
    def limit_writes():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)     # a write past the limit fails (EFBIG), not kills
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limit_writes


def test_the_cli_refuses_a_write_the_disk_rejects_and_keeps_the_stored_scores(tmp_path, fault):
    """`mousescore score` whose result cannot be written (a file-size limit makes every write past
    64 KiB fail, as a full disk does): before, 'internal error: OperationalError: disk I/O error'
    (exit 1); now exit 2 in one line naming the store, and the score stored before is intact."""
    fault("writes past 64 KiB refused while scoring (RLIMIT_FSIZE)")
    home = tmp_path / "home"
    ResultStore(home / "results.sqlite").put(_score())
    from PIL import Image
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(8):
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(folder / f"img{index}.png")
    np.save(tmp_path / "r.npy", rng.normal(size=(8, 8000)))    # 8000 neurons: a record of ~0.3 MB
    environment = {**os.environ, "MOUSESCORE_HOME": str(home), "MOUSESCORE_FEATURE_CACHE": "0"}
    result = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", "pixels", "--responses",
                             str(tmp_path / "r.npy"), "--stimuli", str(folder), "--no-progress"],
                            capture_output=True, text=True, env=environment, timeout=600,
                            preexec_fn=_file_size_limited(64 * 1024))
    assert_one_error_line(result, f"cannot write the results store {home / 'results.sqlite'}")
    assert "nothing of this write was stored and the scores stored before are intact" in result.stderr
    assert [(s.model, s.benchmark) for s in ResultStore(home / "results.sqlite").all()] == \
        [("m-random", "allen.VISp-rsa")]


# --- leaderboard record files --------------------------------------------------------------------

def _record_folder(tmp_path, draws_kind=DRAWS_KIND, draws=200):
    folder = tmp_path / "results"
    for benchmark in ("allen.VISp-rsa", "allen.VISl-rsa"):
        score = _score(benchmark=benchmark, draws=[0.2] * draws, draws_kind=draws_kind)
        write_record(folder, make_record(score, {"family": "f", "trained": False}, {"metric": "rsa"}))
    return folder


def _with(**changes):
    def change(packed):
        packed.update(changes)
    return change


def _entry(**changes):
    def change(packed):
        packed["benchmarks"]["allen.VISp-rsa"].update(changes)
    return change


def _without(name, entry=False):
    def change(packed):
        del (packed["benchmarks"]["allen.VISp-rsa"] if entry else packed)[name]
    return change


def _metadata(**changes):
    def change(packed):
        packed["model_metadata"].update(changes)
    return change


def _draw_bytes(count):
    return base64.b64encode(np.full(count, 2000, "<i2").tobytes()).decode()


VISP = "benchmarks['allen.VISp-rsa']"
BAD_RECORDS = {   # case -> (change to the packed model file, expected message fragment)
    "record_version 5": (_with(record_version=5), "record_version 5, not one of [2, 3, 4] (the versions this"),
    "record_version a string": (_with(record_version="2"), "record_version '2', not one of"),
    "missing texts": (_without("texts"), "missing field(s) ['texts']"),
    "unknown top-level field": (_with(modle="x"), "unknown field(s) ['modle']"),
    "model differs from the file name": (_with(model="other-random"),
                                         "the record is for other-random, but its file is named m-random.json"),
    "model not a string": (_with(model=7), "field 'model' must be a string, not 7"),
    "model_metadata a list": (_with(model_metadata=["f"]), "model_metadata must be an object"),
    "trained as a string": (_metadata(trained="false"), "model_metadata.trained must be bool or null, not 'false'"),
    "parameters as a string": (_metadata(parameters="61M"), "model_metadata.parameters must be int or float"),
    "parameters negative": (_metadata(parameters=-5), "model_metadata.parameters must be >= 0"),
    "texts not strings": (_with(texts=[1, 2]), "texts must be a list of strings"),
    "layers not lists": (_with(layers="a,b"), "layers must be a list of layer-name lists"),
    "a layer named twice": (_with(layers=[["a", "a"]]), "layers[0] names layer(s) ['a'] twice"),
    "no benchmarks": (_with(benchmarks={}), "field 'benchmarks' must be a non-empty object"),
    "a hidden benchmark name": (lambda p: p["benchmarks"].update({".x": p["benchmarks"]["allen.VISp-rsa"]}),
                                "'.x' cannot name a page of the site"),
    "benchmark entry a list": (lambda p: p["benchmarks"].update({"allen.VISp-rsa": [1]}),
                               f"{VISP} must be an object"),
    "value a string": (_entry(value="0.2"), f"{VISP}: field 'value' must be a number or null, not '0.2'"),
    "value true": (_entry(value=True), "field 'value' must be a number or null, not True"),
    "n_units null": (_entry(n_units=None), "field 'n_units' must be an integer, not None"),
    "n_units a float": (_entry(n_units=1.0), "field 'n_units' must be an integer, not 1.0"),
    "n_excluded negative": (_entry(n_excluded=-1), "field 'n_excluded' must be a count >= 0"),
    "error negative": (_entry(error=-0.01), "field 'error' must be a standard error >= 0"),
    "best layer depth 1.5": (_entry(best_layer_depth=1.5), "must be a relative depth in [0, 1], not 1.5"),
    "best layer null": (_entry(best_layer=None), "field 'best_layer' must be a string"),
    "references a list": (_entry(references=[0.5]), "field 'references' must be an object"),
    "a reference a string": (_entry(references={"intermouse": "high"}), "(the one at 'intermouse' is 'high')"),
    "missing value": (_without("value", entry=True), f"{VISP}: missing field(s) ['value']"),
    "unknown benchmark field": (_entry(valeu=0.2), f"{VISP}: unknown field(s) ['valeu']"),
    "text index out of range": (_entry(draws_kind=99), f"{VISP}.draws_kind must be an index into texts"),
    "text index a string": (_entry(error_kind="sd"), f"{VISP}.error_kind must be an index into texts"),
    "layers index out of range": (_entry(layers=5), f"{VISP}.layers must be an index into layers"),
    "draws not base64": (_entry(draws="!!" + _draw_bytes(200)[2:]), f"{VISP}.draws is not valid base64"),
    "draws with a stray character": (_entry(draws=_draw_bytes(200)[:100] + "*" + _draw_bytes(200)[100:]),
                                     f"{VISP}.draws is not valid base64"),
    "draws of odd bytes": (_entry(draws=base64.b64encode(b"abc").decode()), "decodes to 3 bytes, not whole int16"),
    "draws a number": (_entry(draws=5), f"{VISP}.draws must be a base64 string, not 5"),
    "draws of the wrong length": (_entry(draws=_draw_bytes(199)), f"{VISP}.draws: 199 draws, but draws_kind says 200"),
    "profile of the wrong length": (_entry(profile=_draw_bytes(1)), f"{VISP}.profile: 1 values for the 2 layers"),
    "provenance a string": (_entry(provenance="x"), f"{VISP}.provenance must be an object"),
    "benchmark_metadata missing": (_without("benchmark_metadata", entry=True),
                                   "missing field(s) ['benchmark_metadata']"),
}


@pytest.mark.parametrize("case", BAD_RECORDS)
def test_a_malformed_record_file_is_refused_naming_file_and_field(tmp_path, case, bad_input):
    """Before: some crashed the site build (TypeError, KeyError), the rest were read as they were:
    stray base64 characters dropped with the draws they held, a string where a number belongs."""
    bad_input(f"record file: {case}")
    folder = _record_folder(tmp_path)
    path = folder / "m-random.json"
    packed = json.loads(path.read_text())
    change, expected = BAD_RECORDS[case]
    change(packed)
    path.write_text(json.dumps(packed))
    with pytest.raises(RecordError) as raised:
        read_records(folder)
    message = str(raised.value)
    assert expected in message and str(path) in message, message


TEXT_EDITS = {   # case -> (edit of the file's text, expected fragment)
    "not JSON": (lambda text: text[:-20], "is not valid JSON"),
    "not UTF-8": (lambda text: "\udcff" + text, "is not UTF-8 text"),
    "a JSON list": (lambda text: "[" + text + "]", "a record file must hold a JSON object, not list"),
    "NaN literal as a value": (lambda text: text.replace('"value":0.2', '"value":NaN', 1),
                               "field 'value' must be a number or null, not NaN"),
    "Infinity literal as an error": (lambda text: text.replace('"error":0.01', '"error":Infinity', 1),
                                     "field 'error' must be a number or null, not Infinity"),
    "NaN in provenance": (lambda text: text.replace('"time": "t"', '"time": NaN', 1),
                          ": provenance holds NaN or Infinity, which strict JSON cannot: write null"),
    "a benchmark given twice": (lambda text: text.replace(' "allen.VISp-rsa": ', ' "allen.VISl-rsa": '),
                                "the key 'allen.VISl-rsa' is given twice in one object"),
    "a field given twice": (lambda text: text.replace('"value":0.2', '"value":0.2,"value":0.9', 1),
                            "the key 'value' is given twice"),
}


@pytest.mark.parametrize("case", TEXT_EDITS)
def test_a_record_file_that_is_not_strict_json_is_refused(tmp_path, case, bad_input):
    """Before: NaN literals and keys given twice were read as they were (the later duplicate silently
    won); the rest were one line without the field."""
    bad_input(f"record file text: {case}")
    folder = _record_folder(tmp_path)
    path = folder / "m-random.json"
    edit, expected = TEXT_EDITS[case]
    path.write_bytes(edit(path.read_text()).encode("utf-8", "surrogateescape"))
    with pytest.raises(RecordError) as raised:
        read_records(folder)
    assert expected in str(raised.value) and str(path) in str(raised.value), str(raised.value)


def test_a_huge_record_file_is_refused_before_it_is_read(tmp_path, monkeypatch, bad_input):
    """Before: read whole into memory and parsed, whatever its size."""
    bad_input("record file over the size limit")
    folder = _record_folder(tmp_path)
    path = folder / "m-random.json"
    with open(path, "ab") as padding:       # valid JSON all the same: trailing white space
        padding.truncate(MAX_RECORD_FILE_BYTES + 1)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("a huge file was read"))
    with pytest.raises(RecordError, match=f"{path.name} is 8,388,609 bytes, more than the 8,388,608"):
        read_records(folder)


def test_draws_of_one_benchmark_must_pair_across_models(tmp_path, bad_input):
    """Draws whose count no text states, of different lengths in two models' files: before, every
    interval and tie involving them silently vanished from the board."""
    bad_input("draws of different lengths for one benchmark in two record files")
    folder = _record_folder(tmp_path, draws_kind="bootstrap over stimuli", draws=200)
    write_record(folder, make_record(_score(model="n-random", draws=[0.1] * 150, draws_kind="bootstrap over stimuli"),
                                     {"family": "f"}, {}))
    with pytest.raises(RecordError, match="allen.VISp-rsa: n-random has 150 draws, m-random 200"):
        read_records(folder)


def test_the_committed_board_passes_the_schema():
    files = sorted((REPO / "leaderboard" / "results").glob("*.json"))
    assert len(files) >= 100
    for path in files:
        check_model_file(load_json_file(path), path)


# --- mathtext and the CLI --------------------------------------------------------------------------

MATHTEXT = ["$x^{$", r"$\undefined$", "a$b$c", "$$"]


def test_mathtext_in_metadata_and_names_is_drawn_literally(tmp_path, bad_input):
    """Before: ValueError from matplotlib's mathtext parser ('Expected end_group'): the build crashed."""
    for text in MATHTEXT:
        bad_input(f"mathtext-like string {text!r} in model metadata")
    records = synthetic_records()
    odd = []
    for index, text in enumerate(MATHTEXT):
        # a trained network: Fig. 3 labels trained networks by task cluster (baselines are one group)
        metadata = {**MODELS["alexnet"][0], "family": text, "task_cluster": text}
        odd += [synthetic_record(f"odd{index}$", metadata, f"allen.VIS{area}-rsa", 0.2, 0.6, 1)
                for area in ("p", "l", "al", "rl", "am", "pm")]
    out = build_site(records + odd, tmp_path).parent
    mosaic = (out / "figures" / "family-mosaic.svg").read_text()
    assert all(text in mosaic for text in ("$x^{$", "a$b$c", r"$\undefined$"))
    assert "odd0$: score per layer" in (out / "figures" / "profile-odd0$.svg").read_text()


def test_leaderboard_build_on_a_bad_record_folder_is_one_line_naming_file_and_field(tmp_path, bad_input):
    """Before: invalid base64 draws were dropped and the build succeeded (exit 0) without the draws."""
    bad_input("`leaderboard build` on a record with invalid base64 draws")
    folder = _record_folder(tmp_path)
    path = folder / "m-random.json"
    packed = json.loads(path.read_text())
    packed["benchmarks"]["allen.VISl-rsa"]["draws"] = "@@" + packed["benchmarks"]["allen.VISl-rsa"]["draws"][2:]
    path.write_text(json.dumps(packed))
    result = cli("leaderboard", "build", "--results", str(folder), "--out", str(tmp_path / "site"),
                 home=tmp_path / "home")
    assert_one_error_line(result, f"malformed result record {path}: benchmarks['allen.VISl-rsa'].draws is not "
                                  f"valid base64")
    assert not (tmp_path / "site" / "index.html").exists()
