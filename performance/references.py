"""Plain reference implementations that mousescore's mapping is timed and checked against.

Written the obvious way with scikit-learn, scipy and numpy, on purpose without mousescore's tricks
(cached projection matrices, float32 chunks, one eigendecomposition in the dual):

(a) DeepMouseTrap style (Conwell et al.'s own code path, ``ColinConwell/DeepMouseTrap``):
    per layer ``SparseRandomProjection(n_components=4096).fit_transform``, then
    ``RidgeCV(alphas=[1.0])`` with its stored leave-one-out (GCV) predictions, Pearson r per neuron;
    RSA by ``1 - np.corrcoef`` RDMs and the Pearson r of their upper triangles.
(b) Brain-Score style: PCA fitted on the layer's activations to a separate set of images (Brain-Score:
    1,000 ImageNet images), applied to the stimuli, then ``PLSRegression(25, scale=False)`` with 10-fold
    cross-validated predictions, Pearson r per neuron.

Nothing here imports mousescore: the references must stand on their own.
"""
from __future__ import annotations

import inspect
import warnings
from typing import Optional, Sequence

import numpy as np
from scipy.stats import pearsonr
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, DataDimensionalityWarning
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.random_projection import SparseRandomProjection

# scikit-learn renamed RidgeCV's store_cv_values to store_cv_results in 1.5 and removed the old name
# in 1.7; take whichever the installed version has.
_RIDGECV_PARAMETERS = inspect.signature(RidgeCV).parameters
STORE_CV = "store_cv_results" if "store_cv_results" in _RIDGECV_PARAMETERS else "store_cv_values"


# --------------------------------------------------------------------------------------------------
# (a) DeepMouseTrap style: SRP + RidgeCV (GCV) + Pearson; RSA with numpy RDMs
# --------------------------------------------------------------------------------------------------
def srp_sklearn(features: np.ndarray, n_components: int = 4096, seed: int = 0) -> np.ndarray:
    """scikit-learn's sparse random projection of one layer (a fresh matrix per call, as DeepMouseTrap
    builds one per layer). Layers narrower than ``n_components`` are projected too (scikit-learn warns),
    so both implementations do the same work on every layer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataDimensionalityWarning)
        return SparseRandomProjection(n_components=n_components, random_state=seed).fit_transform(features)


def ridgecv_loo_predictions(features: np.ndarray, targets: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Leave-one-out predictions (n × t) of ridge (α, intercept) from RidgeCV's efficient LOO.

    With a ``scoring`` set, RidgeCV stores the LOO *predictions* (without one it stores squared
    errors). Features are given in float64: RidgeCV returns float32 results for float32 input.
    """
    model = RidgeCV(alphas=[alpha], scoring="neg_mean_squared_error", **{STORE_CV: True})
    model.fit(np.asarray(features, dtype=np.float64), np.asarray(targets, dtype=np.float64))
    values = model.cv_results_ if hasattr(model, "cv_results_") else model.cv_values_
    values = np.asarray(values)
    return values.reshape(values.shape[0], -1, len(model.alphas))[..., 0]


def pearson_per_neuron(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Pearson r between each neuron's predictions and responses (columns), scipy's ``pearsonr``."""
    predictions = np.asarray(predictions, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # constant inputs give NaN with a warning
        return np.atleast_1d(pearsonr(predictions, targets, axis=0).statistic)


def srp_ridge_scores(projected: np.ndarray, targets: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Per-neuron SRP-Ridge scores of an already projected layer: RidgeCV LOO, Pearson r."""
    return pearson_per_neuron(ridgecv_loo_predictions(projected, targets, alpha), targets)


def numpy_rdm(features: np.ndarray) -> np.ndarray:
    """RDM = 1 − Pearson r between stimuli (rows), ``np.corrcoef`` (float64)."""
    return 1.0 - np.corrcoef(features)


def rsa_scores(model_rdm: np.ndarray, neural_rdms: Sequence[np.ndarray]) -> np.ndarray:
    """Pearson r between the model RDM's upper triangle and each neural RDM's (diagonal excluded)."""
    upper = np.triu_indices(model_rdm.shape[0], k=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([pearsonr(model_rdm[upper], np.asarray(rdm)[upper])[0] for rdm in neural_rdms])


# --------------------------------------------------------------------------------------------------
# (b) Brain-Score style: PCA on extra images + 25-component PLS, 10-fold CV, Pearson
# --------------------------------------------------------------------------------------------------
def pca_components(n_fit: int, n_features: int, n_components: int = 1000) -> int:
    """Brain-Score keeps 1,000 components; fewer fitting images (rank n − 1 once centred) or fewer
    features allow fewer."""
    return max(1, min(n_components, n_fit - 1, n_features))


def pca_fit(extra_features: np.ndarray, n_components: int = 1000, seed: int = 0) -> Optional[PCA]:
    """PCA of a layer's activations to the extra images (Brain-Score: 1,000 ImageNet images); None where
    the layer is no wider than the components kept (used as it is, like Brain-Score's LayerPCA)."""
    n_fit, n_features = extra_features.shape
    k = pca_components(n_fit, n_features, n_components)
    if n_features <= k:
        return None
    return PCA(n_components=k, random_state=seed).fit(extra_features)


def pca_transform(pca: Optional[PCA], features: np.ndarray) -> np.ndarray:
    return np.asarray(features) if pca is None else pca.transform(features)


def pls_model(n_train: int, n_features: int, n_components: int = 25) -> PLSRegression:
    return PLSRegression(n_components=max(1, min(n_components, n_train - 1, n_features)), scale=False)


def folds(n_splits: int = 10, seed: int = 0) -> KFold:
    return KFold(n_splits=n_splits, shuffle=True, random_state=seed)


def pls_cv_predictions(regressors: np.ndarray, targets: np.ndarray, n_components: int = 25,
                       n_splits: int = 10, seed: int = 0) -> np.ndarray:
    """Out-of-fold predictions (n × t) of one PLS fitted jointly on all neurons, k-fold CV."""
    regressors = np.asarray(regressors, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    n_train = len(regressors) - int(np.ceil(len(regressors) / n_splits))   # smallest training fold
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_val_predict(pls_model(n_train, regressors.shape[1], n_components), regressors, targets,
                                 cv=folds(n_splits, seed))


def pls_scores(regressors: np.ndarray, targets: np.ndarray, n_components: int = 25, n_splits: int = 10,
               seed: int = 0) -> np.ndarray:
    return pearson_per_neuron(pls_cv_predictions(regressors, targets, n_components, n_splits, seed), targets)
