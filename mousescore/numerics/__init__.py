"""The numerical kernels, plain numpy (torch twins in ``torch_kernels``): sparse random projection,
ridge with exact leave-one-out predictions, RSA, correlations and reliabilities, resampling (CV halves,
bootstrap draws), and the reductions
(named keys and their dispatcher) that extraction computes for the metrics."""
from . import reductions
from .projection import project, sparse_projection_matrix
from .resampling import (
    PredictionEvidence,
    RDMEvidence,
    StimulusWeights,
    half_splits,
    layer_rdm_triangle,
    model_triangle,
    seeded_resamples,
    stimulus_resamples,
    unit_resamples,
    weighted_pearson,
)
from .ridge import (
    centered_gram,
    complement_eigh,
    decompose,
    gram_of,
    left_out_loo_scores,
    loo_operators,
    loo_predictions,
    loo_predictions_per_target,
    mean_eigenvalue,
    primal_eigh,
    restrict_summary,
    ridge_summary,
    stacked_decompositions,
)
from .rsa import compare_rdms, correlation_matrix, rdm, split_half_rdm_reliability, triangle_positions, upper_triangle
from .stats import (
    pearson_columns,
    pearson_rows,
    spearman_brown,
    split_half_means,
    split_half_reliability,
    working_array,
)

__all__ = [
    "PredictionEvidence", "RDMEvidence", "centered_gram", "compare_rdms", "complement_eigh", "correlation_matrix",
    "decompose", "gram_of", "left_out_loo_scores",
    "loo_operators", "loo_predictions", "loo_predictions_per_target", "mean_eigenvalue", "pearson_columns",
    "pearson_rows", "primal_eigh", "project", "rdm", "reductions", "restrict_summary",
    "ridge_summary", "sparse_projection_matrix", "stacked_decompositions", "spearman_brown", "split_half_means",
    "split_half_rdm_reliability", "split_half_reliability", "triangle_positions", "upper_triangle",
    "StimulusWeights", "half_splits", "layer_rdm_triangle", "model_triangle", "seeded_resamples",
    "stimulus_resamples", "unit_resamples",
    "weighted_pearson", "working_array"
]
