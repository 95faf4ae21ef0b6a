"""Brain-Score-style mapping: principal components, then partial least squares with k-fold CV.

PCA is computed from the layer's centred Gram matrix (the same reduction the full ridge uses), on the
stimulus set itself: Brain-Score fits it on 1,000 separate ImageNet images, which are not available
offline (the paper's appendix A.3 compares both choices). PLS keeps Brain-Score's 25 components and
10-fold cross-validation; each neuron's score is the Pearson r between its responses and the
out-of-fold predictions, like ``srp_ridge`` with its leave-one-out predictions.
"""
import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold

from mousescore import Metric
from mousescore.numerics import PredictionEvidence, gram_of, reductions

FULL_GRAM = reductions.centered_gram()


def principal_components(gram: np.ndarray, n_components: int) -> np.ndarray:
    """PCA scores (n × c) from K = X_c X_cᵀ = U diag(w) Uᵀ: scores = U √w, largest first."""
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    order = np.argsort(eigenvalues)[::-1]
    keep = order[eigenvalues[order] > eigenvalues[order[0]] * 1e-10][:n_components]
    return eigenvectors[:, keep] * np.sqrt(eigenvalues[keep])


class PLS(Metric):
    identifier = "pls"

    def __init__(self, n_components: int = 25, n_pca: int = 1000, n_splits: int = 10, seed: int = 0):
        self.options = {"n_components": n_components, "n_pca": n_pca, "n_splits": n_splits, "seed": seed}

    def reductions(self):
        return {FULL_GRAM}

    def layer_scores(self, reduced, target: np.ndarray) -> np.ndarray:
        """Pearson r per neuron between out-of-fold predictions and the responses (stimuli × neurons)."""
        return self.layer_evidence(reduced, target).scores()[0]

    def layer_evidence(self, reduced, target: np.ndarray) -> PredictionEvidence:
        """The pooled out-of-fold predictions beside the responses."""
        scores = principal_components(gram_of(np.asarray(reduced[FULL_GRAM], dtype=np.float64)), self.options["n_pca"])
        responses = np.asarray(target, dtype=np.float64)
        predictions = np.empty_like(responses)
        folds = KFold(self.options["n_splits"], shuffle=True, random_state=self.options["seed"])
        for train, test in folds.split(scores):
            components = max(1, min(self.options["n_components"], scores.shape[1], len(train) - 1))
            model = PLSRegression(n_components=components, scale=False).fit(scores[train], responses[train])
            predictions[test] = model.predict(scores[test])
        return PredictionEvidence(predictions, responses)

    def error(self, reduced, target, unit_scores):
        finite = np.asarray(unit_scores)[np.isfinite(unit_scores)]
        return float(np.std(finite, ddof=1) / np.sqrt(len(finite))), f"SEM over {len(finite)} neurons"
