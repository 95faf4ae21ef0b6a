"""BrainIO-format data (generated here in Brain-Score's layout) and the Brain-Score-style PLS metric."""
import io
import zipfile

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from mousescore_majajhong2015.dataset import package_brainio
from mousescore_metrics.pls_metric import PLS
from PIL import Image
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold

from mousescore.data.brainio import read_assembly, read_stimulus_set
from mousescore.errors import DataError
from mousescore.numerics import reductions
from mousescore.numerics.ridge import centered_gram
from mousescore.numerics.stats import pearson_columns

N_IMAGES, N_REPS = 40, 3


@pytest.fixture(scope="module")
def brainio_files(tmp_path_factory):
    """A MajajHong2015-like assembly: presentation × neuroid × time_bin, repeats as presentations."""
    root = tmp_path_factory.mktemp("brainio")
    rng = np.random.default_rng(0)
    image_ids = [f"{rng.integers(16 ** 8):08x}{i:02d}" for i in range(N_IMAGES)]   # sha1-like ids
    order = rng.permutation(np.repeat(np.arange(N_IMAGES), N_REPS))[:-2]  # two trials missing
    tuning = rng.normal(size=(N_IMAGES, 6))
    data = tuning[order] + 0.3 * rng.normal(size=(len(order), 6))
    presentation = {"image_id": ("presentation", np.array(image_ids)[order]),
                    "repetition": ("presentation", np.zeros(len(order), int)),
                    "object_name": ("presentation", np.array([f"obj{i % 8}" for i in order]))}
    neuroid = {"neuroid_id": ("neuroid", [f"Chabo_L_M_{i}" for i in range(6)]),
               "region": ("neuroid", ["V4", "V4", "V4", "IT", "IT", "IT"]),
               "animal": ("neuroid", ["Chabo"] * 3 + ["Tito"] * 3)}
    time = {"time_bin_start": ("time_bin", [70]), "time_bin_end": ("time_bin", [170])}
    array = xr.DataArray(data[:, :, None], dims=("presentation", "neuroid", "time_bin"),
                         coords={**presentation, **neuroid, **time}, name="dicarlo.Test.public")
    dataset = array.to_dataset()
    dataset.attrs.update(identifier="dicarlo.Test.public", stimulus_set_identifier="dicarlo.test-public")
    dataset.to_netcdf(root / "assy.nc", engine="netcdf4")
    files = [f"{i}.png" for i in image_ids]
    pd.DataFrame({"image_id": image_ids, "image_file_name": files,
                  "object_name": [f"obj{i % 8}" for i in range(N_IMAGES)]}).to_csv(root / "stim.csv", index=False)
    with zipfile.ZipFile(root / "stim.zip", "w") as archive:
        for i, name in enumerate(files):
            buffer = io.BytesIO()
            Image.fromarray(rng.integers(0, 255, (32, 32), dtype=np.uint8)).save(buffer, format="PNG")
            archive.writestr(f"dicarlo.test-public/{name}", buffer.getvalue())
    return {"assembly": root / "assy.nc", "stimuli_csv": root / "stim.csv", "stimuli_zip": root / "stim.zip",
            "image_ids": image_ids, "order": order, "data": data, "root": root}


def test_read_assembly_groups_repeats_and_averages_time_bins(brainio_files):
    assembly = read_assembly(brainio_files["assembly"], region="V4")
    assert assembly.dims == ("presentation", "neuroid", "repetition") and assembly.shape == (N_IMAGES, 3, N_REPS)
    assert assembly.attrs["stimulus_set_identifier"] == "dicarlo.test-public"
    assert list(assembly["animal"].values) == ["Chabo"] * 3
    ids, order, data = brainio_files["image_ids"], brainio_files["order"], brainio_files["data"]
    for row, stimulus in enumerate(assembly.stimulus_ids()[:10]):
        trials = data[np.array(ids)[order] == stimulus][:, :3]
        np.testing.assert_allclose(assembly.values[row, :, :len(trials)], trials.T)
        assert np.isnan(assembly.values[row, :, len(trials):]).all()
    assert np.isnan(assembly.values).any(axis=(1,)).sum() == 2     # the two missing trials


def test_read_stimulus_set_in_the_assemblys_order(brainio_files):
    assembly = read_assembly(brainio_files["assembly"])
    stimuli = read_stimulus_set(brainio_files["stimuli_csv"], brainio_files["stimuli_zip"], assembly.stimulus_ids())
    assert stimuli.shape == (N_IMAGES, 32, 32, 1)
    assert list(stimuli.stimulus_ids()) == list(assembly.stimulus_ids())


def test_brainio_errors(brainio_files, tmp_path):
    with pytest.raises(DataError, match="no neuroids in region V1"):
        read_assembly(brainio_files["assembly"], region="V1")
    (tmp_path / "bad.nc").write_bytes(b"junk")
    with pytest.raises(DataError, match="cannot read BrainIO assembly"):
        read_assembly(tmp_path / "bad.nc")
    with pytest.raises(DataError, match="no row for stimuli"):
        read_stimulus_set(brainio_files["stimuli_csv"], brainio_files["stimuli_zip"], ["nope"])


def test_pls_equals_scikit_learn_pca_then_pls():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(60, 300))
    responses = features[:, :8] @ rng.normal(size=(8, 5)) + rng.normal(size=(60, 5))
    metric = PLS(n_components=5, n_pca=30, n_splits=10, seed=0)
    ours = metric.layer_scores({reductions.centered_gram(): centered_gram(features)}, responses)
    scores = PCA(n_components=30).fit_transform(features)
    predictions = np.empty_like(responses)
    for train, test in KFold(10, shuffle=True, random_state=0).split(features):
        pls = PLSRegression(n_components=5, scale=False).fit(scores[train], responses[train])
        predictions[test] = pls.predict(scores[test])
    np.testing.assert_allclose(ours, pearson_columns(predictions, responses), atol=1e-8)
    assert ours.mean() > 0.3


def test_srp_ridge_and_pls_run_on_the_brainio_v4_assembly(brainio_files):
    from mousescore.results.store import ResultStore
    from mousescore.scoring.benchmark import neural_benchmark
    from mousescore.scoring.score_model import score_benchmarks
    products = package_brainio(brainio_files)
    v4 = products["responses"].isel(neuroid=[0, 1, 2])
    benchmarks = [neural_benchmark(f"test.V4-{m}", "test", products["stimuli"], v4, m) for m in ("srp_ridge", "pls")]
    scores = score_benchmarks("alexnet-random", benchmarks, store=ResultStore(brainio_files["root"] / "r.sqlite"),
                              log=lambda message: None, progress=False)
    assert [s.benchmark for s in scores] == ["test.V4-srp_ridge", "test.V4-pls"]
    for score in scores:
        assert np.isfinite(score.value) and -1 < score.value < 1 and score.n_units == 3
        assert 0 < score.ceiling <= 1      # split-half over the repeats


def brainscore_pls_plainly(features, responses):
    """Brain-Score's CrossRegressedCorrelation(pls) as its sources do it (brainscore_vision 2.4.2,
    brainscore_core 2.5.0): ShuffleSplit(10, train_size=0.9, random_state=1) over the stimuli,
    PLSRegression(25, scale=False) on the raw features, scipy's pearsonr per neuroid on the test
    stimuli, median over neuroids per split, mean over splits; error = population SD / sqrt(10)."""
    from scipy.stats import pearsonr
    from sklearn.model_selection import ShuffleSplit
    medians = []
    for train, test in ShuffleSplit(10, train_size=0.9, test_size=None, random_state=1).split(np.zeros(len(features))):
        pls = PLSRegression(n_components=25, scale=False).fit(features[train], responses[train])
        prediction = pls.predict(features[test])
        medians.append(np.median([pearsonr(prediction[:, j], responses[test, j])[0]
                                  for j in range(responses.shape[1])]))
    return float(np.mean(medians)), float(np.std(medians) / np.sqrt(len(medians))), medians


def test_brainscore_pls_equals_the_plain_procedure_on_raw_features():
    from mousescore_metrics.pls_metric import BrainScorePLS
    from sklearn.model_selection import ShuffleSplit
    # The splits are the real package's: split 0's first test rows for 200 stimuli, as brainscore-vision
    # 2.4.2 drew them in its side environment (tools/brainscore_side).
    _, test = next(ShuffleSplit(10, train_size=0.9, random_state=1).split(np.zeros(200)))
    assert list(test[:10]) == [58, 40, 34, 102, 184, 198, 95, 4, 29, 168]
    rng = np.random.default_rng(4)
    features = rng.normal(size=(120, 700))                   # wider than the stimuli: PCA of the Gram
    responses = features[:, :10] @ rng.normal(size=(10, 30)) + 3 * rng.normal(size=(120, 30))
    metric = BrainScorePLS()
    reduced = {reductions.centered_gram(): centered_gram(features)}
    value, units = metric.layer_value(reduced, responses)
    expected, expected_error, medians = brainscore_pls_plainly(features, responses)
    assert value == pytest.approx(expected, abs=1e-8)
    np.testing.assert_allclose(np.nanmedian(metric.split_scores(reduced, responses), axis=1), medians, atol=1e-8)
    assert metric.error(reduced, responses, units)[0] == pytest.approx(expected_error, abs=1e-8)
    assert 0.1 < value < 0.9
    # Not the pooled PCA + PLS convention: on the same data it differs.
    assert abs(PLS().layer_scores(reduced, responses).mean() - value) > 1e-3


def test_benchmark_takes_brainscore_pls_value_not_the_mean_over_neurons():
    from mousescore.data.assemblies import NeuroidAssembly, StimulusSet
    from mousescore.extraction.functions import FeatureFunction, extract_function
    from mousescore.scoring.benchmark import neural_benchmark
    rng = np.random.default_rng(5)
    images = rng.uniform(size=(60, 8, 8, 1)).astype(np.float32)      # as a StimulusSet holds them
    stimuli = StimulusSet.create(images, [f"s{i}" for i in range(60)])
    flat = images.reshape(60, -1).astype(np.float64)
    responses = flat[:, :5] @ rng.normal(size=(5, 12)) + rng.normal(size=(60, 12))
    assembly = NeuroidAssembly.create(responses, [f"s{i}" for i in range(60)], [f"n{i}" for i in range(12)])
    benchmark = neural_benchmark("test.pls_brainscore", "test", stimuli, assembly, "pls_brainscore")
    model = FeatureFunction(lambda batch: {"pixels": batch.reshape(len(batch), -1)})
    features = extract_function(model, stimuli, benchmark.metric.reductions())
    score = benchmark.score("pixels", features)
    expected, expected_error, _ = brainscore_pls_plainly(flat, responses)
    # 1e-6 here, not 1e-8: extraction forms a float32 layer's Gram from float32 products
    assert score.value == pytest.approx(expected, abs=1e-6) and score.error == pytest.approx(expected_error, abs=1e-6)
    assert score.value != pytest.approx(np.mean(list(score.unit_scores.values())), abs=1e-6)
