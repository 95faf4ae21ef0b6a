"""Run a model over a stimulus set and reduce every layer's activations inside its forward hook.

Each layer's output is turned at once into what the metrics need (a sparse random projection, a Gram or
correlation matrix) and then dropped, so memory stays near one layer's activations instead of all.
Layers (:mod:`.layers`) are named by module path, in execution order; a module called twice in one
forward pass (a shared ReLU) gives ``name`` and ``name#2``. Reductions are named by the keys of
:mod:`mousescore.numerics.reductions`.

The first batch decides the layers: every output with one row per image. Every later batch must give
each of them again, as often, with one row per image and the same shape per image (so the same width);
otherwise the extraction stops with :class:`InconsistentLayer` naming the layer, before its rows
reach a reduction or the spill (rows of another width would misalign the spilled rows and read memory
that was never written).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional

import numpy as np

from ..data.assemblies import StimulusSet
from ..errors import MousescoreError
from ..faults import checkpoint
from ..numerics import torch_kernels
from ..numerics.projection import release_buffers
from ..numerics.reductions import Reduction, finish, is_rowwise, reduce
from ..registry.layer_reductions import LayerReductions
from ..registry.specs import LoadedModel
from .device import full_float32, resolve_device
from .layers import first_tensor, preprocess, recorded_modules
from .spill import Spill, remove_orphaned_spills

SINGLE_BATCH_LIMIT = 128  # stimulus sets up to this size run as one batch


class InconsistentLayer(MousescoreError):
    """A layer whose rows or width differ between batches, or that a later batch does not give."""


WAY_OUT = ("make its output's size independent of the batch, or leave the layer out (``layers=`` in "
           "mousescore.score, or the model's layer list)")


def changed_shape(layer: str, first: tuple, now: tuple, span: str) -> InconsistentLayer:
    """The refusal of a layer whose shape per image differs from the first batch's: by its width (the
    features per image), or, where that is the same, by how they are laid out."""
    first_width, now_width = int(np.prod(first)), int(np.prod(now))
    if first_width != now_width:
        what = f"gives {now_width} features per image for {span} and gave {first_width} for the first batch"
    else:
        what = (f"gives its {now_width} features per image in shape {now} for {span} and in shape {first} "
                f"for the first batch")
    return InconsistentLayer(f"layer {layer} {what}: a layer's width and shape must not change between "
                             f"batches; {WAY_OUT}")


def _wrong_rows(layer: str, tensor, span: str, batch: int) -> InconsistentLayer:
    shape = "no tensor" if tensor is None else f"an output of shape {tuple(tensor.shape)}"
    return InconsistentLayer(f"layer {layer} gives {shape} for the {batch} {span} (one row per image, as "
                             f"for the first batch, expected); {WAY_OUT}")


def _check_same_calls(first: Dict[str, int], now: Dict[str, int], span: str) -> None:
    """Every module that gave a layer ran as often as for the first batch: a module run another number
    of times would shift the ``name#k`` of its layers, or leave one without rows for these images."""
    for module, times in first.items():
        if now.get(module, 0) != times:
            raise InconsistentLayer(
                f"module {module} ran {now.get(module, 0)} times for {span} and {times} times for the "
                f"first batch: the layers must be the same for every batch (a forward pass that "
                f"depends on its batch cannot be scored); {WAY_OUT}")


class _LayerError(Exception):
    def __init__(self, layer: str, cause: Exception):
        super().__init__(layer)
        self.layer, self.cause = layer, cause


@dataclass
class LayerFeatures:
    """Reduced features per layer, for one model on one stimulus set."""
    stimulus_ids: np.ndarray
    layers: List[str] = field(default_factory=list)          # execution order
    reduced: Dict[str, Dict[Reduction, np.ndarray]] = field(default_factory=dict)
    nonfinite: set = field(default_factory=set)   # layers with NaN/inf activations: not scored
    seconds: float = 0.0
    _derived: Dict[str, LayerReductions] = field(default_factory=dict, init=False, repr=False, compare=False)

    def relative_depth(self, layer: str) -> float:
        return self.layers.index(layer) / max(len(self.layers) - 1, 1)

    def reductions_of(self, layer: str) -> LayerReductions:
        """The layer's reductions as metrics receive them (read-only), with what metrics derive from
        them kept beside them for every benchmark scored on these features, and freed with them."""
        if layer not in self._derived:
            self._derived[layer] = LayerReductions(self.reduced[layer])
        return self._derived[layer]


def _finite(rows) -> bool:
    """Whether every value is finite, from row sums: NaN and inf propagate, and a sum is ~10x faster
    than an elementwise check. A finite float32 sum proves it (3.7x faster than a float64 one); only
    when it is not, float64 sums, which float32 values cannot overflow, decide."""
    if isinstance(rows, np.ndarray):
        with np.errstate(over="ignore"):
            if np.isfinite(rows.sum(axis=1)).all():
                return True
        return bool(np.isfinite(rows.sum(axis=1, dtype=np.float64)).all())
    import torch
    return bool(torch.isfinite(rows.sum(dim=1, dtype=torch.float64)).all())


def _flat_rows(tensor, scratch: Dict):
    """A layer's output as (n, features) float32 rows in (channel, height, width) order. A
    non-contiguous output on the CPU (a network run channels-last, as colour images permuted from
    (n, h, w, c) make it) is copied into one buffer reused across layers and batches, the hook's
    reductions being done with it before the next layer: flattening into fresh memory every layer
    cost more than the copy (ResNet-50 on the 640 Cowley images: 87 s of 345 s)."""
    import torch
    if tensor.is_contiguous() or tensor.device.type != "cpu" or tensor.dtype != torch.float32:
        return tensor.reshape(tensor.shape[0], -1).float()
    buffer = scratch.get("buffer")
    if buffer is None or buffer.numel() < tensor.numel():
        buffer = scratch["buffer"] = torch.empty(tensor.numel(), dtype=torch.float32)
    rows = buffer[:tensor.numel()].view(tensor.shape)
    rows.copy_(tensor)
    return rows.view(tensor.shape[0], -1)


def default_batch_size(n_stimuli: int) -> int:
    return n_stimuli if n_stimuli <= SINGLE_BATCH_LIMIT else 64


def extract(loaded: LoadedModel, stimuli: StimulusSet, reductions: Iterable[Reduction],
            batch_size: Optional[int] = None, progress: bool = True, device=None,
            torch_reductions: Optional[bool] = None,
            on_batch: Optional[Callable[[int, int], None]] = None) -> LayerFeatures:
    """Every layer's reductions for the stimuli. On a GPU (``device``), the reductions run in torch
    beside the model (``torch_reductions``, forced on the CPU only by tests). ``progress``: a bar over
    the batches on a terminal; ``on_batch(images, layers)``: told after each batch how many images it
    had and how many layers are recorded (for a caller that reports progress its own way)."""
    import torch
    reductions = sorted(set(reductions), key=repr)
    whole_set = [key for key in reductions if not is_rowwise(key)]
    n = stimuli.sizes["presentation"]
    batch_size = min(batch_size or default_batch_size(n), loaded.max_batch_size or n)
    single_batch = batch_size >= n
    device = resolve_device(device)
    use_torch = device.type != "cpu" if torch_reductions is None else torch_reductions
    loaded.module.to(device)
    features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids())
    partial: Dict[str, Dict[Reduction, list]] = {}
    spill: Optional[Spill] = None
    calls: Dict[str, int] = {}
    shapes: Dict[str, tuple] = {}         # the first batch's layers -> their shape per image
    layer_modules: set = set()            # the modules that gave the first batch's layers
    layer_calls: Dict[str, int] = {}      # ... -> how often they ran for the first batch
    state: Dict[str, Any] = {"first_batch": True, "batch": 0, "span": ""}
    scratch: Dict[str, "torch.Tensor"] = {}
    modules = recorded_modules(loaded.module, loaded.layers)

    def hook_for(name):
        def hook(module, inputs, output):
            calls[name] = calls.get(name, 0) + 1
            layer = name if calls[name] == 1 else f"{name}#{calls[name]}"
            try:
                record(name, layer, output)
            except MousescoreError:
                raise
            except Exception as error:   # name the layer: the forward pass only sees an exception
                raise _LayerError(layer, error) from error
        return hook

    def record(module, layer, output):
        tensor = first_tensor(output)
        per_image = tensor is not None and tensor.ndim > 0 and tensor.shape[0] == state["batch"]
        if state["first_batch"]:
            if not per_image:
                return   # not one row per image (a sequence-first attention output): not a layer
        elif layer not in shapes:
            return       # the first batch did not record it
        elif not per_image:
            raise _wrong_rows(layer, tensor, state["span"], state["batch"])
        if tensor.is_complex():
            raise TypeError("the layer's output is complex; only real activations can be compared")
        flat = _flat_rows(tensor.detach(), scratch)
        if state["first_batch"]:
            shapes[layer] = tuple(tensor.shape[1:])
            layer_modules.add(module)
            features.layers.append(layer)
        elif tuple(tensor.shape[1:]) != shapes[layer]:
            raise changed_shape(layer, shapes[layer], tuple(tensor.shape[1:]), state["span"])
        rows = flat if use_torch else flat.cpu().numpy()
        if layer in features.nonfinite or not _finite(rows):
            features.nonfinite.add(layer)   # overflowing random networks: leave the layer out
            return
        kernels = torch_kernels if use_torch else None
        slot = partial.setdefault(layer, {})
        for key in reductions:
            if is_rowwise(key):
                slot.setdefault(key, []).append(reduce(key, rows, kernels))
            elif single_batch:
                slot[key] = [reduce(key, rows, kernels)]
        if spill is not None:   # written out now: the hook's tensor may be modified in place later
            spill.append(layer, flat.cpu().numpy())

    handles = [m.register_forward_hook(hook_for(name)) for name, m in modules.items()]
    start = time.perf_counter()
    try:
        if whole_set and not single_batch:
            spill = Spill()
        else:
            remove_orphaned_spills()   # a killed run's spill is removed at the next start, spilling or not
        batches = range(0, n, batch_size)
        if progress and sys.stderr.isatty() and len(batches) > 1:
            from tqdm import tqdm
            batches = tqdm(batches, desc="extracting", unit="batch", file=sys.stderr)
        with torch.inference_mode(), full_float32(device):
            for begin in batches:
                images = stimuli.values[begin:begin + batch_size]
                calls.clear()
                state.update(batch=len(images), span=f"images {begin + 1}-{begin + len(images)} of {n}")
                try:
                    loaded.module(preprocess(images, loaded).to(device))
                    if state["first_batch"]:
                        layer_calls.update({module: calls[module] for module in layer_modules})
                    else:
                        _check_same_calls(layer_calls, calls, state["span"])
                except MousescoreError:
                    raise
                except _LayerError as error:
                    raise MousescoreError(f"reducing the activations of layer {error.layer} failed "
                                          f"({type(error.cause).__name__}: {error.cause})") from error
                except Exception as error:
                    raise MousescoreError(f"the model's forward pass failed ({type(error).__name__}: "
                                          f"{error})") from error
                state["first_batch"] = False
                if on_batch is not None:
                    on_batch(len(images), len(features.layers))
                checkpoint("extraction")
        for layer in features.layers:   # one layer at a time: spilled rows are read back in chunks
            pieces = partial.pop(layer, {})
            done = {} if layer in features.nonfinite else {
                key: finish(key, parts) for key, parts in pieces.items() if parts}
            if spill is not None and layer in spill:
                if layer not in features.nonfinite:
                    rows = spill.read(layer)
                    done.update({key: reduce(key, rows) for key in whole_set})
                spill.discard(layer)
            features.reduced[layer] = done
    finally:
        for handle in handles:
            handle.remove()
        if spill is not None:
            spill.close()
        release_buffers()
    if not features.layers:
        raise MousescoreError("no layer produced an activation: check the model's layer list")
    features.seconds = time.perf_counter() - start
    return features
