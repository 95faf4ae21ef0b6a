"""The paper's metrics: ``rsa``, ``srp_ridge`` (sparse random projection + ridge with GCV), the exact
full-feature ``ridge`` beside it (a different model: see DESIGN.md, Numerics), and Brain-Score's
``pls`` (PCA + PLS) for the paper's appendix A.1 comparison, and ``pls_brainscore``, Brain-Score's own
convention for that mapping, to compare with its numbers."""
from mousescore import MetricSpec, hookimpl

from .pls_metric import PLS, BrainScorePLS
from .ridge_metric import SRPRidge
from .rsa_metric import RSA


def full_ridge(**options):
    return SRPRidge(n_components=None, **options)


@hookimpl
def mousescore_metrics():
    return [
        MetricSpec("rsa", RSA, {"description": "RDM = 1 - Pearson r between stimuli; Pearson r of the "
                                               "upper triangles (diagonal excluded)", "target": "rdms"}),
        MetricSpec("srp_ridge", SRPRidge, {
            "description": "sparse random projection (4096 components, seed 0) + ridge (alpha 1) with "
                           "leave-one-out predictions by GCV; Pearson r per neuron, mean over neurons",
            "target": "responses"}),
        MetricSpec("ridge", full_ridge, {
            "description": "ridge on all features (no projection), exact leave-one-out in the dual",
            "target": "responses"}),
        MetricSpec("pls", PLS, {
            "description": "Brain-Score style: PCA (on the stimuli) then 25-component PLS, 10-fold CV; "
                           "Pearson r per neuron", "target": "responses"}),
        MetricSpec("pls_brainscore", BrainScorePLS, {
            "description": "Brain-Score's CrossRegressedCorrelation: 25-component PLS, 10 shuffle splits 90/10 "
                           "(random_state 1), Pearson r per neuron per split, median over neurons, mean over "
                           "splits", "target": "responses"}),
    ]
