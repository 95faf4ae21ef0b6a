"""A metric written against the Metric contract as it was before LayerReductions (a plain class that
reads ``reduced[key]`` only: no ``derive``, no ``independent_units``, not a subclass of Metric) scores
end to end through ``mousescore.score`` on real data, with the numbers its own methods give."""
import dataclasses

import numpy as np

import mousescore
from mousescore import Registry, units_are_independent
from mousescore.numerics import PredictionEvidence, reductions
from tests.scoring.test_any_model import MEAN, STD, SmallNetPlugin, quiet, small_net

BASE = "antolik2016.V1_region1-srp_ridge"
PROJECTION = reductions.srp(64, 0)


class KernelRidge:
    """Ridge on a 64-component projection with exact leave-one-out predictions; a ResamplableMetric
    by its methods (``layer_evidence`` without ``stimuli``: its CV halves come from this evidence)."""

    identifier = "kernel_ridge_thirdparty"
    options = {"alpha": 10.0}

    def reductions(self):
        return {PROJECTION}

    def layer_evidence(self, reduced, target):
        features = np.asarray(reduced[PROJECTION], dtype=np.float64)
        features = features - features.mean(axis=0)
        n = len(features)
        hat = features @ np.linalg.solve(features.T @ features + self.options["alpha"] * np.eye(features.shape[1]),
                                         features.T)
        centred = target - target.mean(axis=0)
        residuals = (centred - hat @ centred) / (1 - np.diag(hat) - 1 / n)[:, None]
        return PredictionEvidence(target - residuals, target)

    def layer_scores(self, reduced, target):
        return self.layer_evidence(reduced, target).scores()[0]

    def error(self, reduced, target, unit_scores):
        finite = unit_scores[np.isfinite(unit_scores)]
        return float(finite.std(ddof=1) / np.sqrt(len(finite))), "SEM over neurons"


class ScoresOnly:
    """The smallest metric: ``layer_scores`` and ``error`` alone (the Max, no CV value or draws)."""

    identifier = "pixel_free_scores_thirdparty"
    options = {}

    def reductions(self):
        return {PROJECTION}

    def layer_scores(self, reduced, target):
        if PROJECTION not in reduced or len(reduced) != 1:       # reads it as the mapping it always was
            raise AssertionError("the layer's reductions are not as the metric asked")
        return KernelRidge().layer_scores(dict(reduced.items()), target)

    def error(self, reduced, target, unit_scores):
        return 0.0, "none"


def scored(metric, registry):
    benchmark = dataclasses.replace(mousescore.get_registry().get("benchmark", BASE).factory(),
                                    identifier=f"antolik2016.V1_region1-{metric.identifier}", metric=metric)
    return benchmark, mousescore.score("smallnet-random", [benchmark], registry=registry, log=quiet,
                                       progress=False)[0]


def layer_features(benchmark):
    from mousescore.extraction.extract import extract
    from mousescore.registry.specs import LoadedModel
    loaded = LoadedModel(small_net().eval(), input_size=40, mean=MEAN, std=STD)
    return extract(loaded, benchmark.stimuli, {PROJECTION}, progress=False)


def test_a_metric_written_against_the_old_contract_scores_end_to_end(real_data, fresh_home):
    metric = KernelRidge()
    assert isinstance(metric, mousescore.ResamplableMetric)     # the declared independent_units is not required
    assert not units_are_independent(metric)
    benchmark, score = scored(metric, Registry([SmallNetPlugin()]))
    features = layer_features(benchmark)
    expected = {layer: float(np.nanmean(metric.layer_scores(dict(features.reduced[layer]), benchmark.target)))
                for layer in features.layers}
    assert score.layer_profile == expected
    assert score.value == max(expected.values()) and score.best_layer == max(expected, key=expected.get)
    assert np.isfinite(score.cv_value) and len(score.draws) == 200
    assert score.error_kind == "SEM over neurons" and score.n_units == len(benchmark.unit_ids)


def test_a_metric_with_layer_scores_alone_gets_the_max(real_data, fresh_home):
    metric = ScoresOnly()
    assert isinstance(metric, mousescore.Metric) and not isinstance(metric, mousescore.ResamplableMetric)
    benchmark, score = scored(metric, Registry([SmallNetPlugin()]))
    ridge = scored(KernelRidge(), Registry([SmallNetPlugin()]))[1]
    assert score.layer_profile == ridge.layer_profile and score.value == ridge.value
    assert np.isnan(score.cv_value) and score.draws == []


def test_a_metric_that_writes_into_its_layer_reductions_is_refused_with_a_type_error():
    """Memos go through ``reduced.derive``: writing into what extraction computed is an error."""
    import pytest

    from mousescore import StimulusSet
    from mousescore.extraction.extract import LayerFeatures
    from mousescore.scoring.benchmark import neural_benchmark

    class Writes(ScoresOnly):
        def layer_scores(self, reduced, target):
            reduced[reductions.decomposition(PROJECTION)] = "memo"
            return super().layer_scores(reduced, target)

    rng = np.random.default_rng(0)
    stimuli = StimulusSet.create(np.zeros((20, 4, 4)), [f"s{i}" for i in range(20)], attrs={"identifier": "toy"})
    responses = mousescore.NeuroidAssembly.create(rng.normal(size=(20, 3)), stimuli.stimulus_ids(), ["a", "b", "c"])
    benchmark = dataclasses.replace(neural_benchmark("toy.site-ridge", "toy", stimuli, responses), metric=Writes())
    features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids(), layers=["only"],
                             reduced={"only": {PROJECTION: rng.normal(size=(20, 64)).astype(np.float32)}})
    with pytest.raises(TypeError, match="does not support item assignment"):
        benchmark.score("toy", features)
    assert list(features.reduced["only"]) == [PROJECTION]
    dataclasses.replace(benchmark, metric=ScoresOnly()).score("toy", features)     # reading alone scores
