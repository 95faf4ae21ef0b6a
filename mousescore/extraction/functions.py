"""Models that are plain feature functions: ``images -> {layer name: array}``.

For features computed elsewhere (JAX, TensorFlow, precomputed arrays looked up by image): the function
gets the stimuli's images, (n, h, w, c) floats in [0, 1], a batch at a time, and returns each layer's
activations with one row per image. The layers keep the order of the first batch's dict.
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
from .extract import LayerFeatures, default_batch_size


@dataclass
class FeatureFunction:
    """A feature function with what a score records about it."""
    function: Callable[[np.ndarray], Mapping[str, Any]]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    layers: Optional[Sequence[str]] = None      # names or globs; None = every layer it returns


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


def extract_function(model: FeatureFunction, stimuli: StimulusSet, reductions: Iterable[Reduction],
                     batch_size: Optional[int] = None) -> LayerFeatures:
    """Every returned layer's reductions for the stimuli (a layer with NaN or infinite values is kept
    in the list and left out of scoring, as in :func:`.extract.extract`)."""
    n = stimuli.sizes["presentation"]
    batch_size = batch_size or default_batch_size(n)
    start = time.perf_counter()
    parts: Dict[str, List[np.ndarray]] = {}
    for begin in range(0, n, batch_size):
        images = stimuli.values[begin:begin + batch_size]
        try:
            returned = model.function(images)
        except Exception as error:
            raise MousescoreError(f"the feature function failed ({type(error).__name__}: {error})") from error
        if not isinstance(returned, Mapping) or not returned:
            raise MousescoreError("a feature function must return a non-empty dict {layer name: array}, "
                                  f"got {type(returned).__name__}")
        if parts and list(returned) != list(parts):
            raise MousescoreError("the feature function returned other layers for a later batch: "
                                  f"{sorted(set(returned) ^ set(parts))[:5]}")
        for layer, values in returned.items():
            if hasattr(values, "detach"):      # a torch tensor
                values = values.detach().cpu().numpy()
            rows = np.asarray(values, dtype=np.float32)
            if rows.ndim == 0 or rows.shape[0] != len(images):
                raise MousescoreError(f"layer {layer!r}: {rows.shape[0] if rows.ndim else 'no'} rows for "
                                      f"{len(images)} images (one row per image expected)")
            parts.setdefault(str(layer), []).append(rows.reshape(len(images), -1))
    features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids())
    features.layers = select_layers(list(parts), model.layers, "the feature function")
    for layer in features.layers:
        rows = np.concatenate(parts.pop(layer))
        if not np.isfinite(rows.sum(axis=1, dtype=np.float64)).all():
            features.nonfinite.add(layer)
            features.reduced[layer] = {}
        else:
            features.reduced[layer] = {key: reduce_all(key, rows) for key in reductions}
    features.seconds = time.perf_counter() - start
    return features
