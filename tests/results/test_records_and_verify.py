"""Result records: exported from the store, strict JSON, read back exactly; verify re-scores them."""
import json
import math
from dataclasses import asdict
from pathlib import Path

import pytest

from mousescore.cli import main
from mousescore.errors import MousescoreError
from mousescore.results.records import make_record, read_records, record_to_score, write_record
from mousescore.results.score import Score
from mousescore.results.store import ResultStore

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "leaderboard" / "results"


def _score(**changes):
    values = dict(model="m-random", benchmark="allen.VISp-rsa", value=0.2, error=0.01, error_kind="sd",
                  ceiling=0.8, ceiling_kind="split-half", ceiled_value=0.25, best_layer="b",
                  best_layer_depth=1.0, layer_profile={"a": 0.1, "b": 0.2}, unit_scores={"n1": 0.3},
                  n_units=1, references={"intermouse": 0.5}, provenance={"mousescore_version": "x"})
    values.update(changes)
    return Score(**values)


def test_record_is_strict_json_without_unit_scores_and_reads_back(tmp_path):
    score = _score(value=math.nan, layer_profile={"a": math.nan, "b": 0.2})
    path = write_record(tmp_path, make_record(score, {"family": "f", "build": print}, {"metric": "rsa"}))
    assert path == tmp_path / "m-random" / "allen.VISp-rsa.json"
    text = path.read_text()
    assert "NaN" not in text and "unit_scores" not in text and "build" not in text
    (record,) = read_records(tmp_path)
    assert record["model_metadata"] == {"family": "f"} and record["benchmark_metadata"] == {"metric": "rsa"}
    again = record_to_score(record)
    assert math.isnan(again.value) and math.isnan(again.layer_profile["a"]) and again.layer_profile["b"] == 0.2
    assert list(again.layer_profile) == ["a", "b"] and again.references == {"intermouse": 0.5}


def test_malformed_and_misplaced_records_are_named(tmp_path):
    write_record(tmp_path, make_record(_score(), {}, {}))
    moved = tmp_path / "other-model"
    moved.mkdir()
    (tmp_path / "m-random" / "allen.VISp-rsa.json").rename(moved / "allen.VISp-rsa.json")
    with pytest.raises(MousescoreError, match="misplaced"):
        read_records(tmp_path)
    (moved / "allen.VISp-rsa.json").write_text("{not json")
    with pytest.raises(MousescoreError, match="malformed result record .*allen.VISp-rsa.json"):
        read_records(tmp_path)
    with pytest.raises(MousescoreError, match="mousescore results export"):
        read_records(tmp_path / "nowhere")


def _edit(path: Path, **changes):
    record = json.loads(path.read_text())
    record.update(changes)
    path.write_text(json.dumps(record))


def test_export_then_verify_reproduces_and_flags_a_changed_record(real_data, fresh_home, tmp_path, capsys):
    assert main(["score", "alexnet-random", "allen.VISp-rsa", "allen.VISp_layer23-rsa", "allen.VISp_layer4-rsa",
                 "--no-progress"]) == 0
    stored = {s.benchmark: s for s in ResultStore().all()}
    assert len(stored) == 3
    results = tmp_path / "results"
    assert main(["results", "export", "alexnet-*", "--out", str(results)]) == 0
    assert "wrote 3 result record(s)" in capsys.readouterr().out
    records = read_records(results)
    for record in records:
        expected = asdict(stored[record["benchmark"]])
        expected.pop("unit_scores")
        assert asdict(record_to_score(record)) | {"unit_scores": {}} == expected | {"unit_scores": {}}
        assert record["model_metadata"]["family"] == "torchvision"
        assert record["benchmark_metadata"]["dataset"] == "allen"

    assert main(["leaderboard", "verify", "alexnet-random", "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.count("ok      allen.VISp") == 3 and "3/3 record(s) of alexnet-random reproduce" in out

    target = results / "alexnet-random" / "allen.VISp-rsa.json"
    recorded = json.loads(target.read_text())["value"]
    _edit(target, value=recorded + 5e-5)           # within the tolerance: still reproduces
    assert main(["leaderboard", "verify", "alexnet-random", "--results", str(results)]) == 0
    _edit(target, value=recorded + 0.01)
    capsys.readouterr()
    assert main(["leaderboard", "verify", "alexnet-random", "--results", str(results)]) == 1
    out = capsys.readouterr().out
    assert f"DIFFERS allen.VISp-rsa: value {recorded:.6f} vs recorded {recorded + 0.01:.6f}" in out
    assert "2/3 record(s)" in out
    assert main(["leaderboard", "verify", "alexnet-random", "allen.VISp_*", "--results", str(results)]) == 0
    assert "2/2 record(s)" in capsys.readouterr().out

    assert main(["leaderboard", "verify", "alexnet-random", "cowley*", "--results", str(results)]) == 2
    assert main(["leaderboard", "verify", "vgg16-random", "--results", str(results)]) == 2
    assert "no result records for 'vgg16-random'" in capsys.readouterr().err


def test_committed_records_of_a_seeded_model_reproduce(real_data, fresh_home, capsys):
    """Check 3 of the leaderboard issue, on the committed records of the Gabor baseline."""
    assert (COMMITTED / "gabor").is_dir(), "the seeded records are committed under leaderboard/results"
    count = len(list((COMMITTED / "gabor").glob("*.json")))
    assert count >= 80
    assert main(["leaderboard", "verify", "gabor", "--results", str(COMMITTED)]) == 0
    assert f"{count}/{count} record(s) of gabor reproduce" in capsys.readouterr().out
