"""SRP-Ridge: sparse random projection, ridge with leave-one-out (GCV) predictions, Pearson r per neuron."""
import numpy as np

from mousescore.extraction import DECOMPOSITION
from mousescore.ridge import decompose, loo_predictions, ridge_summary
from mousescore.stats import pearson_columns

FULL_GRAM = ("centered_gram",)


class SRPRidge:
    def __init__(self, n_components=4096, seed: int = 0, alphas=(1.0,)):
        self.identifier = "srp_ridge" if n_components else "ridge"
        self.options = {"n_components": n_components, "seed": seed, "alphas": [float(a) for a in alphas]}
        # srp_ridge needs only the centred Gram matrix of the projection (or, with more stimuli than
        # components, the centred projection), formed during extraction.
        self._key = ("srp_gram", int(n_components), int(seed)) if n_components else FULL_GRAM

    def reductions(self):
        return {self._key}

    def layer_scores(self, reduced, responses: np.ndarray) -> np.ndarray:
        """Pearson r per neuron between LOO predictions and responses (stimuli × neurons)."""
        predictions, _ = loo_predictions(None, responses, self.options["alphas"],
                                         decomposition=self._decomposition(reduced))
        return pearson_columns(predictions, responses)

    def _decomposition(self, reduced):
        """The layer's eigendecomposition (dual, or primal when it has fewer features than stimuli),
        kept beside its features: every benchmark scored on the same features (27 Allen sites, say)
        shares it instead of redoing it."""
        key = DECOMPOSITION + self._key
        if key not in reduced:
            projected = ("srp",) + self._key[1:]
            if self._key not in reduced and projected in reduced:   # projected rows given directly
                summary = ridge_summary(np.asarray(reduced[projected], dtype=np.float64))
            else:
                summary = reduced[self._key]
            reduced[key] = decompose(summary)
        return reduced[key]

    def error(self, reduced, responses, unit_scores):
        finite = np.asarray(unit_scores)[np.isfinite(unit_scores)]
        return float(np.std(finite, ddof=1) / np.sqrt(len(finite))), f"SEM over {len(finite)} neurons"
