"""SRP-Ridge: sparse random projection, ridge with leave-one-out (GCV) predictions, Pearson r per neuron."""
import numpy as np

from mousescore.ridge import centered_gram, loo_predictions
from mousescore.stats import pearson_columns

FULL_GRAM = ("centered_gram",)


class SRPRidge:
    def __init__(self, n_components=4096, seed: int = 0, alphas=(1.0,)):
        self.identifier = "srp_ridge" if n_components else "ridge"
        self.options = {"n_components": n_components, "seed": seed, "alphas": [float(a) for a in alphas]}
        self._key = ("srp", int(n_components), int(seed)) if n_components else FULL_GRAM

    def reductions(self):
        return {self._key}

    def layer_scores(self, reduced, responses: np.ndarray) -> np.ndarray:
        """Pearson r per neuron between LOO predictions and responses (stimuli × neurons)."""
        if self._key[0] == "srp":  # the projection is narrow: its Gram costs nothing in float64
            gram = centered_gram(np.asarray(reduced[self._key], dtype=np.float64))
        else:
            gram = reduced[self._key]
        predictions, _ = loo_predictions(gram, responses, self.options["alphas"])
        return pearson_columns(predictions, responses)

    def error(self, reduced, responses, unit_scores):
        finite = np.asarray(unit_scores)[np.isfinite(unit_scores)]
        return float(np.std(finite, ddof=1) / np.sqrt(len(finite))), f"SEM over {len(finite)} neurons"
