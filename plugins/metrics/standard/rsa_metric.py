"""Representational similarity analysis between a layer and one or more neural RDMs (sites)."""
import numpy as np

from mousescore import LayerReductions, Metric
from mousescore.numerics import RDMEvidence, layer_rdm_triangle, reductions, seeded_resamples

REDUCTION = reductions.correlation()
TRIANGLE = reductions.decomposition(REDUCTION)     # derived: the RDM's upper triangle and its memo


class RSA(Metric):
    identifier = "rsa"
    independent_units = True   # each site's score depends on its own RDM alone
    # 4 stimuli give 6 pairs to correlate. With 3, the 3 pairs correlate on 1 degree of freedom and
    # every bootstrap resample holding a duplicate leaves at most 1 pair (no error); with 2, r = ±1.
    min_stimuli = 4

    def __init__(self, n_bootstrap: int = 100, seed: int = 0):
        self.options = {"n_bootstrap": n_bootstrap, "seed": seed}

    def reductions(self):
        return {REDUCTION}

    def layer_scores(self, reduced, target: np.ndarray) -> np.ndarray:
        """Pearson r between the layer's RDM and each site's RDM (sites × n × n)."""
        return self.layer_evidence(reduced, target).scores()[0]

    def layer_evidence(self, reduced, target: np.ndarray) -> RDMEvidence:
        """The layer's RDM (1 − r) beside the sites' RDMs; its triangle is kept beside the features,
        for the other benchmarks on them. Nothing is fitted to the stimuli, so the score on a subset
        is this evidence under 0/1 weights (the pairs within it)."""
        reduced = LayerReductions.wrap(reduced)
        triangle, layer_memo = reduced.derive(TRIANGLE, lambda: (layer_rdm_triangle(reduced[REDUCTION]), {}))
        return RDMEvidence(triangle, target, layer_memo)

    def error(self, reduced, target, unit_scores):
        """Standard deviation over bootstrap resamples of the stimuli of the mean over sites.

        Pairs of a stimulus with its own duplicate are left out of each resample's triangle.
        """
        evidence = self.layer_evidence(reduced, target)
        resamples = seeded_resamples(evidence.n, self.options["n_bootstrap"], self.options["seed"])
        with np.errstate(all="ignore"):
            means = np.nanmean(evidence.scores(resamples), axis=1)
        return float(np.std(means, ddof=1)), f"bootstrap SD over stimuli ({len(means)} resamples)"
