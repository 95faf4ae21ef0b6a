"""A cache or a stored score of other code is never served: the result store, the feature cache and the
disk memo key what they keep by the code identity (the version and a digest of the sources), so an
edited checkout of one version computes afresh instead of reusing numbers its code no longer gives."""
import json
import shutil
import sqlite3

import mousescore
from mousescore.code_identity import _package_folders, code_identity, sources_digest
from mousescore.registry import get_registry
from mousescore.results import store as store_module
from mousescore.results.store import ResultStore
from mousescore.scoring.score_model import score_model
from mousescore.scoring.sweep import plan
from tests.reliability.test_store_and_records import _score

OTHER = "0.5.0+0123456789ab"


def _tree(root, files):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_sources_digest_follows_content_not_place_or_date(tmp_path):
    files = {"__init__.py": "x = 1\n", "numerics/ridge.py": "ALPHA = 1.0\n", "data.csv": "not code"}
    package = _tree(tmp_path / "a" / "pkg", files)
    digest = sources_digest([package])
    moved = shutil.copytree(package, tmp_path / "b" / "pkg")          # another place, newer dates
    assert sources_digest([moved]) == digest
    (moved / "data.csv").write_text("changed, not code")
    assert sources_digest([moved]) == digest
    (moved / "numerics" / "ridge.py").write_text("ALPHA = 2.0\n")      # one nested source edited
    assert sources_digest([moved]) != digest
    (moved / "numerics" / "ridge.py").write_text("ALPHA = 1.0\n")
    assert sources_digest([moved]) == digest
    (moved / "numerics" / "extra.py").write_text("")                   # a source added
    assert sources_digest([moved]) != digest


def test_the_code_identity_covers_the_core_and_its_builtin_plugins():
    folders = _package_folders()
    names = {folder.name for folder in folders}
    assert folders[0].name == "mousescore" and {"standard", "allen", "cowley2023"} <= names   # metrics, benchmarks
    assert code_identity() == f"{mousescore.__version__}+{sources_digest(folders)[:12]}"


def test_a_stored_score_of_other_code_is_recomputed_not_reused(real_data, fresh_home, monkeypatch):
    store, messages = ResultStore(), []
    benchmark = "allen.VISp-rsa"
    first = score_model("pixels", [benchmark], store=store, progress=False, log=messages.append)[0]
    score_model("pixels", [benchmark], store=store, progress=False, log=messages.append)
    assert any("stored result reused" in m for m in messages)
    registry = get_registry()
    assert plan(["pixels"], [benchmark], store, registry)[1] == 1

    monkeypatch.setattr(store_module, "code_identity", lambda: OTHER)      # the sources edited since
    messages.clear()
    again = score_model("pixels", [benchmark], store=store, progress=False, log=messages.append)[0]
    said = [m for m in messages if m.startswith(benchmark + ":")]
    assert said == [f"{benchmark}: stored result was computed by mousescore {code_identity()}, this is {OTHER}; "
                    f"recomputing"]
    assert not any("reused" in m for m in messages) and again.value == first.value
    assert store.get_with_code("pixels", benchmark)[1] == OTHER               # stored anew, under this code
    monkeypatch.setattr(store_module, "code_identity", lambda: "0.5.0+fedcba987654")
    assert plan(["pixels"], [benchmark], store, registry)[1] == 0


def test_a_store_of_mousescore_0_5_gains_the_code_column_and_its_rows_are_not_reused(tmp_path):
    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as db:     # the table as mousescore <= 0.5.0 made it
        db.execute("CREATE TABLE scores (model TEXT NOT NULL, benchmark TEXT NOT NULL, record TEXT NOT NULL,"
                   " created TEXT NOT NULL, PRIMARY KEY (model, benchmark))")
        db.execute("INSERT INTO scores VALUES (?, ?, ?, ?)",
                   ("m-random", "allen.VISp-rsa", _score().to_json(), "t"))
    store = ResultStore(path)
    assert store.get("m-random", "allen.VISp-rsa").to_json() == _score().to_json()      # nothing lost
    assert store.get_with_code("m-random", "allen.VISp-rsa")[1] is None
    score, why = store.current("m-random", "allen.VISp-rsa")
    assert score is None
    assert why == f"stored result was computed by mousescore x (code not recorded), this is {code_identity()}"
    store.put(_score(value=0.3))
    score, why = store.current("m-random", "allen.VISp-rsa")
    assert why is None and json.loads(score.to_json())["value"] == 0.3
