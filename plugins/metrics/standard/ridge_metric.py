"""SRP-Ridge: sparse random projection, ridge with leave-one-out (GCV) predictions, Pearson r per neuron."""
import numpy as np

from mousescore import LayerReductions, Metric
from mousescore.numerics import (
    PredictionEvidence,
    complement_eigh,
    decompose,
    gram_of,
    left_out_loo_scores,
    loo_operators,
    loo_predictions,
    loo_predictions_per_target,
    mean_eigenvalue,
    reductions,
    restrict_summary,
    ridge_summary,
    stacked_decompositions,
)

# α per neuron for the scale-free variant, in units of the layer's mean Gram eigenvalue: 1e-4 ... 1, two
# per decade. Below 1e-4 the LOO predictions no longer change (the minimum-norm interpolant). Above 1 the
# average direction is shrunk by more than half and a neuron the layer barely predicts picks the largest α,
# whose LOO prediction tends to the mean of the other stimuli, r → −1 by construction (the artefact the
# variant removes): with a cap of 1e2 or more, 24 % of Antolík V1 neurons score below −0.5 on
# alexnet-random, 5 % at 1e1, 0.6 % at 1; on Cowley V4 every cap from 1 to 1e6 gives the same Max.
RELATIVE_ALPHAS = tuple(float(a) for a in np.logspace(-4, 0, 9))


class SRPRidge(Metric):
    independent_units = True   # each neuron's LOO ridge depends on its own responses alone
    # Pearson r over the leave-one-out predictions needs 3 stimuli: with 2, each prediction is the
    # other stimulus's response and r = -1 whatever the features (and the split-half ceiling ±1).
    min_stimuli = 3

    def __init__(self, n_components=4096, seed: int = 0, alphas=(1.0,)):
        self.identifier = "srp_ridge" if n_components else "ridge"
        self.options = {"n_components": n_components, "seed": seed, "alphas": [float(a) for a in alphas]}
        # srp_ridge needs only the centred Gram matrix of the projection (or, with more stimuli than
        # components, the centred projection), formed during extraction.
        self._key = reductions.srp_gram(n_components, seed) if n_components else reductions.centered_gram()
        self._projected = reductions.srp(n_components, seed) if n_components else None

    def reductions(self):
        return {self._key}

    def layer_scores(self, reduced, target: np.ndarray) -> np.ndarray:
        """Pearson r per neuron between LOO predictions and the responses (stimuli × neurons)."""
        return self.layer_evidence(reduced, target).scores()[0]

    def layer_evidence(self, reduced, target: np.ndarray, stimuli=None) -> PredictionEvidence:
        """The leave-one-out predictions beside the responses. ``stimuli``: ridge fitted on those
        stimuli alone (``target`` then holds their rows): each prediction sees only the others of them."""
        reduced = LayerReductions.wrap(reduced)
        if stimuli is not None:
            return PredictionEvidence(self._fitted_alone(reduced, target, stimuli)[0], target)
        predictions, _ = loo_predictions(None, target, self.options["alphas"],
                                         operators=self._operators(reduced, len(target)))
        return PredictionEvidence(predictions, target)

    def halves_evidence(self, reduced, target: np.ndarray, halves) -> list:
        """Per half (index arrays), the evidence of ridge fitted on that half alone, as
        ``layer_evidence(reduced, target[half], stimuli=half)`` gives it: the halves of one size are
        decomposed and solved in one stacked call each."""
        reduced = LayerReductions.wrap(reduced)
        evidence = [None] * len(halves)
        for rows, subsets in _halves_by_size(halves):
            predictions, chosen = self._fitted_on_subsets(reduced, target, subsets)
            # the α each neuron chose, kept for this target: halves_left_out holds each neuron at it
            reduced.derive(self._chosen_key(subsets), lambda: chosen, of=target)
            for h, fitted, own in zip(rows, predictions, np.asarray(target, dtype=np.float64)[subsets]):
                evidence[h] = PredictionEvidence(fitted, own)
        return evidence

    def _fitted_on_subsets(self, reduced: LayerReductions, target: np.ndarray, subsets: np.ndarray):
        """Per stimulus subset (b × m), the LOO predictions of ridge fitted on it alone, and the α each
        neuron chose there (b × neurons)."""
        targets = np.asarray(target, dtype=np.float64)[subsets]
        stacked = self._subsets_decomposition(reduced, subsets)
        if stacked is None:      # primal decompositions of unequal rank: one at a time
            fits = [self._fitted_alone(reduced, own, half) for own, half in zip(targets, subsets)]
            return [f[0] for f in fits], np.stack([f[1] for f in fits])
        return loo_predictions_per_target(stacked, targets, self._half_alphas(stacked, subsets.shape[1]))

    def _chosen_key(self, subsets: np.ndarray):
        return self._key + ("chosen alphas", self.identifier, repr(tuple(self.options.items())), subsets.tobytes())

    def _fitted_alone(self, reduced, target: np.ndarray, stimuli):
        """LOO predictions of ridge fitted on ``stimuli`` alone (``target``: their rows) and the α chosen."""
        return loo_predictions(None, target, self.options["alphas"],
                               decomposition=self._decomposition(reduced, stimuli))

    def halves_left_out(self, reduced, target: np.ndarray, halves) -> list:
        """Per half, each neuron's score with each of the half's stimuli left out (its stimuli × neurons):
        ridge refitted on the half without it (:func:`mousescore.numerics.left_out_loo_scores`), at the α
        the neuron chose on the whole half (for a fixed α, exact; a chosen α is not chosen again)."""
        reduced = LayerReductions.wrap(reduced)
        scores = [None] * len(halves)
        responses = np.asarray(target, dtype=np.float64)
        for rows, subsets in _halves_by_size(halves):
            size = subsets.shape[1]
            chosen = reduced.derive(self._chosen_key(subsets),
                                    lambda: self._fitted_on_subsets(reduced, target, subsets)[1], of=target)
            decomposition = self._subsets_decomposition(reduced, subsets)
            if decomposition is None or decomposition[1].shape[-1] != size - 1:   # primal: its complete dual
                summary = self._summary(reduced)
                decomposition = complement_eigh(np.stack([gram_of(restrict_summary(summary, stimuli))
                                                          for stimuli in subsets]))
            for h, values in zip(rows, left_out_loo_scores(decomposition, responses[subsets], chosen)):
                scores[h] = values
        return scores

    def _subsets_decomposition(self, reduced, subsets: np.ndarray):
        """The decompositions of the stimulus subsets' rows (b × m), stacked (or None where primal ones
        differ in rank), kept beside the features like the layer's own, for srp_ridge_gcv to share."""
        def decompose_subsets():
            summary = self._summary(reduced)
            if summary.shape[0] == summary.shape[1]:      # Gram: every subset's block in one call
                return complement_eigh(restrict_summary(summary, subsets))
            return stacked_decompositions([self._decomposition(reduced, rows) for rows in subsets])

        return reduced.derive(reductions.decomposition(self._key + ("subsets", subsets.tobytes())), decompose_subsets)

    def _half_alphas(self, stacked, n):
        """The α grid of stacked fits: the fixed α (one per grid point)."""
        return self.options["alphas"]

    def _operators(self, reduced, n):
        """The layer's LOO residual operators per α, kept beside its features like the decomposition."""
        key = reductions.decomposition(self._key + ("loo_operators",) + tuple(self.options["alphas"]))
        return reduced.derive(key, lambda: loo_operators(self._decomposition(reduced), n, self.options["alphas"]))

    def _decomposition(self, reduced, stimuli=None):
        """The layer's eigendecomposition (dual, or primal when it has fewer features than stimuli),
        or that of ``stimuli`` alone, kept beside its features: every benchmark scored on the same
        features (27 Allen sites, say; srp_ridge and srp_ridge_gcv on a cross-validation half) shares
        it instead of redoing it."""
        if stimuli is None:
            key = reductions.decomposition(self._key)
        else:
            stimuli = np.asarray(stimuli, dtype=np.int64)
            key = reductions.decomposition(self._key + ("stimuli", stimuli.tobytes()))
        summary = self._summary
        return reduced.derive(key, lambda: decompose(summary(reduced) if stimuli is None
                                                     else restrict_summary(summary(reduced), stimuli)))

    def _summary(self, reduced):
        """The layer's ridge summary (:func:`mousescore.numerics.ridge_summary`)."""
        if self._key not in reduced and self._projected in reduced:   # projected rows given directly
            return ridge_summary(np.asarray(reduced[self._projected], dtype=np.float64))
        return reduced[self._key]

    def error(self, reduced, target, unit_scores):
        finite = np.asarray(unit_scores)[np.isfinite(unit_scores)]
        kind = f"SEM over {len(finite)} neurons"
        if self.options["n_components"]:   # one projection seed: its own spread is not in the error
            kind += (f" (projection seed {self.options['seed']} fixed; seed-to-seed SD of the score "
                     f"0.001-0.002 on Cowley V4, not included)")
        return float(np.std(finite, ddof=1) / np.sqrt(len(finite))), kind


class ScaleFreeSRPRidge(SRPRidge):
    """SRP-Ridge (or ridge, without the projection) whose α is chosen per neuron, by its own leave-one-out
    squared error, from a grid relative to the layer's mean Gram eigenvalue (trace(K)/n): scaling the
    features by c scales K and every α by c², so the predictions, the α chosen and the score do not
    change (scikit-learn's ``RidgeCV(alpha_per_target=True)`` on the grid times that eigenvalue).
    The paper's ``srp_ridge`` keeps α = 1, which depends on the scale: a layer of small activations
    predicts each stimulus by the mean of the others, anti-correlated with it by construction."""

    def __init__(self, n_components=4096, seed: int = 0, relative_alphas=RELATIVE_ALPHAS):
        super().__init__(n_components, seed)
        self.identifier += "_gcv"
        self.options = {"n_components": n_components, "seed": seed,
                        "relative_alphas": [float(a) for a in relative_alphas],
                        "alpha_unit": "mean eigenvalue of the layer's centred Gram matrix (trace / stimuli)"}

    def layer_evidence(self, reduced, target: np.ndarray, stimuli=None) -> PredictionEvidence:
        """The leave-one-out predictions at each neuron's own α beside the responses. ``stimuli``:
        fitted on those stimuli alone (``target`` holds their rows), the α too, from their own spectrum."""
        return PredictionEvidence(self.predictions_and_alphas(reduced, target, stimuli)[0], target)

    def _fitted_alone(self, reduced, target: np.ndarray, stimuli):
        return self.predictions_and_alphas(reduced, target, stimuli)

    def predictions_and_alphas(self, reduced, target: np.ndarray, stimuli=None):
        """LOO predictions (stimuli × neurons) and the absolute α chosen per neuron."""
        decomposition = self._decomposition(LayerReductions.wrap(reduced), stimuli)
        scale = mean_eigenvalue(decomposition, len(target))
        alphas = [a * scale for a in self.options["relative_alphas"]]
        return loo_predictions_per_target(decomposition, target, alphas)

    def _half_alphas(self, stacked, n):
        """Each fit's own grid (grid × fits): relative to its own mean eigenvalue."""
        scales = stacked[0].sum(axis=1) / n
        scales = np.where(scales > 0, scales, 1.0)            # as mean_eigenvalue: a constant layer
        return np.outer(self.options["relative_alphas"], scales)


def _halves_by_size(halves):
    """The halves of each size together: their positions, and their stimuli stacked (b × m)."""
    sizes = np.array([len(half) for half in halves])
    for size in np.unique(sizes):
        rows = np.flatnonzero(sizes == size)
        yield rows, np.stack([np.asarray(halves[h], dtype=np.int64) for h in rows])
