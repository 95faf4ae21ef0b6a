"""Neural data that cannot be scored are refused before any model runs, with the reason (issue 31,
class 4): duplicate ids, too few stimuli for the metric, RDMs that are not dissimilarity matrices,
values that are not real numbers, repetition dims without repeats, and files whose headers declare
more than they hold or than memory allows. A neuron with one usable repeat is left out of the
ceiling, and the ceiling kind says so."""
import numpy as np
import pytest
import xarray as xr
from PIL import Image

import mousescore
from mousescore.data import headers
from mousescore.data.brainio import from_brainio, read_assembly
from mousescore.errors import DataError
from mousescore.scoring.own_data import custom_benchmark

N = 12
IDS = [f"img{i:02d}" for i in range(N)]
DECLARED_149_GIB = (6, 200000, 16660)      # 19,992,000,000 float64 values


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("neural") / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for stimulus_id in IDS:
        Image.fromarray(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)).save(folder / f"{stimulus_id}.png")
    return folder


def pixels(batch):
    flat = np.asarray(batch, dtype=np.float64).reshape(len(batch), -1)
    return {"a": flat[:, :80], "b": flat[:, 80:] ** 2}


def score_of(benchmark):
    return mousescore.score(pixels, benchmark, log=lambda message: None, progress=False)[0]


def responses(n=N, neuroids=5, repeats=3, seed=1):
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(n, neuroids, 1))
    return signal + 0.5 * rng.normal(size=(n, neuroids, repeats)) if repeats else signal[..., 0]


def lab_array(values, neuroid_ids=None, stimulus_ids=None):
    dims = ("presentation", "neuroid", "repetition")[:values.ndim]
    return xr.DataArray(values, dims=dims, name="lab", coords={
        "stimulus_id": ("presentation", stimulus_ids or IDS[:values.shape[0]]),
        "neuroid_id": ("neuroid", neuroid_ids or [f"n{i}" for i in range(values.shape[1])])})


def order_file(root, n):
    (root / "order.txt").write_text("\n".join(IDS[:n]))
    return root / "order.txt"


def forged_npy(path, shape, dtype="<f8", payload=8000):
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": dtype, "fortran_order": False, "shape": shape})
        handle.write(b"\0" * payload)
    return path


def forged_netcdf(path, shape=DECLARED_149_GIB):
    """A netCDF file of a few KB whose one variable declares ``shape`` (compressed, never written)."""
    import netCDF4
    with netCDF4.Dataset(path, "w") as dataset:
        for dim, size in zip(("presentation", "neuroid", "repetition"), shape):
            dataset.createDimension(dim, size)
        dataset.createVariable("lab", "f8", ("presentation", "neuroid", "repetition"), zlib=True,
                               chunksizes=(1, 1000, 1000))
    return path


def similarity(n=N, seed=2):
    return np.corrcoef(np.random.default_rng(seed).normal(size=(n, 10)))


# ---- every case: (what, how to build the arguments of custom_benchmark, the error's words) ---------------

def _npy(root, name, values):
    np.save(root / name, values, allow_pickle=values.dtype == object)
    return root / name


def _netcdf(root, array, name="a.nc"):
    array.to_netcdf(root / name, engine="netcdf4")
    return root / name


def _one_repeat_everywhere(values):
    values = values.copy()
    values[0, :, 1:] = np.nan          # the first stimulus has one repeat in every neuroid
    return values


CASES = {
    # duplicate ids: 3 of 5 neurons silently vanished from the unit scores
    "duplicate neuroid ids in a netCDF assembly": (
        lambda root: {"assembly": _netcdf(root, lab_array(responses(), ["n0", "n0", "n0", "n3", "n4"]))},
        "duplicate neuroid ids: ['n0'] (1 ids, 3 entries)"),
    "duplicate neuroid ids in an in-memory assembly": (
        lambda root: {"assembly": lab_array(responses(), ["n0", "n0", "n0", "n3", "n4"])},
        "duplicate neuroid ids: ['n0']"),
    "duplicate neuroid ids in a neuroid table": (
        lambda root: {"responses": _npy(root, "r.npy", responses()),
                      "neuroids": _text(root, "n.csv", "neuroid_id\nu\nu\nu\nv\nw\n")},
        "duplicate neuroid ids: ['u']"),
    "duplicate neuroid ids in an in-memory BrainIO assembly": (
        lambda root: {"assembly": xr.DataArray(responses(repeats=0), dims=("presentation", "neuroid"), coords={
            "stimulus_id": ("presentation", IDS), "neuroid_id": ("neuroid", ["a", "b", "a", "c", "d"])})},
        "duplicate neuroid ids: ['a']"),
    "duplicate stimulus ids in an assembly with repeats": (
        lambda root: {"assembly": lab_array(responses(), stimulus_ids=IDS[:-1] + ["img00"])},
        "duplicate stimulus ids in NeuroidAssembly: ['img00'] (1 ids, 2 entries)"),
    # fewer stimuli than the metric needs: 2 stimuli gave -1.0000 +- 0 with ceiling -inf
    "2 stimuli for srp_ridge": (
        lambda root: {"responses": _npy(root, "r.npy", responses(2)), "stimulus_ids": order_file(root, 2)},
        "2 stimuli, and the srp_ridge metric needs at least 3"),
    "2 stimuli for ridge": (
        lambda root: {"responses": _npy(root, "r.npy", responses(2)), "stimulus_ids": order_file(root, 2),
                      "metric": "ridge"},
        "2 stimuli, and the ridge metric needs at least 3"),
    "3 stimuli for an RDM": (
        lambda root: {"rdm": _npy(root, "rdm.npy", 1 - similarity(3)), "stimulus_ids": order_file(root, 3)},
        "3 stimuli, and the rsa metric needs at least 4"),
    "2 stimuli for an RDM": (
        lambda root: {"rdm": _npy(root, "rdm.npy", 1 - np.eye(2)), "stimulus_ids": order_file(root, 2)},
        "2 stimuli, and the rsa metric needs at least 4"),
    "3 stimuli for RSA on responses": (
        lambda root: {"responses": _npy(root, "r.npy", responses(3)), "stimulus_ids": order_file(root, 3),
                      "metric": "rsa"},
        "3 stimuli, and the rsa metric needs at least 4"),
    "9 stimuli for 10-fold PLS": (
        lambda root: {"responses": _npy(root, "r.npy", responses(9)), "stimulus_ids": order_file(root, 9),
                      "metric": "pls"},
        "9 stimuli, and the pls metric needs at least 10"),
    # RDMs that are not dissimilarity matrices
    "similarity matrix given as an RDM": (
        lambda root: {"rdm": _npy(root, "rdm.npy", similarity())},
        "looks like a similarity (correlation) matrix"),
    "RDM with negative dissimilarities": (
        lambda root: {"rdm": _npy(root, "rdm.npy", (1 - similarity()) - 0.5 * (1 - np.eye(N)))},
        "the RDM has negative entries"),
    "RDM with a nonzero diagonal": (
        lambda root: {"rdm": _npy(root, "rdm.npy", 1 - similarity() + 0.3 * np.eye(N))},
        "diagonal (each stimulus's dissimilarity to itself) must be 0, not 0.3"),
    "complex RDM": (
        lambda root: {"rdm": _npy(root, "rdm.npy", (1 - similarity()).astype(complex))},
        "holds complex numbers (dtype <c16)"),
    "RDM of strings": (
        lambda root: {"rdm": _npy(root, "rdm.npy", (1 - similarity()).astype(str))}, "holds strings"),
    "RDM of Python objects": (
        lambda root: {"rdm": _npy(root, "rdm.npy", (1 - similarity()).astype(object))}, "holds Python objects"),
    "RDM of booleans": (
        lambda root: {"rdm": _npy(root, "rdm.npy", (1 - similarity()) > 1)}, "holds booleans"),
    "RDM whose dissimilarities are all equal": (
        lambda root: {"rdm": _npy(root, "rdm.npy", 1 - np.eye(N))}, "every off-diagonal entry of the RDM is 1"),
    "RDM of one number": (lambda root: {"rdm": _npy(root, "rdm.npy", np.float64(3))}, "a single number"),
    "RDM of huge dissimilarities": (
        lambda root: {"rdm": _npy(root, "rdm.npy", (1 - similarity()) * 1e40)}, "outside [1e-30, 1e+30]"),
    "RDM file that does not exist": (lambda root: {"rdm": root / "nowhere.npy"}, "file not found"),
    ".npy RDM declaring 149 GiB in 8 KB": (
        lambda root: {"rdm": forged_npy(root / "rdm.npy", DECLARED_149_GIB)},
        "declares shape (6, 200000, 16660) (159,936,000,000 bytes of <f8) but holds only 8,000"),
    "a .npy file that is not one": (
        lambda root: {"responses": _bytes(root, "r.npy", b"PK\x03\x04 not numpy")}, "not a readable .npy file"),
    # responses that are not real numbers, or cannot be scored
    "responses of strings": (
        lambda root: {"responses": _npy(root, "r.npy", responses().astype(str))}, "holds strings"),
    "complex responses": (
        lambda root: {"responses": _npy(root, "r.npy", responses().astype(complex))}, "holds complex numbers"),
    "boolean responses": (
        lambda root: {"responses": _npy(root, "r.npy", responses() > 0)}, "holds booleans"),
    "responses of Python objects": (
        lambda root: {"responses": _npy(root, "r.npy", responses().astype(object))}, "holds Python objects"),
    "responses of dates": (
        lambda root: {"responses": _npy(root, "r.npy", np.zeros((N, 5), dtype="datetime64[s]"))}, "holds dates"),
    "responses as structured records": (
        lambda root: {"responses": _npy(root, "r.npy", np.zeros((N, 5), dtype=[("a", "f8"), ("b", "i4")]))},
        "holds raw or structured records"),
    "in-memory assembly of Python objects": (
        lambda root: {"assembly": lab_array(responses().astype(object))}, "holds Python objects"),
    "in-memory BrainIO assembly of strings": (
        lambda root: {"assembly": xr.DataArray(responses(repeats=0).astype(str), dims=("presentation", "neuroid"),
                                               coords={"stimulus_id": ("presentation", IDS)})},
        "the data holds strings"),
    "infinite responses": (
        lambda root: {"responses": _npy(root, "r.npy", np.where(np.eye(N, 5)[..., None] == 1, np.inf, responses()))},
        "hold 15 infinite values: mark a missing response with NaN"),
    "responses of magnitude 1e150": (
        lambda root: {"responses": _npy(root, "r.npy", responses() * 1e150)}, "outside [1e-30, 1e+30]"),
    "responses of magnitude 1e-150": (
        lambda root: {"responses": _npy(root, "r.npy", responses() * 1e-150)}, "outside [1e-30, 1e+30]"),
    "responses constant in every neuroid": (
        lambda root: {"responses": _npy(root, "r.npy", np.ones((N, 5, 3)))}, "no neuroid's mean response varies"),
    "a repetition dim of size 1 (.npy)": (
        lambda root: {"responses": _npy(root, "r.npy", responses(repeats=1))},
        "the repetition dim has 1 repeat(s), and a split-half ceiling needs at least 2"),
    "a repetition dim of size 1 (netCDF)": (
        lambda root: {"assembly": _netcdf(root, lab_array(responses(repeats=1)))},
        "the repetition dim has 1 repeat(s)"),
    "a repetition dim of size 0": (
        lambda root: {"assembly": lab_array(np.zeros((N, 5, 0)))}, "no entries along ['repetition']"),
    "no neuroids, with repeats": (lambda root: {"assembly": lab_array(np.zeros((N, 0, 3)))},
                                  "no entries along ['neuroid']"),
    "a stimulus with one repeat in every neuroid": (
        lambda root: {"responses": _npy(root, "r.npy", _one_repeat_everywhere(responses()))},
        "no neuroid has 2 usable (non-NaN) repeats of every stimulus"),
    "an assembly with an extra dim": (
        lambda root: {"assembly": xr.DataArray(np.zeros((N, 5, 3, 2)), dims=("presentation", "neuroid", "repetition",
                                                                           "time_bin"),
                                               coords={"stimulus_id": ("presentation", IDS)})},
        "average or select over ['time_bin'] first"),
    ".npy responses declaring 149 GiB in 8 KB": (
        lambda root: {"responses": forged_npy(root / "r.npy", DECLARED_149_GIB)},
        "but holds only 8,000: the file is truncated or corrupt"),
    "netCDF assembly declaring 149 GiB in a few KB": (
        lambda root: {"assembly": forged_netcdf(root / "a.nc")},
        "declares 19,992,000,000 values (149 GiB as float64), more than the"),
    "responses file that is a folder": (lambda root: {"responses": root}, "a folder, not a file"),
    # RSA on responses
    "RSA on responses of 2 neuroids": (
        lambda root: {"responses": _npy(root, "r.npy", responses(neuroids=2)), "metric": "rsa"},
        "an RDM over 2 neuroid(s) is degenerate"),
    "RSA on responses with a neuroid missing a stimulus": (
        lambda root: {"responses": _npy(root, "r.npy", np.where(np.eye(N, 5)[..., None] * [1, 1, 1] == 1, np.nan,
                                                               responses())), "metric": "rsa"},
        "have no response to some stimuli"),
    "RSA on responses with a stimulus the same in every neuroid": (
        lambda root: {"responses": _npy(root, "r.npy", np.concatenate([np.ones((1, 5, 3)), responses()[1:]])),
                      "metric": "rsa"},
        "stimuli ['img00'] have the same response in every neuroid"),
    # side files
    "neuroid table with a column named stimulus_id": (
        lambda root: {"responses": _npy(root, "r.npy", responses()),
                      "neuroids": _text(root, "n.csv", "stimulus_id\n1\n2\n3\n4\n5\n")},
        "columns ['stimulus_id'] name a dim or the stimulus id"),
    "empty neuroid table": (
        lambda root: {"responses": _npy(root, "r.npy", responses()), "neuroids": _text(root, "n.csv", "")},
        "not a readable CSV neuroid table"),
    "stimulus ids file that is not text": (
        lambda root: {"responses": _npy(root, "r.npy", responses()),
                      "stimulus_ids": _bytes(root, "order.txt", b"\xff\xfe\x00\x81")},
        "not a UTF-8 text file of stimulus ids"),
    "empty stimulus ids file": (
        lambda root: {"responses": _npy(root, "r.npy", responses()), "stimulus_ids": _text(root, "order.txt", "\n")},
        "no stimulus ids"),
}


def _text(root, name, text):
    (root / name).write_text(text)
    return root / name


def _bytes(root, name, data):
    (root / name).write_bytes(data)
    return root / name


@pytest.mark.parametrize("case", sorted(CASES))
def test_unscorable_neural_data_is_refused_with_the_reason(case, images, tmp_path, bad_input):
    bad_input(case)
    build, expected = CASES[case]
    arguments = build(tmp_path)
    with pytest.raises(DataError) as refused:
        custom_benchmark(images, **arguments)
    assert expected in str(refused.value)


@pytest.mark.parametrize("metric, n_stimuli", [("srp_ridge", 3), ("ridge", 3), ("rsa", 4), ("pls", 10)])
def test_a_metric_scores_at_its_declared_minimum(metric, n_stimuli, images, tmp_path):
    rdm = 1 - similarity(n_stimuli) if metric == "rsa" else None
    target = ({"rdm": _npy(tmp_path, "rdm.npy", rdm)} if rdm is not None
              else {"responses": _npy(tmp_path, "r.npy", responses(n_stimuli))})
    benchmark = custom_benchmark(images, stimulus_ids=order_file(tmp_path, n_stimuli), metric=metric, **target)
    assert benchmark.metric.min_stimuli == n_stimuli
    assert np.isfinite(score_of(benchmark).value)


def test_brainscore_pls_needs_three_test_stimuli_per_split():
    from mousescore_metrics.pls_metric import BrainScorePLS, min_stimuli_for_test_split
    from sklearn.model_selection import ShuffleSplit
    assert BrainScorePLS().min_stimuli == 21 == min_stimuli_for_test_split(0.9)
    for n, test_size in ((20, 2), (21, 3)):
        splits = ShuffleSplit(10, train_size=0.9, random_state=1).split(np.zeros(n))
        assert {len(test) for _, test in splits} == {test_size}


def test_a_neuron_with_one_usable_repeat_is_left_out_of_the_ceiling_and_counted(images, tmp_path, bad_input):
    bad_input("a neuron with one usable repeat")
    values = responses()
    values[:, 2, 1:] = np.nan                  # neuron n2: one repeat of every stimulus
    benchmark = custom_benchmark(images, assembly=lab_array(values))
    assert np.isnan(benchmark.unit_ceilings[2]) and np.isfinite(np.delete(benchmark.unit_ceilings, 2)).all()
    score = score_of(benchmark)
    scored = np.isfinite([score.unit_scores[f"n{i}"] for i in range(5)])
    assert scored[2]                           # its score still counts; only its ceiling is missing
    expected = np.mean(benchmark.unit_ceilings[scored & np.isfinite(benchmark.unit_ceilings)])
    assert score.ceiling == pytest.approx(expected, abs=1e-12) and np.isfinite(score.ceiling)
    assert "1 of 5 neurons have no split-half ceiling" in score.ceiling_kind


def test_rsa_ceiling_leaves_out_neuroids_with_one_repeat(images, tmp_path, bad_input):
    from mousescore.numerics.rsa import split_half_rdm_reliability
    bad_input("a neuroid with one usable repeat, RSA on responses")
    values = responses(neuroids=6)
    values[:, 5, 1:] = np.nan
    benchmark = custom_benchmark(images, assembly=lab_array(values), metric="rsa")
    assert benchmark.unit_ceilings[0] == pytest.approx(split_half_rdm_reliability(values[:, :5]), abs=1e-12)
    assert "over the 5 of 6 neuroids with 2 usable repeats" in benchmark.ceiling_kind


def test_forged_and_over_budget_headers_are_refused_before_allocating(tmp_path, monkeypatch, bad_input, fault):
    fault("truncated responses .npy (cut in half)")
    np.save(tmp_path / "r.npy", responses())
    data = (tmp_path / "r.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:len(data) // 2])
    with pytest.raises(DataError, match="the file is truncated or corrupt"):
        headers.load_npy(tmp_path / "cut.npy")

    fault("a .npy header whose shape was overwritten")
    (tmp_path / "forged.npy").write_bytes(data.replace(b"(12, 5, 3)", b"(12, 5, 9)"))
    with pytest.raises(DataError, match=r"declares shape \(12, 5, 9\)"):
        headers.load_npy(tmp_path / "forged.npy")

    fault("truncated netCDF assembly")
    lab_array(responses()).to_netcdf(tmp_path / "a.nc", engine="netcdf4")
    (tmp_path / "cut.nc").write_bytes((tmp_path / "a.nc").read_bytes()[:600])
    with pytest.raises(DataError, match="cannot read netCDF file"):
        mousescore.load_netcdf(tmp_path / "cut.nc")

    bad_input("BrainIO netCDF declaring 149 GiB")
    with pytest.raises(DataError, match=r"149 GiB as float64"):
        read_assembly(forged_netcdf(tmp_path / "brainio.nc"))

    bad_input("a whole .npy file over a 1 MB load budget")
    monkeypatch.setattr(headers, "load_budget_bytes", lambda: 1 << 20)
    np.save(tmp_path / "big.npy", np.zeros((400, 400)))      # 1.2 MB, complete
    with pytest.raises(DataError, match="more than the 0.000977 GiB of memory available now"):
        headers.load_npy(tmp_path / "big.npy")

    bad_input("BrainIO trials padding to more than the load budget")
    trials = xr.DataArray(np.zeros((1000 + 99, 200)), dims=("presentation", "neuroid"), coords={
        "stimulus_id": ("presentation", ["often"] * 1000 + [f"s{i}" for i in range(99)])})
    with pytest.raises(DataError, match="padded to stimuli × neuroids × repeats, the data declares 20,000,000"):
        from_brainio(trials)


def test_the_load_budget_is_the_memory_limit_less_what_the_process_holds():
    from mousescore import config
    with config.override(memory_limit_gb=1e6):
        budget = headers.load_budget_bytes()
    assert 1e6 * 2 ** 30 - 2 ** 34 < budget <= 1e6 * 2 ** 30
    with config.override(memory_limit_gb=0.0):
        assert headers.load_budget_bytes() == 0


def test_a_complete_npy_header_is_read_without_loading(tmp_path):
    np.save(tmp_path / "r.npy", np.zeros((7, 3, 2), dtype=np.float32))
    header = headers.check_npy(tmp_path / "r.npy")
    assert header.shape == (7, 3, 2) and header.dtype == np.float32 and header.n_values == 42


@pytest.mark.parametrize("n_stimuli", [1, 3])
def test_rsa_on_responses_refuses_too_few_stimuli_before_its_ceiling(n_stimuli, images, tmp_path):
    """Found by Hypothesis: one stimulus's RDM has no pairs, and its split-half ceiling failed inside
    numpy instead of saying why."""
    with pytest.raises(DataError, match="rsa metric needs at least 4"):
        custom_benchmark(images, stimulus_ids=order_file(tmp_path, n_stimuli), metric="rsa",
                         responses=_npy(tmp_path, "r.npy", responses(n_stimuli)))
