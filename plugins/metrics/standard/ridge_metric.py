"""SRP-Ridge: sparse random projection, ridge with leave-one-out (GCV) predictions, Pearson r per neuron."""
import numpy as np

from mousescore import Metric
from mousescore.numerics import PredictionEvidence, decompose, loo_operators, loo_predictions, reductions, ridge_summary


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

    def layer_evidence(self, reduced, target: np.ndarray) -> PredictionEvidence:
        """The leave-one-out predictions beside the responses."""
        predictions, _ = loo_predictions(None, target, self.options["alphas"],
                                         operators=self._operators(reduced, len(target)))
        return PredictionEvidence(predictions, target)

    def _operators(self, reduced, n):
        """The layer's LOO residual operators per α, kept beside its features like the decomposition."""
        key = reductions.decomposition(self._key + ("loo_operators",) + tuple(self.options["alphas"]))
        if key not in reduced:
            reduced[key] = loo_operators(self._decomposition(reduced), n, self.options["alphas"])
        return reduced[key]

    def _decomposition(self, reduced):
        """The layer's eigendecomposition (dual, or primal when it has fewer features than stimuli),
        kept beside its features: every benchmark scored on the same features (27 Allen sites, say)
        shares it instead of redoing it."""
        key = reductions.decomposition(self._key)
        if key not in reduced:
            if self._key not in reduced and self._projected in reduced:   # projected rows given directly
                summary = ridge_summary(np.asarray(reduced[self._projected], dtype=np.float64))
            else:
                summary = reduced[self._key]
            reduced[key] = decompose(summary)
        return reduced[key]

    def error(self, reduced, target, unit_scores):
        finite = np.asarray(unit_scores)[np.isfinite(unit_scores)]
        kind = f"SEM over {len(finite)} neurons"
        if self.options["n_components"]:   # one projection seed: its own spread is not in the error
            kind += (f" (projection seed {self.options['seed']} fixed; seed-to-seed SD of the score "
                     f"0.001-0.002 on Cowley V4, not included)")
        return float(np.std(finite, ddof=1) / np.sqrt(len(finite))), kind
