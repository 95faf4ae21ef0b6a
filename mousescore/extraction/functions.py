"""Models that are plain feature functions: ``images -> {layer name: array}``.

For features computed elsewhere (JAX, TensorFlow, precomputed arrays looked up by image): the function
gets the stimuli's images, (n, h, w, c) floats in [0, 1], a batch at a time, and returns each layer's
activations with one row per image. The layers keep the order of the first batch's dict.

Every batch must return the first batch's layers (in any order), each with one row per image, the same
shape per image (so the same width) and real numbers; anything else is refused naming the layer. The rows are
copied as they arrive: a function may reuse its output buffers from one batch to the next.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np

from ..data.assemblies import StimulusSet
from ..errors import MousescoreError
from ..numerics.reductions import Reduction, reduce_all
from .extract import InconsistentLayer, LayerFeatures, changed_shape, default_batch_size


@dataclass
class FeatureFunction:
    """A feature function with what a score records about it."""
    function: Callable[[np.ndarray], Mapping[str, Any]]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    layers: Optional[Sequence[str]] = None      # names or globs; None = every layer it returns
    # what it computes, where that can be named (a network file's sha256 and input format): the feature
    # cache keys it by this; None = it cannot be fingerprinted, and is called every time
    digest: Optional[str] = None


def select_layers(names: Sequence[str], patterns: Optional[Iterable[str]], what: str = "the model") -> List[str]:
    """The names matching any of the patterns (exact names or globs), in the names' order; a pattern
    matching nothing is an error that lists close names."""
    if patterns is None:
        return list(names)
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    unmatched = [p for p in patterns if not any(fnmatchcase(name, p) for name in names)]
    if unmatched:
        import difflib
        close = difflib.get_close_matches(unmatched[0], list(names), n=5, cutoff=0.4)
        raise MousescoreError(f"{what} has no layer matching {unmatched}"
                              + (f". Did you mean: {', '.join(close)}?" if close else "")
                              + f" ({len(names)} layers, e.g. {', '.join(list(names)[:5])})")
    return [name for name in names if any(fnmatchcase(name, p) for p in patterns)]


def _real_numbers(dtype: np.dtype) -> bool:
    """Booleans, integers and floats, with the extension floats of JAX and ml_dtypes (bfloat16,
    float8_*), whose numpy kind is 'V'."""
    return dtype.kind in "biuf" or (dtype.kind == "V" and "float" in dtype.name)


def _layer_rows(layer: str, values: Any, n_images: int) -> np.ndarray:
    """A returned layer as a fresh (images × features) float32 array, or a MousescoreError saying why
    it cannot be one."""
    if hasattr(values, "detach"):      # a torch tensor (bfloat16 has no numpy type: as float32)
        tensor = values.detach().cpu()
        values = (tensor.float() if tensor.is_floating_point() else tensor).numpy()
    try:
        array = np.asarray(values)
    except (ValueError, TypeError) as error:   # ragged lists
        raise MousescoreError(f"layer {layer!r}: the values are not an array ({error})") from error
    if not _real_numbers(array.dtype):   # complex parts would be dropped, text parsed
        raise MousescoreError(f"layer {layer!r}: values of type {array.dtype} are not real numbers "
                              f"(return float arrays)")
    rows = np.array(array, dtype=np.float32)   # a copy: the function may overwrite its buffer
    if rows.ndim == 0 or rows.shape[0] != n_images:
        raise MousescoreError(f"layer {layer!r}: {rows.shape[0] if rows.ndim else 'no'} rows for "
                              f"{n_images} images (one row per image expected)")
    return rows


def _named_layers(returned: Any) -> Dict[str, Any]:
    """The returned dict with its layer names as strings; two keys with one name (1 and '1') refused."""
    if not isinstance(returned, Mapping) or not returned:
        raise MousescoreError("a feature function must return a non-empty dict {layer name: array}, "
                              f"got {type(returned).__name__}")
    named = {str(layer): values for layer, values in returned.items()}
    if len(named) < len(returned):
        raise MousescoreError(f"the feature function returned two layers named alike: {list(returned)[:10]}")
    return named


def _check_same_layers(named: Mapping[str, Any], first: Mapping[str, tuple], span: str) -> None:
    if set(named) != set(first):
        missing, extra = sorted(set(first) - set(named)), sorted(set(named) - set(first))
        raise InconsistentLayer(f"the feature function returned other layers for {span} than for the "
                                f"first batch: missing {missing[:5]}, new {extra[:5]}")


def extract_function(model: FeatureFunction, stimuli: StimulusSet, reductions: Iterable[Reduction],
                     batch_size: Optional[int] = None) -> LayerFeatures:
    """Every returned layer's reductions for the stimuli (a layer with NaN or infinite values is kept
    in the list and left out of scoring, as in :func:`.extract.extract`)."""
    n = stimuli.sizes["presentation"]
    batch_size = batch_size or default_batch_size(n)
    start = time.perf_counter()
    parts: Dict[str, List[np.ndarray]] = {}
    shapes: Dict[str, tuple] = {}      # the first batch's layers, in its order -> shape per image
    for begin in range(0, n, batch_size):
        images = stimuli.values[begin:begin + batch_size]
        span = f"images {begin + 1}-{begin + len(images)} of {n}"
        try:
            returned = model.function(images)
        except Exception as error:
            raise MousescoreError(f"the feature function failed ({type(error).__name__}: {error})") from error
        named = _named_layers(returned)
        if shapes:
            _check_same_layers(named, shapes, span)
        for layer, values in named.items():
            rows = _layer_rows(layer, values, len(images))
            shape = shapes.setdefault(layer, rows.shape[1:])
            if rows.shape[1:] != shape:
                raise changed_shape(repr(layer), shape, rows.shape[1:], span)
            parts.setdefault(layer, []).append(rows.reshape(len(images), -1))
    features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids())
    features.layers = select_layers(list(shapes), model.layers, "the feature function")
    for layer in features.layers:
        rows = np.concatenate(parts.pop(layer))
        if not np.isfinite(rows.sum(axis=1, dtype=np.float64)).all():
            features.nonfinite.add(layer)
            features.reduced[layer] = {}
        else:
            features.reduced[layer] = {key: reduce_all(key, rows) for key in reductions}
    features.seconds = time.perf_counter() - start
    return features
