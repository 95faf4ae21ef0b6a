"""Identity comes from content, never from a name; the caches key by everything that computes what
they hold and check every file they read (issue 31, classes 1 and 2)."""
import json
import logging
import os
import shutil

import numpy as np
import pytest
from PIL import Image

import mousescore
from mousescore import config
from mousescore.data.assemblies import NeuroidAssembly, save_netcdf
from mousescore.scoring.own_data import custom_benchmark

torch = pytest.importorskip("torch")
nn = torch.nn
QUIET = {"log": lambda message: None, "progress": False}


def _lab(root, name="images", seed=0, n=12):
    """A lab's folder of images (named ``name``) and its recordings: stimuli × 5 neurons × 3 repeats
    that follow the images' mean brightness, so that scores are far from zero."""
    rng = np.random.default_rng(seed)
    folder = root / name
    folder.mkdir(parents=True)
    pixels = rng.integers(0, 256, (n, 16, 16, 3), dtype=np.uint8)
    ids = [f"s{i:02d}" for i in range(n)]
    for i, image in zip(ids, pixels):
        Image.fromarray(image).save(folder / f"{i}.png")
    signal = pixels.reshape(n, -1, 3).mean(axis=1) @ rng.normal(size=(3, 5))
    values = signal[:, :, None] + rng.normal(size=(n, 5, 3)) * 5
    path = root / f"{name}-{seed}.nc"
    save_netcdf(NeuroidAssembly.create(values, ids, [f"n{i}" for i in range(5)], repetition=True), path)
    return folder, path


def _net(stride=1, activation=None):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, stride=stride), activation or nn.ReLU(), nn.Flatten()).eval()


@pytest.fixture
def home(tmp_path):
    with config.override(home=tmp_path / "home"):
        yield tmp_path / "home"


def _score(model, benchmarks, **options):
    return mousescore.score(model, benchmarks, input_size=16, name="net", **QUIET, **options)


def _numbers(score):
    return (score.value, score.cv_value, tuple(score.draws), tuple(sorted(score.layer_profile.items())))


# --- class 1: a stimulus set is its content -------------------------------------------------------

def test_two_labs_folders_of_one_name_are_scored_each_on_its_own_images(tmp_path, home, bad_input):
    bad_input("two folders called images/ with the same file names and different pixels, in one call")
    first_folder, first_assembly = _lab(tmp_path / "lab1", seed=1)
    second_folder, second_assembly = _lab(tmp_path / "lab2", seed=2)
    first = custom_benchmark(first_folder, assembly=first_assembly)
    second = custom_benchmark(second_folder, assembly=second_assembly)
    assert first.stimuli.identifier == second.stimuli.identifier == "custom:images"
    together = _score(_net(), [first, second]).scores
    alone = [_score(_net(), [b], force=True).scores[0] for b in (first, second)]
    for joint, single in zip(together, alone):
        assert _numbers(joint) == _numbers(single)
    assert together[0].value != together[1].value
    assert together[0].provenance["stimuli_sha256"] != together[1].provenance["stimuli_sha256"]


def test_a_renamed_folder_gives_the_same_numbers(tmp_path, home, bad_input):
    bad_input("the same images under another folder name and another assembly file name")
    folder, assembly = _lab(tmp_path, seed=3)
    renamed = tmp_path / "renamed" / "stimuli_v2"
    shutil.copytree(folder, renamed)
    copied = tmp_path / "renamed" / "responses.nc"
    shutil.copy(assembly, copied)
    original = _score(_net(), custom_benchmark(folder, assembly=assembly)).scores[0]
    moved = _score(_net(), custom_benchmark(renamed, assembly=copied)).scores[0]
    assert np.isfinite(original.cv_value) and len(original.draws) == 200
    assert _numbers(original) == _numbers(moved)
    assert original.draws_kind == moved.draws_kind and "plan " in original.draws_kind


def test_draws_of_different_plans_are_not_paired(tmp_path, home, bad_input, caplog):
    bad_input("paired comparison of draws resampled under different plans")
    folder, assembly = _lab(tmp_path, seed=4)
    results = _score(_net(), custom_benchmark(folder, assembly=assembly))
    other = _score(_net(activation=nn.Tanh()), custom_benchmark(folder, assembly=assembly))
    other.scores[0].model = "tanh"
    same_plan = (results + other).compare("net", "tanh")
    assert np.isfinite(same_plan.loc[0, "low"])
    other.scores[0].draws_kind = other.scores[0].draws_kind.replace("plan ", "plan 0")
    with caplog.at_level(logging.WARNING, logger="mousescore"):
        mixed = (results + other).compare("net", "tanh")
    assert np.isnan(mixed.loc[0, "low"]) and "different resampling plans" in caplog.text


# --- class 2: the feature cache is keyed by what computes the features ------------------------------

def test_modules_with_equal_weights_and_different_strides_are_extracted_apart(tmp_path, home, bad_input):
    bad_input("two unregistered modules, same weights, stride 1 vs 4")
    benchmark = custom_benchmark(*_lab(tmp_path, seed=5))
    one, four = _score(_net(stride=1), benchmark).scores[0], _score(_net(stride=4), benchmark).scores[0]
    fresh = _score(_net(stride=4), benchmark, force=True).scores[0]
    assert _numbers(four) == _numbers(fresh) and _numbers(one) != _numbers(four)


def _module_class(body):
    namespace = {"nn": nn, "torch": torch}
    exec(f"class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
         f"        torch.manual_seed(0)\n        self.conv, self.mix = nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 1)\n"
         f"    def forward(self, x):\n        return {body}\n", namespace)
    namespace["Net"].__module__ = "labnet"    # one plugin's class, its code edited between runs
    return namespace["Net"]


def test_a_changed_forward_with_the_same_name_and_weights_is_extracted_again(tmp_path, home, bad_input):
    bad_input("a module class whose forward changed from ReLU to Sigmoid, same name and weights")
    benchmark = custom_benchmark(*_lab(tmp_path, seed=6))
    relu = _score(_module_class("self.mix(torch.relu(self.conv(x))).flatten(1)")().eval(), benchmark).scores[0]
    sigmoid = _score(_module_class("self.mix(torch.sigmoid(self.conv(x))).flatten(1)")().eval(), benchmark).scores[0]
    fresh = _score(_module_class("self.mix(torch.sigmoid(self.conv(x))).flatten(1)")().eval(), benchmark,
                   force=True).scores[0]
    assert _numbers(sigmoid) == _numbers(fresh) and _numbers(relu) != _numbers(sigmoid)


def test_force_extracts_features_again(tmp_path, home, bad_input):
    bad_input("--force over a cache entry whose content is wrong but whose checks pass")
    benchmark = custom_benchmark(*_lab(tmp_path, seed=7))
    right = _score(_net(), benchmark).scores[0]
    entry = next((home / "features").iterdir())
    for file in entry.glob("*.npz"):      # a valid entry of wrong numbers, its index rewritten to match
        with np.load(file) as stored:
            arrays = {name: np.random.default_rng(0).normal(size=stored[name].shape) for name in stored.files}
        np.savez(file, **arrays)
    _rewrite_index(entry)
    wrong = _score(_net(), benchmark).scores[0]
    assert wrong.value != right.value
    assert _numbers(_score(_net(), benchmark, force=True).scores[0]) == _numbers(right)


def _rewrite_index(entry):
    import hashlib
    index = json.loads((entry / "index.json").read_text())
    content = index["content"]
    content["files"] = {name: hashlib.sha256((entry / name).read_bytes()).hexdigest() for name in content["files"]}
    index["sha256"] = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    (entry / "index.json").write_text(json.dumps(index))


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_a_bit(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


def _wrong_shape(path):
    with np.load(path) as stored:
        arrays = {name: stored[name][:-1] for name in stored.files}
    np.savez(path, **arrays)


DAMAGE = {"truncated reduction file": ("*.npz", _truncate), "bit-flipped reduction file": ("*.npz", _flip_a_bit),
          "valid npz of the wrong shape": ("*.npz", _wrong_shape),
          "garbage index": ("index.json", lambda p: p.write_bytes(b"\x00\xff{not json")),
          "index whose layer list was edited": ("index.json", lambda p: p.write_text(
              p.read_text().replace('"layers": ["0"', '"layers": ["9"'))),
          "reduction file removed": ("*.npz", lambda p: p.unlink())}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_feature_cache_heals_itself(tmp_path, home, damage, fault, caplog):
    fault(f"feature cache: {damage}")
    benchmark = custom_benchmark(*_lab(tmp_path, seed=8))
    right = _score(_net(), benchmark).scores[0]
    entry = next((home / "features").iterdir())
    pattern, harm = DAMAGE[damage]
    for path in entry.glob(pattern):
        harm(path)
    with caplog.at_level(logging.WARNING, logger="mousescore"):
        healed = _score(_net(), benchmark).scores[0]
    assert _numbers(healed) == _numbers(right)
    if damage != "reduction file removed":
        assert "extracted again" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mousescore"):   # and the cache is whole again
        assert _numbers(_score(_net(), benchmark).scores[0]) == _numbers(right)
    assert "extracted again" not in caplog.text


MEMO_DAMAGE = {"truncated derived-data file": _truncate, "bit-flipped derived-data file": _flip_a_bit}


@pytest.mark.parametrize("damage", sorted(MEMO_DAMAGE) + ["derived-data file copied from another key"])
def test_a_damaged_derived_data_file_is_computed_again(tmp_path, home, damage, fault, caplog):
    from mousescore.numerics.disk_memo import disk_memo
    fault(damage)
    calls = []

    @disk_memo
    def reliability(values):
        calls.append(1)
        return values * 2.0

    first = np.arange(2000, dtype=np.float64)
    np.testing.assert_array_equal(reliability(first), first * 2)
    (written,) = (home / "derived").iterdir()
    if damage in MEMO_DAMAGE:
        MEMO_DAMAGE[damage](written)
    else:
        reliability(first + 1)
        other = next(p for p in (home / "derived").iterdir() if p != written)
        shutil.copy(other, written)
    with caplog.at_level(logging.WARNING, logger="mousescore"):
        np.testing.assert_array_equal(reliability(first), first * 2)
    assert "damaged" in caplog.text and len(calls) == 2 + (damage not in MEMO_DAMAGE)


def test_a_code_digest_does_not_follow_the_hash_seed(bad_input):
    import subprocess
    import sys
    bad_input("a module method holding a set literal, digested under two hash seeds")
    code = ("from mousescore.extraction.feature_cache import callable_digest\n"
            "def f(x): return x in {'relu', 'gelu', 'silu', 'tanh', 'mish'}\n"
            "print(callable_digest(f))")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(digests) == 1


def _planned(plan, draws=(0.1, 0.2)):
    from mousescore.results.score import Score
    return Score("m", "b", 0.3, 0.01, "", 0.8, "", 0.375, "l", 1.0, {"l": 0.3}, cv_value=0.2,
                 draws=list(draws), draws_kind=f"bootstrap over stimuli (2 draws{plan})")


def test_verify_and_the_board_pair_draws_only_under_one_plan(bad_input):
    from mousescore.results.record_schema import RecordError, check_draw_counts
    from mousescore.scoring.verify import compare
    bad_input("a record of this version resampled under another plan than the fresh score")
    bad_input("two models' records of one benchmark resampled under different plans")
    legacy, old, new = _planned(""), _planned("; plan aaaaaaaaaaaa"), _planned("; plan bbbbbbbbbbbb", (0.9, 0.9))
    assert compare(legacy, new, 1e-4) == []                      # before 0.3: CV and draws not compared
    assert compare(old, new, 1e-4)[0] == "resampling plan bbbbbbbbbbbb vs recorded aaaaaaaaaaaa"
    records = [{"model": s.model + str(i), "benchmark": "b", "draws": s.draws, "draws_kind": s.draws_kind}
               for i, s in enumerate((old, new))]
    with pytest.raises(RecordError, match="resampled under another plan"):
        check_draw_counts(records)
    check_draw_counts(records[:1] * 2)
