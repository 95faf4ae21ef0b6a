"""RDMs exchanged with rsatoolbox: mousescore's RSA gives rsatoolbox's numbers, and RDMs go round unchanged."""
import sys

import numpy as np
import pytest
import rsatoolbox.data  # a test dependency (setup.cfg's test extra): missing, the tests fail, never skip
import rsatoolbox.rdm

from mousescore import get_registry
from mousescore.data.assemblies import NeuroidAssembly, StimulusSet
from mousescore.errors import DataError, MousescoreError
from mousescore.extraction.functions import FeatureFunction, extract_function
from mousescore.numerics import reductions
from mousescore.numerics.rsa import compare_rdms, rdm
from mousescore.scoring.benchmark import neural_benchmark
from mousescore.scoring.benchmark_cache import built_benchmark
from mousescore.scoring.rdm_exchange import benchmark_rdms, layer_rdms, rdms_benchmark

AREAS = ("VISp", "VISl", "VISal", "VISrl", "VISam", "VISpm")     # 21 sites in all
PROJECTION = np.random.default_rng(0).standard_normal((31 * 31, 500)).astype(np.float32)


def layers_of(images: np.ndarray) -> dict:
    """Two layers of a fixed function of the images: the pixels, and a random projection of them (500 wide)."""
    pixels = images.reshape(len(images), -1).astype(np.float32)
    return {"pixels": pixels, "random": pixels @ PROJECTION[:pixels.shape[1]]}


def features_of(stimuli: StimulusSet):
    """The layers' features through mousescore's own extraction path, with the rsa metric's reduction."""
    return extract_function(FeatureFunction(layers_of), stimuli, {reductions.correlation()})


@pytest.fixture(scope="module")
def allen(real_data):
    """The registered Allen area RSA benchmarks and a model's features on their scenes."""
    benchmarks = [built_benchmark(get_registry(), f"allen.{area}-rsa") for area in AREAS]
    return benchmarks, features_of(benchmarks[0].stimuli)


def small_stimuli(n=40, seed=1) -> StimulusSet:
    rng = np.random.default_rng(seed)
    return StimulusSet.create(rng.uniform(size=(n, 31, 31)), [f"img{i:02d}" for i in range(n)],
                              attrs={"identifier": "test.small"})


def test_rsa_scores_equal_rsatoolbox_corr_for_every_allen_site(allen):
    benchmarks, features = allen
    model = layer_rdms(features)
    assert list(model.rdm_descriptors["layer"]) == ["pixels", "random"]
    worst = 0.0
    for benchmark in benchmarks:
        neural = benchmark_rdms(benchmark)
        assert list(neural.rdm_descriptors["site"]) == list(benchmark.unit_ids)
        np.testing.assert_array_equal(neural.rdm_descriptors["ceiling"], benchmark.unit_ceilings)
        assert list(neural.pattern_descriptors["stimulus_id"]) == list(benchmark.stimuli.stimulus_ids())
        assert neural.descriptors["benchmark"] == benchmark.identifier and neural.dissimilarity_measure == "correlation"
        expected = rsatoolbox.rdm.compare(model, neural, method="corr")          # layers × sites
        assert expected.shape == (2, len(benchmark.unit_ids)) and np.ptp(expected) > 0.05
        for row, layer in enumerate(features.layers):
            reduced = features.reduced[layer]
            kernel = compare_rdms(1.0 - reduced[reductions.correlation()], benchmark.target)
            metric = benchmark.metric.layer_scores(reduced, benchmark.target)     # the registered 'rsa'
            worst = max(worst, np.abs(kernel - expected[row]).max(), np.abs(metric - expected[row]).max())
        score = benchmark.score("projection", features)                         # the whole score path
        best = features.layers.index(score.best_layer)
        np.testing.assert_allclose(list(score.unit_scores.values()), expected[best], rtol=0, atol=1e-10)
        assert score.value == pytest.approx(expected.mean(axis=1).max(), abs=1e-10)
    assert worst < 1e-10, worst


def test_a_benchmark_goes_round_through_rsatoolbox_unchanged(allen):
    benchmarks, features = allen
    for benchmark in benchmarks[:2]:
        exported = benchmark_rdms(benchmark)
        back = rdms_benchmark(exported, benchmark.stimuli, name="roundtrip")
        assert back.identifier == "custom.roundtrip-rsa"
        assert np.abs(back.target - benchmark.target).max() < 1e-12
        assert back.unit_ids == list(benchmark.unit_ids) and back.ceiling_kind == benchmark.ceiling_kind
        np.testing.assert_array_equal(back.unit_ceilings, benchmark.unit_ceilings)
        first, second = benchmark.score("m", features), back.score("m", features)
        assert second.best_layer == first.best_layer
        for field in ("value", "ceiling", "ceiled_value", "error", "cv_value"):
            assert getattr(second, field) == pytest.approx(getattr(first, field), abs=1e-12), field
        np.testing.assert_allclose(second.draws, first.draws, rtol=0, atol=1e-12)
        np.testing.assert_allclose(list(second.unit_scores.values()), list(first.unit_scores.values()),
                                   rtol=0, atol=1e-12)
    # patterns in another order are matched back by stimulus id
    shuffled = benchmark_rdms(benchmarks[0])
    shuffled.reorder(np.random.default_rng(2).permutation(shuffled.n_cond))
    assert list(shuffled.pattern_descriptors["stimulus_id"]) != list(benchmarks[0].stimuli.stimulus_ids())
    back = rdms_benchmark(shuffled, benchmarks[0].stimuli)
    assert np.abs(back.target - benchmarks[0].target).max() < 1e-12


def test_layer_rdms_equal_rsatoolbox_calc_rdm_correlation():
    stimuli = small_stimuli()
    features = features_of(stimuli)
    ours = layer_rdms(features, layers=["random"])
    rows = layers_of(stimuli.values)["random"].astype(np.float64)            # what extraction saw (float32)
    theirs = rsatoolbox.rdm.calc_rdm(rsatoolbox.data.Dataset(rows), method="correlation")
    assert ours.n_rdm == 1 and ours.n_cond == 40 and list(ours.rdm_descriptors["layer"]) == ["random"]
    assert list(ours.pattern_descriptors["stimulus_id"]) == list(stimuli.stimulus_ids())
    assert np.abs(ours.get_vectors() - theirs.get_vectors()).max() < 1e-10
    assert np.abs(ours.get_matrices()[0] - rdm(rows)).max() < 1e-12           # numerics.rsa.rdm, off the diagonal too
    assert list(layer_rdms(features, layers="p*").rdm_descriptors["layer"]) == ["pixels"]


def test_a_per_neuron_benchmark_gives_the_rdm_of_its_responses():
    stimuli = small_stimuli(n=12)
    rng = np.random.default_rng(3)
    values = rng.normal(size=(12, 6, 4))
    values[5, 2, :] = np.nan                                               # a neuron never shown stimulus 5
    responses = NeuroidAssembly.create(values, stimuli.stimulus_ids(), [f"n{i}" for i in range(6)], repetition=True)
    benchmark = neural_benchmark("test.small-srp_ridge", "test", stimuli, responses)
    exported = benchmark_rdms(benchmark)
    kept = np.delete(values.mean(axis=2), 2, axis=1)
    theirs = rsatoolbox.rdm.calc_rdm(rsatoolbox.data.Dataset(kept), method="correlation")
    assert list(exported.rdm_descriptors["site"]) == ["all"] and np.isnan(exported.rdm_descriptors["ceiling"][0])
    assert "5 neurons (1 with missing" in exported.descriptors["source"]
    assert np.abs(exported.get_vectors() - theirs.get_vectors()).max() < 1e-10


def test_mismatched_bad_or_unnamed_patterns_are_clear_data_errors():
    stimuli = small_stimuli(n=8)
    ids = list(stimuli.stimulus_ids())
    matrices = rdm(np.random.default_rng(4).normal(size=(8, 20)))[None]

    def rdms(ids=ids, matrices=matrices, measure="correlation"):
        return rsatoolbox.rdm.RDMs(matrices, dissimilarity_measure=measure,
                                   pattern_descriptors=None if ids is None else {"stimulus_id": list(ids)})

    with pytest.raises(DataError, match=r"no RDM patterns for \['img03'\].*no image for \['scene_x'\]"):
        rdms_benchmark(rdms(ids[:3] + ["scene_x"] + ids[4:]), stimuli)
    with pytest.raises(DataError, match=r"duplicate stimulus ids .*\['img00'\]"):
        rdms_benchmark(rdms(["img00"] + ids[:7]), stimuli)
    with pytest.raises(DataError, match="no pattern descriptor 'stimulus_id' for 7 stimuli"):
        rdms_benchmark(rdms(None), StimulusSet(stimuli.isel(presentation=slice(7))))
    holed = matrices.copy()
    holed[0, 1, 2] = holed[0, 2, 1] = np.nan
    with pytest.raises(DataError, match="RDM 0 has 1 NaN or infinite"):
        rdms_benchmark(rdms(matrices=holed), stimuli)
    with pytest.raises(DataError, match="2 ceilings for 1 RDMs"):
        rdms_benchmark(rdms(), stimuli, ceilings=[0.5, 0.5])
    # unnamed patterns go by position; another measure is accepted and recorded
    by_position = rdms_benchmark(rdms(None, measure="euclidean"), stimuli, name="lab")
    assert by_position.unit_ids == ["lab_0"] and np.isnan(by_position.unit_ceilings[0])
    assert by_position.metadata["dissimilarity_measure"] == "euclidean" and "'euclidean'" in by_position.ceiling_kind
    assert np.abs(by_position.target[0] - matrices[0]).max() < 1e-12
    assert "dissimilarity" not in rdms_benchmark(rdms(), stimuli).ceiling_kind


def test_without_rsatoolbox_the_error_says_what_to_install(monkeypatch):
    for module in ("rsatoolbox", "rsatoolbox.rdm"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MousescoreError, match=r"pip install 'mousescore\[rsa\]'"):
        layer_rdms(features_of(small_stimuli(n=4)))
