"""The paper's metrics: ``rsa``, ``srp_ridge`` (sparse random projection + ridge with GCV), the exact
full-feature ``ridge`` beside it (a different model: see the README, Identifiers), their scale-free
twins ``srp_ridge_gcv`` and ``ridge_gcv`` (α per neuron from a grid relative to the layer's spectrum),
Brain-Score's ``pls`` (PCA + PLS) for the paper's appendix A.1 comparison, and ``pls_brainscore``, Brain-Score's own
convention for that mapping, to compare with its numbers."""
from mousescore import MetricSpec, hookimpl

from .pls_metric import PLS, BrainScorePLS
from .ridge_metric import RELATIVE_ALPHAS, ScaleFreeSRPRidge, SRPRidge
from .rsa_metric import RSA


def full_ridge(**options):
    return SRPRidge(n_components=None, **options)


def full_ridge_gcv(**options):
    return ScaleFreeSRPRidge(n_components=None, **options)


GRID = (f"alpha per neuron from {len(RELATIVE_ALPHAS)} values {RELATIVE_ALPHAS[0]:g} ... {RELATIVE_ALPHAS[-1]:g} "
        f"times the layer's mean Gram eigenvalue, by its leave-one-out squared error (RidgeCV, "
        f"alpha_per_target): unchanged by the features' scale")


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
        MetricSpec("srp_ridge_gcv", ScaleFreeSRPRidge, {
            "description": f"srp_ridge with its {GRID}; Pearson r of the leave-one-out predictions per neuron",
            "target": "responses"}),
        MetricSpec("ridge_gcv", full_ridge_gcv, {
            "description": f"ridge on all features with its {GRID}", "target": "responses"}),
        MetricSpec("pls", PLS, {
            "description": "Brain-Score style: PCA (on the stimuli) then 25-component PLS, 10-fold CV; "
                           "Pearson r per neuron", "target": "responses"}),
        MetricSpec("pls_brainscore", BrainScorePLS, {
            "description": "Brain-Score's CrossRegressedCorrelation: 25-component PLS, 10 shuffle splits 90/10 "
                           "(random_state 1), Pearson r per neuron per split, median over neurons, mean over "
                           "splits", "target": "responses"}),
    ]
