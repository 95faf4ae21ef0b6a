"""Weighted scores on halves and resamples against plain recomputation on the selected rows."""
import numpy as np
import pytest

from mousescore.numerics import (
    PredictionEvidence,
    RDMEvidence,
    half_splits,
    pearson_columns,
    seeded_resamples,
    stimulus_resamples,
    unit_resamples,
    weighted_pearson,
)
from mousescore.numerics.rsa import compare_rdms, rdm
from mousescore.numerics.stats import spearman_brown, split_half_correction, split_half_reliability


def test_weighted_pearson_equals_pearson_on_the_selected_and_repeated_rows():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 6)) + 5, rng.normal(size=(40, 6)) * 3
    y[:, 5] = 2.0                                          # a constant column stays NaN
    np.testing.assert_allclose(weighted_pearson(x, y, np.ones((1, 40)))[0], pearson_columns(x, y), atol=1e-12)
    counts = stimulus_resamples(40, "toy", n_draws=5).matrix
    assert counts.sum(axis=1).tolist() == [40] * 5
    for row, weights in zip(weighted_pearson(x, y, counts), counts):
        rows = np.repeat(np.arange(40), weights.astype(int))
        np.testing.assert_allclose(row, pearson_columns(x[rows], y[rows]), atol=1e-12)
    halves = half_splits(40, "toy", n_splits=3).matrix
    assert halves.shape == (6, 40) and (halves[:3] + halves[3:] == 1).all() and (halves.sum(axis=1) == 20).all()
    for row, weights in zip(weighted_pearson(x, y, halves), halves):
        np.testing.assert_allclose(row, pearson_columns(x[weights == 1], y[weights == 1]), atol=1e-12)


def test_plans_depend_on_the_key_alone_and_seeded_resamples_equal_successive_draws():
    stimulus_resamples.cache_clear()
    first = stimulus_resamples(30, "a").matrix.copy()
    stimulus_resamples.cache_clear()
    np.testing.assert_array_equal(stimulus_resamples(30, "a").matrix, first)
    assert not np.array_equal(stimulus_resamples(30, "b").matrix, first)
    assert not np.array_equal(unit_resamples(30, "a"), first)
    assert not stimulus_resamples(30, "a").matrix.flags.writeable        # a shared plan cannot be edited
    np.testing.assert_array_equal(half_splits(30, "a", with_all=True).matrix[1:], half_splits(30, "a").matrix)
    rng = np.random.default_rng(3)
    loop = [np.bincount(rng.integers(0, 30, 30), minlength=30) for _ in range(7)]
    np.testing.assert_array_equal(seeded_resamples(30, 7, 3).matrix, loop)


def test_rdm_evidence_equals_a_plain_loop_over_resampled_and_halved_rdms():
    rng = np.random.default_rng(1)
    model = rdm(rng.normal(size=(25, 30)))
    neural = np.stack([rdm(rng.normal(size=(25, 50))) for _ in range(3)])
    evidence = RDMEvidence(model, neural)
    np.testing.assert_allclose(evidence.scores()[0], compare_rdms(model, neural), atol=1e-12)
    # a second layer under the same weights reuses the neural side and gives its own scores
    other = rdm(rng.normal(size=(25, 30)))
    halves_of_all = half_splits(25, "x", with_all=True)
    np.testing.assert_allclose(RDMEvidence(other, neural).scores(halves_of_all)[0],
                               compare_rdms(other, neural), atol=1e-12)
    np.testing.assert_allclose(RDMEvidence(model, neural).scores(halves_of_all)[0], compare_rdms(model, neural),
                               atol=1e-12)
    halves = half_splits(25, "rdm", n_splits=2)
    for row, weights in zip(evidence.scores(halves), halves.matrix):
        keep = np.flatnonzero(weights)
        np.testing.assert_allclose(row, compare_rdms(model[np.ix_(keep, keep)], neural[:, keep][:, :, keep]),
                                   atol=1e-12)
    counts = stimulus_resamples(25, "rdm", n_draws=4)
    for row, weights in zip(evidence.scores(counts), counts.matrix):
        picks = np.repeat(np.arange(25), weights.astype(int))
        a, b = np.triu_indices(25, k=1)
        a, b = picks[a], picks[b]
        keep = a != b                                    # a stimulus paired with its own duplicate: left out
        plain = [np.corrcoef(model[a[keep], b[keep]], site[a[keep], b[keep]])[0, 1] for site in neural]
        np.testing.assert_allclose(row, plain, atol=1e-12)


def test_a_layer_keeps_its_side_under_the_halves_only_and_forgetting_targets_changes_no_number():
    """The layer memo holds the model's side under plans every layer is scored under (the CV halves),
    not under a bootstrap plan (scored on one chosen layer, m × pairs each); a bounded run forgets the
    plans' target sides after each benchmark and recomputes them, to the same bits."""
    from mousescore.numerics.resampling import forget_targets, model_triangle
    rng = np.random.default_rng(4)
    model = rdm(rng.normal(size=(20, 30)))
    neural = np.stack([rdm(rng.normal(size=(20, 40))) for _ in range(2)])
    halves, draws = half_splits(20, "memo", with_all=True), stimulus_resamples(20, "memo", n_draws=9)
    assert halves.every_layer and not draws.every_layer
    layer_memo = {}
    evidence = RDMEvidence(model_triangle(model), neural, layer_memo)
    on_halves, on_draws = evidence.scores(halves), evidence.scores(draws)
    assert list(layer_memo) == [id(halves)]
    np.testing.assert_array_equal(on_draws, RDMEvidence(model, neural).scores(draws))
    assert halves._memo and draws._memo
    forget_targets()
    assert not halves._memo and not draws._memo
    np.testing.assert_array_equal(evidence.scores(halves), on_halves)
    np.testing.assert_array_equal(evidence.scores(draws), on_draws)
    responses = rng.normal(size=(20, 5))
    predictions = PredictionEvidence(responses + rng.normal(size=(20, 5)), responses)
    remembered = predictions.scores(draws)
    forget_targets()
    np.testing.assert_array_equal(predictions.scores(draws), remembered)


def test_prediction_evidence_scores_per_neuron():
    rng = np.random.default_rng(2)
    predictions, responses = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    np.testing.assert_allclose(PredictionEvidence(predictions, responses).scores()[0],
                               pearson_columns(predictions, responses), atol=1e-12)


def test_split_half_correction_reduces_to_spearman_brown_and_is_exact_for_unequal_halves():
    r = np.array([-0.3, 0.0, 0.2, 0.7, 1.0])
    np.testing.assert_allclose(split_half_correction(r, 4, 4), spearman_brown(r), atol=1e-15)
    # The classical model's own prediction for halves of 3 and 4 repeats is inverted exactly.
    single = 0.2
    reliability = lambda n: n * single / (1 + (n - 1) * single)      # noqa: E731
    r_halves = np.sqrt(reliability(3) * reliability(4))
    assert split_half_correction(r_halves, 3, 4) == pytest.approx(reliability(7), abs=1e-12)
    assert spearman_brown(r_halves) < reliability(7) - 0.003        # factor 2 understates it here


def test_split_half_reliability_with_an_odd_repeat_count_matches_theory():
    """7 repeats split 3 + 4: the generalised rule recovers the reliability of all 7 repeats."""
    rng = np.random.default_rng(7)
    signal = rng.normal(size=(400, 1500))
    responses = signal[..., None] + rng.normal(size=(400, 1500, 7)) * 2.0
    expected = 1 / (1 + 4.0 / 7)
    assert split_half_reliability(responses, n_splits=4).mean() == pytest.approx(expected, abs=0.002)
