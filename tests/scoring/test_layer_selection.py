"""Cross-validated layer selection beside the Max, and bootstrap draws, on benchmark objects."""
import warnings

import numpy as np
import pytest

from mousescore import StimulusSet
from mousescore.extraction.extract import LayerFeatures
from mousescore.numerics import reductions
from mousescore.numerics.ridge import centered_gram
from mousescore.numerics.rsa import correlation_matrix
from mousescore.scoring.benchmark import rdm_benchmark
from mousescore.scoring.layer_pass import N_SPLITS, selected_unit_means, summarize, unit_selection


def _stimuli(n):
    return StimulusSet.create(np.zeros((n, 4, 4)), [f"s{i}" for i in range(n)], attrs={"identifier": f"noise-{n}"})


def cross_validated_value(half_means):
    """The plain reference: ``half_means`` per layer (execution order) its mean over units on each
    half, first the splits' halves then their complements; the layer is chosen on one half (first
    layer wins ties) and reported on the other, both ways round, and the reports averaged."""
    table = np.array(list(half_means.values()))
    n_splits, reported = table.shape[1] // 2, []
    for chosen_on, reported_on in [(s, s + n_splits) for s in range(n_splits)] + \
                                  [(s + n_splits, s) for s in range(n_splits)]:
        column = np.where(np.isfinite(table[:, chosen_on]), table[:, chosen_on], -np.inf)
        if np.isfinite(column).any():
            reported.append(table[int(np.argmax(column)), reported_on])
    return float(np.nanmean(reported))


def test_the_reference_chooses_on_one_half_and_reports_the_other():
    halves = {"a": np.array([0.9, 0.1, 0.0, 0.5]), "b": np.array([0.2, 0.3, 0.8, 0.4])}
    # split 0: a chosen on its first half (0.9), reported on the complement (0.0); both ways round
    # split 1: b chosen (0.3 > 0.1), reported 0.4; complement 0: b chosen (0.8), reported 0.2;
    # complement 1: a chosen (0.5), reported 0.1.
    assert cross_validated_value(halves) == pytest.approx(np.mean([0.0, 0.4, 0.2, 0.1]))


def _loo_ridge(x, y, alpha=1.0):
    """Plain leave-one-out ridge with an intercept: each row predicted by a fit on the others."""
    predicted = np.empty_like(y)
    for j in range(len(x)):
        rest = np.arange(len(x)) != j
        mean_x, mean_y = x[rest].mean(axis=0), y[rest].mean(axis=0)
        xc = x[rest] - mean_x
        weights = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (y[rest] - mean_y))
        predicted[j] = (x[j] - mean_x) @ weights + mean_y
    return predicted


def test_the_cv_value_fits_ridge_within_each_half_as_scikit_learn_does():
    """Each half's leave-one-out predictions come from that half alone (scikit-learn's Ridge refit on
    the half without the stimulus), and the pass's CV value is the reference's over those halves; its
    jackknife is the reference's CV value with each stimulus left out (every half refitted without it,
    the layer chosen again)."""
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import LeaveOneOut, cross_val_predict

    from mousescore import NeuroidAssembly
    from mousescore.numerics.resampling import half_splits
    from mousescore.numerics.stats import pearson_columns
    from mousescore.scoring.benchmark import neural_benchmark
    rng = np.random.default_rng(11)
    n, neurons = 24, 3
    stimuli = _stimuli(n)
    signal = rng.normal(size=(n, 2))
    responses = signal @ rng.normal(size=(2, neurons)) + rng.normal(size=(n, neurons))
    benchmark = neural_benchmark("toy.site-ridge", "toy", stimuli, NeuroidAssembly.create(
        responses, stimuli.stimulus_ids(), [f"n{i}" for i in range(neurons)]), metric="ridge")
    layers = {name: signal @ rng.normal(size=(2, 6)) + scale * rng.normal(size=(n, 6))
              for name, scale in (("a", 0.5), ("b", 2.0), ("c", 1.0))}
    features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids(), layers=list(layers))
    features.reduced = {name: {reductions.centered_gram(): centered_gram(x)} for name, x in layers.items()}
    from mousescore.data.identity import stimuli_digest
    halves = [np.flatnonzero(row) for row in half_splits(n, stimuli_digest(stimuli), n_splits=N_SPLITS).matrix]
    means = {}
    for name, x in layers.items():
        per_half = []
        for half in halves:
            predicted = cross_val_predict(Ridge(alpha=1.0), x[half], responses[half], cv=LeaveOneOut())
            per_half.append(np.nanmean(pearson_columns(predicted, responses[half])))
        means[name] = np.array(per_half)
    summary = summarize([benchmark], features)[id(benchmark)]
    assert summary.cv_value == pytest.approx(cross_validated_value(means), abs=1e-9)
    assert summary.cv_within_halves and not summary.cv_draws
    left_out = []
    for i in range(n):
        kept = {name: np.array([np.nanmean(pearson_columns(_loo_ridge(x[h[h != i]], responses[h[h != i]]),
                                                           responses[h[h != i]])) for h in halves])
                for name, x in layers.items()}
        left_out.append(cross_validated_value(kept))
    assert np.allclose(summary.cv_jackknife, np.array(left_out) - np.mean(left_out), atol=1e-9)
    assert np.std(left_out) > 1e-3          # the stimuli do move it


def test_on_layers_of_pure_noise_the_max_is_above_zero_and_the_cross_validated_value_is_not():
    rng = np.random.default_rng(0)
    n, n_layers = 40, 60
    stimuli = _stimuli(n)
    neural = 1 - correlation_matrix(rng.normal(size=(n, 200)))
    benchmark = rdm_benchmark("noise.site-rsa", "noise", stimuli, neural, stimuli.stimulus_ids(), ["site"],
                              [1.0], "none")
    features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids(), layers=[f"l{i}" for i in range(n_layers)])
    features.reduced = {layer: {reductions.correlation(): correlation_matrix(rng.normal(size=(n, 100)))}
                        for layer in features.layers}
    score = benchmark.score("noise", features)
    spread = np.std(list(score.layer_profile.values()))
    assert score.value > 2 * spread > 0.05                    # the luckiest of 60 draws
    assert abs(score.cv_value) < 0.3 * score.value            # the held-out half sees no luck
    assert "other half" in score.cv_kind
    assert len(score.draws) == 200 and "bootstrap over stimuli" in score.draws_kind
    low, high = score.interval()
    assert low < score.value < high


def test_draws_use_the_same_indices_for_every_model_and_a_model_against_itself_differs_by_zero():
    from mousescore import NeuroidAssembly
    from mousescore.scoring.benchmark import neural_benchmark
    rng = np.random.default_rng(1)
    n = 50
    stimuli = _stimuli(n)
    signal = rng.normal(size=(n, 3))
    responses = NeuroidAssembly.create(signal @ rng.normal(size=(3, 20)) + rng.normal(size=(n, 20)),
                                       stimuli.stimulus_ids(), [f"n{i}" for i in range(20)])
    benchmark = neural_benchmark("toy.site-ridge", "toy", stimuli, responses, metric="ridge")

    def features_of(weights):
        layer = LayerFeatures(stimulus_ids=stimuli.stimulus_ids(), layers=["only"])
        layer.reduced = {"only": {reductions.centered_gram(): centered_gram(signal @ weights)}}
        return layer

    first = benchmark.score("a", features_of(rng.normal(size=(3, 30))))
    again = benchmark.score("a-again", features_of(rng.normal(size=(3, 30))))
    assert "neurons" in first.draws_kind
    np.testing.assert_array_equal(np.subtract(first.draws, first.draws), 0.0)
    # same signal, other weights: different values, same resampling (the draws move together)
    assert np.corrcoef(first.draws, again.draws)[0, 1] > 0.9


class _PredictionsAsFeatures:
    """A metric whose 'reduced features' are already predictions: the known-difference test
    controls each model's predictions exactly."""
    identifier = "given_predictions"
    options = {}
    KEY = ("given",)

    def reductions(self):
        return {self.KEY}

    def layer_scores(self, reduced, target):
        return self.layer_evidence(reduced, target).scores()[0]

    def layer_evidence(self, reduced, target):
        from mousescore.numerics import PredictionEvidence
        return PredictionEvidence(reduced[self.KEY], target)

    def error(self, reduced, target, unit_scores):
        return 0.0, "none"


def test_the_paired_interval_of_two_models_covers_their_known_difference_and_is_zero_against_itself():
    """Responses y = s + e (unit variances) and predictions s + noise of variance 0.25 (model A) or
    1 (model B): their population r are 1/√(1.25·2) and 1/√(2·2), a known difference of 0.1325."""
    from mousescore import Benchmark
    from mousescore.results.score import paired_difference
    rng = np.random.default_rng(4)
    n, neurons = 400, 30
    stimuli = _stimuli(n)
    signal = rng.normal(size=(n, neurons))
    responses = signal + rng.normal(size=(n, neurons))
    benchmark = Benchmark("known.site-given", "known", _PredictionsAsFeatures(), stimuli, responses,
                          [f"n{i}" for i in range(neurons)], np.ones(neurons), "none")

    def scored(noise_sd):
        features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids(), layers=["only"])
        features.reduced = {"only": {_PredictionsAsFeatures.KEY: signal + noise_sd * rng.normal(size=(n, neurons))}}
        return benchmark.score(f"model-{noise_sd}", features)

    a, b = scored(0.5), scored(1.0)
    known = 1 / np.sqrt(1.25 * 2) - 1 / np.sqrt(2 * 2)
    difference = paired_difference(a.draws, b.draws, a.value, b.value)
    assert difference["low"] < known < difference["high"] and difference["significant"]
    assert difference["high"] - difference["low"] < 0.06           # pairing removes the shared noise
    unpaired = np.percentile(np.subtract(a.draws, np.roll(b.draws, 1)), [2.5, 97.5])
    assert unpaired[1] - unpaired[0] > difference["high"] - difference["low"]
    itself = paired_difference(a.draws, a.draws, a.value, a.value)
    assert itself == {"difference": 0.0, "low": 0.0, "high": 0.0, "significant": False}


def test_benchmarks_sharing_neurons_score_them_once_with_the_same_numbers_as_alone():
    """An area and one of its layer sites (a subset of its neurons) on the same features: the site's
    units come from the area's, and every number equals the site scored on its own."""
    from mousescore import NeuroidAssembly
    from mousescore.scoring.benchmark import neural_benchmark
    rng = np.random.default_rng(7)
    n = 60
    stimuli = _stimuli(n)
    signal = rng.normal(size=(n, 4))
    values = signal @ rng.normal(size=(4, 30)) + rng.normal(size=(n, 30))
    ids = [f"n{i}" for i in range(30)]
    area = neural_benchmark("toy.area-ridge", "toy", stimuli,
                            NeuroidAssembly.create(values, stimuli.stimulus_ids(), ids), metric="ridge")
    site = neural_benchmark("toy.area_layer-ridge", "toy", stimuli,
                            NeuroidAssembly.create(values[:, 5:17], stimuli.stimulus_ids(), ids[5:17]), metric="ridge")

    def features():
        layer_features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids(), layers=["a", "b", "c"])
        layer_features.reduced = {name: {reductions.centered_gram():
                                         centered_gram(signal @ rng_layer.normal(size=(4, 20)))}
                                  for name, rng_layer in zip("abc", (np.random.default_rng(s) for s in (1, 2, 3)))}
        return layer_features

    alone = site.score("m", features())
    shared = features()
    calls = []
    original = area.metric.layer_evidence
    area.metric.layer_evidence = lambda reduced, target, stimuli=None: calls.append(np.shape(target)) or original(
        reduced, target, stimuli=stimuli)
    original_halves = area.metric.halves_evidence
    area.metric.halves_evidence = lambda reduced, target, halves: calls.append(
        (len(halves), np.shape(target))) or original_halves(reduced, target, halves)
    summaries = summarize([area, site], shared)
    together = site.score("m", shared, summaries[id(site)])
    # the area's 30 neurons, once a layer on all stimuli and once on all its halves
    assert calls == [(n, 30), (2 * N_SPLITS, (n, 30))] * 3
    np.testing.assert_allclose(list(together.layer_profile.values()), list(alone.layer_profile.values()), atol=1e-12)
    assert together.cv_value == pytest.approx(alone.cv_value, abs=1e-12) and together.best_layer == alone.best_layer
    np.testing.assert_allclose(together.draws, alone.draws, atol=1e-12)
    np.testing.assert_allclose(list(together.unit_scores.values()), list(alone.unit_scores.values()), atol=1e-12)
    np.testing.assert_allclose(together.cv_draws, alone.cv_draws, atol=1e-12)


@pytest.mark.parametrize("with_nans", [False, True])
def test_every_benchmarks_unit_means_in_one_product_equal_nanmean_per_benchmark(with_nans):
    """The CV pass averages each benchmark's columns of a pooled score array (halves × stimuli × units)
    in one product; the plain reference is np.nanmean over each benchmark's own columns."""
    rng = np.random.default_rng(7)
    scores = rng.normal(size=(6, 5, 12))
    if with_nans:
        scores[rng.random(scores.shape) < 0.2] = np.nan
        scores[0, 0, [1, 2]] = np.nan               # a set whose every unit is NaN in one row
    column_sets = [np.array([0, 3, 4, 11]), np.array([1, 2]), np.arange(12), np.array([5, 5, 6])]
    means = selected_unit_means(scores, unit_selection(column_sets, 12))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.stack([np.nanmean(scores[..., columns], axis=-1) for columns in column_sets], axis=-1)
    np.testing.assert_allclose(means, expected, rtol=1e-13, atol=0)
    assert np.array_equal(np.isnan(means), np.isnan(expected))
