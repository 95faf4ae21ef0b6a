"""Representational similarity analysis between a layer and one or more neural RDMs (sites)."""
import numpy as np

from mousescore.rsa import compare_rdms
from mousescore.stats import pearson_columns

REDUCTION = ("correlation",)


class RSA:
    identifier = "rsa"

    def __init__(self, n_bootstrap: int = 100, seed: int = 0):
        self.options = {"n_bootstrap": n_bootstrap, "seed": seed}

    def reductions(self):
        return {REDUCTION}

    def layer_scores(self, reduced, neural_rdms: np.ndarray) -> np.ndarray:
        """Pearson r between the layer's RDM and each site's RDM (sites × n × n)."""
        return compare_rdms(1.0 - reduced[REDUCTION], neural_rdms)

    def error(self, reduced, neural_rdms, unit_scores):
        """Standard deviation over bootstrap resamples of the stimuli of the mean over sites.

        Pairs of a stimulus with its own duplicate are left out of each resample's triangle.
        """
        model = 1.0 - reduced[REDUCTION]
        neural = np.asarray(neural_rdms)
        rng = np.random.default_rng(self.options["seed"])
        n = model.shape[0]
        rows, cols = np.triu_indices(n, k=1)
        means = []
        for _ in range(self.options["n_bootstrap"]):
            pick = rng.integers(0, n, n)
            keep = pick[rows] != pick[cols]
            a, b = pick[rows][keep], pick[cols][keep]
            model_pairs = np.broadcast_to(model[a, b][:, None], (keep.sum(), neural.shape[0]))
            means.append(np.nanmean(pearson_columns(model_pairs, neural[:, a, b].T)))
        return float(np.std(means, ddof=1)), f"bootstrap SD over stimuli ({len(means)} resamples)"
