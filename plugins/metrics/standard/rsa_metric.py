"""Representational similarity analysis between a layer and one or more neural RDMs (sites)."""
import numpy as np

from mousescore import Metric
from mousescore.numerics import compare_rdms, pearson_rows, reductions

REDUCTION = reductions.correlation()


class RSA(Metric):
    identifier = "rsa"

    def __init__(self, n_bootstrap: int = 100, seed: int = 0):
        self.options = {"n_bootstrap": n_bootstrap, "seed": seed}

    def reductions(self):
        return {REDUCTION}

    def layer_scores(self, reduced, target: np.ndarray) -> np.ndarray:
        """Pearson r between the layer's RDM and each site's RDM (sites × n × n)."""
        return compare_rdms(1.0 - reduced[REDUCTION], target)

    def error(self, reduced, target, unit_scores):
        """Standard deviation over bootstrap resamples of the stimuli of the mean over sites.

        Pairs of a stimulus with its own duplicate are left out of each resample's triangle.
        """
        model = (1.0 - reduced[REDUCTION]).reshape(-1)
        neural = np.asarray(target)
        n = neural.shape[-1]
        neural = neural.reshape(-1, n * n)
        rng = np.random.default_rng(self.options["seed"])
        rows, cols = np.triu_indices(n, k=1)
        means = []
        for _ in range(self.options["n_bootstrap"]):
            pick = rng.integers(0, n, n)
            a, b = pick[rows], pick[cols]
            positions = (a * n + b)[a != b]
            means.append(np.nanmean(pearson_rows(model[positions], neural[:, positions])))
        return float(np.std(means, ddof=1)), f"bootstrap SD over stimuli ({len(means)} resamples)"
