"""Models that are plain feature functions: ``images -> {layer name: array}``.

For features computed elsewhere (JAX, TensorFlow, precomputed arrays looked up by image): the function
gets the stimuli's images, (n, h, w, c) floats in [0, 1], a batch at a time, and returns each layer's
activations with one row per image. The layers keep the order of the first batch's dict.

Every batch must return the first batch's layers (in any order), each with one row per image, the same
shape per image (so the same width) and real numbers; anything else is refused naming the layer. The rows are
copied as they arrive: a function may reuse its output buffers from one batch to the next.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .. import config
from ..data.assemblies import StimulusSet
from ..data.headers import available_bytes
from ..errors import MousescoreError
from ..numerics.reductions import Reduction, finish, is_rowwise, reduce
from .extract import InconsistentLayer, LayerFeatures, changed_shape, default_batch_size
from .spill import Spill, remove_orphaned_spills

FLOAT32 = 4


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
                     batch_size: Optional[int] = None,
                     on_batch: Optional[Callable[[int, int], None]] = None) -> LayerFeatures:
    """Every returned layer's reductions for the stimuli (a layer with NaN or infinite values is kept
    in the list and left out of scoring, as in :func:`.extract.extract`). As there, a batch is reduced
    as it arrives: row-wise reductions per batch, and the rows that whole-set ones need spilled to disk
    when the stimuli span several batches, so memory holds one batch of layers, not the whole set.
    Where the spill of every layer would not fit on the disk, the images go through the function once
    per group of layers whose spill fits (more compute, the same numbers). ``on_batch(images, layers)``:
    told after each batch of the first pass how many images it had and how many layers the function
    returns (as :func:`.extract.extract` tells it)."""
    reductions = sorted(set(reductions), key=repr)
    whole_set = [key for key in reductions if not is_rowwise(key)]
    n = stimuli.sizes["presentation"]
    start = time.perf_counter()
    measured = None
    if batch_size is None:
        measured = _measured_layers(model, stimuli)
        batch_size = _fitting_batch_size(n, sum(measured[1].values()))
    groups: Sequence[Optional[Sequence[str]]] = [None]     # None: every layer in one pass
    if whole_set and batch_size < n:
        groups = _spill_groups(*(measured or _measured_layers(model, stimuli)), n)
    features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids())
    for number, group in enumerate(groups):
        _one_pass(model, stimuli, reductions, batch_size, group, features, on_batch if number == 0 else None)
    features.seconds = time.perf_counter() - start
    return features


def _one_pass(model: FeatureFunction, stimuli: StimulusSet, reductions: List[Reduction], batch_size: int,
              group: Optional[Sequence[str]], features: LayerFeatures,
              on_batch: Optional[Callable[[int, int], None]]) -> None:
    """The images through the function once, the reductions of the layers in ``group`` (None: every
    selected layer) into ``features``."""
    whole_set = [key for key in reductions if not is_rowwise(key)]
    n = stimuli.sizes["presentation"]
    single_batch = batch_size >= n
    partial: Dict[str, Dict[Reduction, List[np.ndarray]]] = {}
    shapes: Dict[str, tuple] = {}      # the first batch's layers, in its order -> shape per image
    spill = Spill() if whole_set and not single_batch else None
    try:
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
            elif not features.layers:
                features.layers = select_layers(list(named), model.layers, "the feature function")
            for layer, values in named.items():
                rows = _layer_rows(layer, values, len(images))
                shape = shapes.setdefault(layer, rows.shape[1:])
                if rows.shape[1:] != shape:
                    raise changed_shape(repr(layer), shape, rows.shape[1:], span)
                if layer in features.layers and (group is None or layer in group):
                    _reduce_batch(layer, rows.reshape(len(images), -1), reductions, single_batch, partial,
                                  features.nonfinite, spill)
            if on_batch is not None:
                on_batch(len(images), len(features.layers))
        for layer in features.layers:    # one layer at a time: spilled rows are read back in chunks
            if group is not None and layer not in group:
                continue
            pieces = partial.pop(layer, {})
            done = {} if layer in features.nonfinite else {key: finish(key, parts) for key, parts in pieces.items()}
            if spill is not None and layer in spill:
                if layer not in features.nonfinite:
                    done.update({key: reduce(key, spill.read(layer)) for key in whole_set})
                spill.discard(layer)
            features.reduced[layer] = done
    finally:
        if spill is not None:
            spill.close()


def _measured_layers(model: FeatureFunction, stimuli: StimulusSet) -> Tuple[List[str], Dict[str, int]]:
    """The selected layers, from one image through the function, and each one's float32 bytes per image."""
    one = _named_layers(model.function(stimuli.values[:1]))
    wanted = select_layers(list(one), model.layers, "the feature function")
    # read as the batches are (a torch tensor, bfloat16 included, has no numpy size to ask)
    return wanted, {layer: FLOAT32 * _layer_rows(layer, one[layer], 1).size for layer in wanted}


def _fitting_batch_size(n: int, row_bytes: int) -> int:
    """The default batch, made smaller where a batch of the layers would not fit in memory: the
    function's rows, the copies made of them, and their reduction take about four times their float32
    size per image."""
    available = available_bytes()
    fitting = n if available is None else max(1, available // max(4 * row_bytes, 1))
    return int(min(default_batch_size(n), fitting))


def _spill_groups(layers: Sequence[str], row_bytes: Mapping[str, int], n: int) -> List[List[str]]:
    """The layers in consecutive groups whose spilled rows fit in 0.9 of the free disk they spill to
    (one group where all fit). Refused, with a way out, where one layer alone would not fit."""
    home = config.home()
    home.mkdir(parents=True, exist_ok=True)
    remove_orphaned_spills()   # what killed runs left is free space for this one
    free = shutil.disk_usage(home).free
    room = 0.9 * free
    too_large = [layer for layer in layers if n * row_bytes[layer] > room]
    if too_large:
        spilled = n * row_bytes[too_large[0]]
        raise MousescoreError(
            f"layer {too_large[0]!r} of the feature function on {n} stimuli would spill about "
            f"{spilled / 2**30:.1f} GiB "
            f"of activations to {home / 'tmp'} and {free / 2**30:.1f} GiB is free there: point "
            f"MOUSESCORE_HOME at a bigger disk, or leave out the layers {too_large[:5]}")
    groups: List[List[str]] = [[]]
    used = 0
    for layer in layers:
        size = n * row_bytes[layer]
        if groups[-1] and used + size > room:
            groups.append([])
            used = 0
        groups[-1].append(layer)
        used += size
    return groups


def _reduce_batch(layer, rows, reductions, single_batch, partial, nonfinite, spill) -> None:
    """One batch's rows of a layer into its reductions (row-wise ones now, whole-set ones now when the
    batch is the whole set, else into the spill); a layer with a non-finite value is left out."""
    if layer in nonfinite or not np.isfinite(rows.sum(axis=1, dtype=np.float64)).all():
        nonfinite.add(layer)
        return
    slot = partial.setdefault(layer, {})
    for key in reductions:
        if is_rowwise(key):
            slot.setdefault(key, []).append(reduce(key, rows))
        elif single_batch:
            slot[key] = [reduce(key, rows)]
    if spill is not None:
        spill.append(layer, rows)
