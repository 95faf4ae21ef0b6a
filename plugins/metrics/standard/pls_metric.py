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

Both fit PLS with :func:`fit_predict`, numpy's replay of scikit-learn's ``PLSRegression(scale=False)``
(NIPALS), which it matches to rounding: each component's power-method steps replayed from one
eigendecomposition, the splits fitted side by side, and least squares where the components reach the
features' rank (the same fit). scikit-learn stays the reference in the tests.
"""
import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit

from mousescore import LayerReductions, Metric, cached
from mousescore.numerics import PredictionEvidence, gram_of, pearson_columns, reductions, restrict_summary

FULL_GRAM = reductions.centered_gram()
NIPALS_MAX_ITER, NIPALS_TOL = 500, 1e-06    # scikit-learn's PLSRegression defaults
EPS = np.finfo(np.float64).eps
# Directions of the features below this fraction of the whole are rounding noise: the PCA keeps
# singular values above 1e-5 of the largest, rounding leaves ~1e-15.
RANK_RTOL = 1e-10
# Least squares by Cholesky of a Gram matrix loses accuracy as its condition number (the features'
# squared): taken only where its pivots span less than this ratio (roughly 1e-10 accuracy at worst),
# else the pseudo-inverse.
CHOLESKY_RTOL = 1e-6
STACK_BYTES = 1 << 26    # training data of the splits fitted side by side (64 MiB); a larger split alone


def pls_predict(train_x, train_y, test_x, n_components: int) -> np.ndarray:
    """scikit-learn's ``PLSRegression(n_components, scale=False).fit(train_x, train_y).predict(test_x)``
    (PLS2, NIPALS in mode A, regression deflation) in numpy: see :func:`fit_predict`."""
    train_y = np.asarray(train_y, dtype=np.float64)
    predictions = fit_predict(np.asarray(train_x, dtype=np.float64)[None], train_y.reshape(1, len(train_y), -1),
                              [len(train_y)], [n_components], np.asarray(test_x, dtype=np.float64)[None])[0]
    return predictions.reshape((len(predictions),) + train_y.shape[1:])


def split_predictions(features: np.ndarray, responses: np.ndarray, splits, n_components) -> list:
    """Each split's predictions on its test rows (a list, in the splits' order), PLS fitted on its training
    rows (:func:`fit_predict`, as many splits at once as ``STACK_BYTES`` allows). ``splits``: (train,
    test) index pairs; ``n_components``: one count, or one per split."""
    features = _with_zero_row(np.asarray(features, dtype=np.float64))
    responses = _with_zero_row(np.asarray(responses, dtype=np.float64))
    components = np.broadcast_to(n_components, len(splits))
    split_bytes = 8 * max(len(train) for train, _ in splits) * (features.shape[1] + responses.shape[1])
    together = max(1, STACK_BYTES // split_bytes)
    predictions = []
    for first in range(0, len(splits), together):
        group = splits[first:first + together]
        train = _padded_indices([train for train, _ in group], len(features) - 1)
        test = _padded_indices([test for _, test in group], len(features) - 1)
        predicted = fit_predict(features[train], responses[train], [len(rows) for rows, _ in group],
                                components[first:first + together], features[test])
        predictions += [rows[:len(test)] for rows, (_, test) in zip(predicted, group)]
    return predictions


def _with_zero_row(values: np.ndarray) -> np.ndarray:
    return np.concatenate([values, np.zeros((1, values.shape[1]))])


def _padded_indices(index_sets, filler: int) -> np.ndarray:
    """Index sets as the rows of one matrix, the shorter ones padded with ``filler``."""
    lengths = {len(rows) for rows in index_sets}
    if len(lengths) == 1:
        return np.stack(index_sets)
    padded = np.full((len(index_sets), max(lengths)), filler)
    for row, rows in zip(padded, index_sets):
        row[:len(rows)] = rows
    return padded


def fit_predict(x: np.ndarray, y: np.ndarray, sizes, components, test: np.ndarray) -> np.ndarray:
    """PLS regression fitted on each training set of a stack (x: sets × rows × features, y: sets × rows ×
    responses; set i holds ``sizes[i]`` rows, then zero rows) with its number of components, as
    scikit-learn's ``PLSRegression(n_components, scale=False)`` fits it, and its predictions for the
    set's test rows (test: sets × test rows × features), to rounding (~1e-14 relative).

    The sets are fitted side by side, the zero rows adding nothing to a centred fit. Where scikit-learn
    differs, deliberately: components beyond the rank of the centred features give the least-squares fit
    (scikit-learn, as its rounding falls, stops there or fits rounding noise with coefficients up to
    ~1e16, and refuses more than min(rows, features)); no features give the training means (scikit-learn
    refuses them); its absolute threshold for a zero response residual (10 eps) is taken relative to the
    largest training response, so that the fit does not depend on the responses' units; a response
    column uncorrelated with the features to the last bit does not start the power method (scikit-learn's
    NaN); and nothing warns where the power method runs out of steps or the residual is zero (scikit-learn
    does, and stops there just the same)."""
    if not (np.isfinite(x).all() and np.isfinite(y).all() and np.isfinite(test).all()):
        raise ValueError("PLS needs finite features and responses")
    sizes, components = np.asarray(sizes), np.asarray(components)
    real = (np.arange(x.shape[1]) < sizes[:, None])[:, :, None]
    x_means, y_means = x.sum(axis=1) / sizes[:, None], y.sum(axis=1) / sizes[:, None]
    x, y_scale = (x - x_means[:, None]) * real, np.abs(y).max(axis=(1, 2))
    y, test = (y - y_means[:, None]) * real, test - x_means[:, None]
    if x.shape[2] == 0:          # no features (a constant layer has no principal component): the means
        return np.broadcast_to(y_means[:, None], test.shape[:2] + y_means.shape[1:]).copy()
    if np.all(components >= np.minimum(sizes - 1, x.shape[2])):
        return _least_squares_predictions(x, y, sizes, test) + y_means[:, None]
    return test @ _nipals_coefficients(x, y, components, y_scale) + y_means[:, None]


def _least_squares_predictions(x: np.ndarray, y: np.ndarray, sizes: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Minimum-norm least squares fitted on centred, zero-padded sets, predicting their centred test rows.
    PLS with as many components as the centred features' rank spans their row space, so its fit is this
    one (its coefficients lie in that row space too): the same predictions at a fraction of the cost.
    Solved through the smaller Gram matrix by Cholesky, or by the pseudo-inverse where a pivot shows
    that Gram matrix too ill-conditioned for it (rank-deficient features, e.g. repeated stimuli)."""
    xt = np.swapaxes(x, 1, 2)
    tall = x.shape[2] <= sizes.min() - 1
    if tall:                     # more centred rows than features: Xᵀ X has full rank
        gram = xt @ x
    else:                        # X Xᵀ, singular along the constant (centring) and on padding rows: those
        gram = x @ xt            # get the mean eigenvalue, which leaves the fit to centred responses as it is
        fill = np.trace(gram, axis1=1, axis2=2) / sizes
        if np.all(sizes == x.shape[1]):
            gram += (fill / sizes)[:, None, None]
        else:
            rows = (np.arange(x.shape[1]) < sizes[:, None]).astype(np.float64)
            gram += fill[:, None, None] * (rows[:, :, None] * rows[:, None, :] / sizes[:, None, None]
                                           + (1 - rows)[:, :, None] * np.eye(x.shape[1]))
    try:
        pivots = np.square(np.diagonal(np.linalg.cholesky(gram), axis1=1, axis2=2))
        usable = np.all(pivots.min(axis=1) > CHOLESKY_RTOL * pivots.max(axis=1))
    except np.linalg.LinAlgError:
        usable = False
    if not usable:
        return test @ (np.linalg.pinv(x, rcond=RANK_RTOL) @ y)
    return _through_inverse(test, gram, xt @ y) if tall else _through_inverse(test @ xt, gram, y)


def _through_inverse(left: np.ndarray, gram: np.ndarray, right: np.ndarray) -> np.ndarray:
    """left G⁻¹ right for symmetric G (stacks), solving for the side with fewer columns."""
    if left.shape[1] <= right.shape[2]:
        return np.swapaxes(np.linalg.solve(gram, np.swapaxes(left, 1, 2)), 1, 2) @ right
    return left @ np.linalg.solve(gram, right)


def _nipals_coefficients(x: np.ndarray, y: np.ndarray, components: np.ndarray, y_scale: np.ndarray) -> np.ndarray:
    """scikit-learn's PLS2 fit (``_PLS.fit``: mode A, regression deflation, no scaling) on a stack of
    centred, zero-padded training sets (x: sets × rows × features, y: sets × rows × responses): the
    coefficients, sets × features × responses. A set stops adding components at its count, when its
    response residual is zero, or when the features have nothing left to fit it with."""
    x, y = x.copy(), y.copy()
    sets, n_features, n_components = x.shape[0], x.shape[2], int(components.max())
    weights = np.zeros((sets, n_features, n_components))
    x_loadings = np.zeros_like(weights)
    y_loadings = np.zeros((sets, y.shape[2], n_components))
    x_norm = np.sqrt(np.square(x).sum(axis=(1, 2)))
    cross = np.swapaxes(x, 1, 2) @ y
    for k in range(n_components):
        zero_columns = np.abs(y).max(axis=1) < 10 * EPS * y_scale[:, None]
        y *= ~zero_columns[:, None, :]                 # as scikit-learn clears them
        cross *= ~zero_columns[:, None, :]
        coupled = np.abs(cross).max(axis=1) > 0        # responses left to fit, and fittable
        active = (k < components) & coupled.any(axis=1)
        if not active.any():
            break
        w = np.zeros((sets, n_features))
        w[active] = _power_method_weights(cross[active], np.argmax(coupled[active], axis=1))
        scores = (x @ w[:, :, None])[:, :, 0]
        variance = np.square(scores).sum(axis=1)
        active &= np.sqrt(variance) > RANK_RTOL * x_norm    # the features are spent
        scores *= active[:, None]
        variance = np.where(active, variance, 1.0)
        x_loadings[:, :, k] = (scores[:, None, :] @ x)[:, 0] / variance[:, None]
        y_loadings[:, :, k] = (scores[:, None, :] @ y)[:, 0] / variance[:, None]
        weights[:, :, k] = w * active[:, None]
        x -= scores[:, :, None] * x_loadings[:, None, :, k]
        y -= scores[:, :, None] * y_loadings[:, None, :, k]
        # the deflated Xᵀ Y without forming it: (X − t pᵀ)ᵀ (Y − t qᵀ) = Xᵀ Y − tᵀt p qᵀ
        cross -= variance[:, None, None] * x_loadings[:, :, None, k] * y_loadings[:, None, :, k]
    # scikit-learn's rotations W (PᵀW)⁺ with its pinv threshold; unused components are zero in both
    rotations = weights @ np.linalg.pinv(np.swapaxes(x_loadings, 1, 2) @ weights, rcond=n_components * EPS)
    return rotations @ np.swapaxes(y_loadings, 1, 2)


def _power_method_weights(cross: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The x weights at which scikit-learn's NIPALS power method stops, for each cross-covariance
    C = Xᵀ Y of the stack (sets × features × responses): it starts from C's column ``start`` and
    multiplies by C Cᵀ until the normalised weights move by less than ``NIPALS_TOL`` (squared norm), at
    most ``NIPALS_MAX_ITER`` times; a single response stops after the start. Its i-th weights are
    C Cᵀ's eigenvectors times ratiosⁱ ∘ c (c: the start's coordinates), so one eigendecomposition, of
    C Cᵀ or of the smaller Cᵀ C, replays every step."""
    sets, n_features, n_responses = cross.shape
    rows = np.arange(sets)
    if n_responses == 1:
        w = cross[:, :, 0]
    elif n_features <= n_responses:
        eigenvalues, vectors = np.linalg.eigh(cross @ np.swapaxes(cross, 1, 2))
        ratios = _ratios(eigenvalues)
        start_coordinates = (cross[rows, :, start][:, None, :] @ vectors)[:, 0]
        steps = _power_method_steps(ratios, start_coordinates)
        w = (vectors @ (ratios ** steps[:, None] * start_coordinates)[:, :, None])[:, :, 0]
    else:   # Cᵀ C = U Λ Uᵀ: C Cᵀ's eigenvectors are C U Λ^-½, the start's coordinates Λ^½ U[start]
        eigenvalues, vectors = np.linalg.eigh(np.swapaxes(cross, 1, 2) @ cross)
        ratios = _ratios(eigenvalues)
        steps = _power_method_steps(ratios, np.sqrt(np.clip(eigenvalues, 0, None)) * vectors[rows, start])
        w = (cross @ (vectors @ (ratios ** steps[:, None] * vectors[rows, start])[:, :, None]))[:, :, 0]
    return w / np.linalg.norm(w, axis=1, keepdims=True)


def _ratios(eigenvalues: np.ndarray) -> np.ndarray:
    """Eigenvalues (ascending, per set) over the largest: what each power step multiplies by."""
    eigenvalues = np.clip(eigenvalues, 0, None)
    return eigenvalues / eigenvalues[:, -1:]


def _power_method_steps(ratios: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Per set, the step i ≥ 1 at which scikit-learn's power method stops: the first whose normalised
    iterate dᵢ = ratiosⁱ ∘ start moved by less than ``NIPALS_TOL`` (squared norm: 2 − 2 cos(dᵢ, dᵢ₋₁)),
    else the last step (``NIPALS_MAX_ITER`` − 1). The steps are replayed in growing blocks, for the sets
    still going."""
    steps = np.full(len(ratios), NIPALS_MAX_ITER - 1)
    going = np.arange(len(ratios))
    previous = start / np.linalg.norm(start, axis=1, keepdims=True)
    done, block = 0, 32
    while done < NIPALS_MAX_ITER - 1 and len(going):
        count = min(block, NIPALS_MAX_ITER - 1 - done)
        iterates = np.cumprod(np.broadcast_to(ratios[going, None, :], (len(going), count, ratios.shape[1])), axis=1)
        iterates = np.concatenate([previous[:, None], iterates * previous[:, None]], axis=1)
        squares = np.square(iterates).sum(axis=2)
        cosines = (iterates[:, 1:] * iterates[:, :-1]).sum(axis=2) / np.sqrt(squares[:, 1:] * squares[:, :-1])
        converged = 2 - 2 * cosines < NIPALS_TOL
        stopped = converged.any(axis=1)
        steps[going[stopped]] = done + 1 + np.argmax(converged[stopped], axis=1)
        going = going[~stopped]
        previous = iterates[~stopped, -1] / np.sqrt(squares[~stopped, -1:])
        done, block = done + count, block * 4
    return steps


@cached(maxsize=32)
def k_folds(n_stimuli: int, n_splits: int, seed: int) -> tuple:
    """scikit-learn's ``KFold(n_splits, shuffle=True, random_state=seed)`` splits of n stimuli, kept."""
    return tuple(KFold(n_splits, shuffle=True, random_state=seed).split(np.zeros((n_stimuli, 1))))


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
        folds = k_folds(len(scores), self.options["n_splits"], self.options["seed"])
        components = [max(1, min(self.options["n_components"], scores.shape[1], len(train) - 1)) for train, _ in folds]
        for (_, test), predicted in zip(folds, split_predictions(scores, responses, folds, components)):
            predictions[test] = predicted
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
        layer's features for this target, so that ``error`` at the committed layer does not fit the 10
        splits again."""
        key = ("pls_brainscore", tuple(sorted(self.options.items())))
        return LayerReductions.wrap(reduced).derive(key, lambda: self._fit_splits(reduced, target), of=target)

    def _fit_splits(self, reduced, target: np.ndarray) -> np.ndarray:
        features = principal_components(gram_of(np.asarray(reduced[FULL_GRAM], dtype=np.float64)))
        responses = np.asarray(target, dtype=np.float64)
        splits = ShuffleSplit(self.options["n_splits"], train_size=self.options["train_size"],
                              random_state=self.options["random_state"])
        splits = list(splits.split(features))
        # fewer components only where the data have fewer (Brain-Score's would fail there)
        components = [max(1, min(self.options["n_components"], features.shape[1], len(train) - 1))
                      for train, _ in splits]
        return np.array([pearson_columns(predicted, responses[test]) for (_, test), predicted
                         in zip(splits, split_predictions(features, responses, splits, components))])

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
