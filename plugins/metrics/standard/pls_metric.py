"""Brain-Score-style mapping: principal components, then partial least squares with k-fold CV.

PCA is computed from the layer's centred Gram matrix (the same reduction the full ridge uses), on the
stimulus set itself: Brain-Score fits it on 1,000 separate ImageNet images, which are not available
offline (the paper's appendix A.3 compares both choices). PLS keeps Brain-Score's 25 components and
10-fold cross-validation; each neuron's score is the Pearson r between its responses and the
out-of-fold predictions, like ``srp_ridge`` with its leave-one-out predictions.

``pls_brainscore`` follows Brain-Score's ``CrossRegressedCorrelation`` exactly instead: 10 shuffle
splits of 90 % train / 10 % test (scikit-learn's ``ShuffleSplit``, ``random_state=1``), 25-component
PLS without scaling, Pearson r per neuron on each split's test stimuli, the median over neurons per
split, and the mean over splits (error: the population SD over splits / √splits). Splits are not
stratified (Brain-Score's ``stratification_coord=None``, as its benchmarks without object labels
use). It maps the layer's own
features: all of their principal components, which gives PLS the same predictions as the raw
features (PLS without scaling is unchanged by a rotation of the features); Brain-Score's model side
may first reduce a layer to 1,000 components fit on ImageNet images, which is not part of the metric.
"""
import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold, ShuffleSplit

from mousescore import Metric
from mousescore.numerics import PredictionEvidence, gram_of, pearson_columns, reductions, restrict_summary

FULL_GRAM = reductions.centered_gram()


def principal_components(gram: np.ndarray, n_components=None) -> np.ndarray:
    """PCA scores (n × c) from K = X_c X_cᵀ = U diag(w) Uᵀ: scores = U √w, largest first (all
    components with a non-negligible variance when ``n_components`` is None)."""
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    order = np.argsort(eigenvalues)[::-1]
    keep = order[eigenvalues[order] > eigenvalues[order[0]] * 1e-10][:n_components]
    return eigenvectors[:, keep] * np.sqrt(eigenvalues[keep])


def min_stimuli_for_test_split(train_size: float, test_stimuli: int = 3) -> int:
    """The fewest stimuli whose shuffle split leaves ``test_stimuli`` for testing (scikit-learn's
    ShuffleSplit trains on ⌊train_size · n⌋): a Pearson r per split over 2 test stimuli is ±1, over 1
    undefined. 21 for the 90/10 split."""
    n = test_stimuli
    while n - int(np.floor(train_size * n)) < test_stimuli:
        n += 1
    return n


class PLS(Metric):
    identifier = "pls"

    def __init__(self, n_components: int = 25, n_pca: int = 1000, n_splits: int = 10, seed: int = 0):
        self.options = {"n_components": n_components, "n_pca": n_pca, "n_splits": n_splits, "seed": seed}
        # k-fold needs a stimulus per fold; Pearson r over the pooled predictions needs 3
        self.min_stimuli = max(3, n_splits)

    def reductions(self):
        return {FULL_GRAM}

    def layer_scores(self, reduced, target: np.ndarray) -> np.ndarray:
        """Pearson r per neuron between out-of-fold predictions and the responses (stimuli × neurons)."""
        return self.layer_evidence(reduced, target).scores()[0]

    def layer_evidence(self, reduced, target: np.ndarray, stimuli=None) -> PredictionEvidence:
        """The pooled out-of-fold predictions beside the responses. ``stimuli``: PCA and PLS fitted on
        those stimuli alone (``target`` then holds their rows)."""
        gram = gram_of(np.asarray(reduced[FULL_GRAM], dtype=np.float64))
        if stimuli is not None:
            gram = restrict_summary(gram, stimuli)
        scores = principal_components(gram, self.options["n_pca"])
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


class BrainScorePLS(Metric):
    """Brain-Score's PLS convention (see the module docstring): the score is not a mean over neurons,
    so the metric gives the benchmark its layer value itself (``layer_value``)."""
    identifier = "pls_brainscore"

    def __init__(self, n_components: int = 25, n_splits: int = 10, train_size: float = 0.9, random_state: int = 1):
        self.options = {"n_components": n_components, "n_splits": n_splits, "train_size": train_size,
                        "random_state": random_state}
        self.min_stimuli = min_stimuli_for_test_split(train_size)


    def reductions(self):
        return {FULL_GRAM}

    def split_scores(self, reduced, target: np.ndarray) -> np.ndarray:
        """Pearson r per split and neuron (splits × neurons) on each split's test stimuli; kept beside the
        layer's features, so that ``error`` at the committed layer does not fit the 10 splits again."""
        key = reductions.decomposition(("pls_brainscore", tuple(sorted(self.options.items()))))
        kept = reduced.get(key)
        if kept is None or kept[0] is not target:
            kept = (target, self._fit_splits(reduced, target))
            reduced[key] = kept
        return kept[1]

    def _fit_splits(self, reduced, target: np.ndarray) -> np.ndarray:
        features = principal_components(gram_of(np.asarray(reduced[FULL_GRAM], dtype=np.float64)))
        responses = np.asarray(target, dtype=np.float64)
        splits = ShuffleSplit(self.options["n_splits"], train_size=self.options["train_size"],
                              random_state=self.options["random_state"])
        scores = []
        for train, test in splits.split(features):
            # fewer components only where the data have fewer (Brain-Score's would fail there)
            components = max(1, min(self.options["n_components"], features.shape[1], len(train) - 1))
            model = PLSRegression(n_components=components, scale=False).fit(features[train], responses[train])
            scores.append(pearson_columns(model.predict(features[test]), responses[test]))
        return np.array(scores)

    def layer_value(self, reduced, target: np.ndarray):
        """(mean over splits of the median over neurons, each neuron's mean r over splits)."""
        per_split = self.split_scores(reduced, target)
        with np.errstate(all="ignore"):   # xarray's reductions in Brain-Score skip NaN: so do these
            return float(np.nanmean(np.nanmedian(per_split, axis=1))), np.nanmean(per_split, axis=0)

    def layer_scores(self, reduced, target: np.ndarray) -> np.ndarray:
        return self.layer_value(reduced, target)[1]

    def error(self, reduced, target, unit_scores):
        with np.errstate(all="ignore"):
            medians = np.nanmedian(self.split_scores(reduced, target), axis=1)
        medians = medians[np.isfinite(medians)]
        return (float(np.std(medians) / np.sqrt(len(medians))),
                f"SEM over {len(medians)} splits of the median over neurons (population SD / sqrt(splits), "
                f"as Brain-Score)")
