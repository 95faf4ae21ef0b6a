"""Run a model over a stimulus set and reduce every layer's activations inside its forward hook.

Each layer's output is turned at once into what the metrics need (a sparse random projection, a Gram or
correlation matrix) and then dropped, so memory stays near one layer's activations instead of all.
Layers are the model's leaf modules (or the spec's list), named by module path, in execution order; a
module called twice in one forward pass (a shared ReLU) gives ``name`` and ``name#2``.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Dict, Hashable, Iterable, List, Optional, Tuple

import numpy as np

from .assemblies import StimulusSet
from .errors import MousescoreError
from .faults import checkpoint
from .projection import project
from .ridge import centered_gram
from .rsa import correlation_matrix
from .specs import LoadedModel

# Reductions are hashable keys: ("srp", n_components, seed), ("centered_gram",), ("correlation",).
# Only "srp" works row by row; the others need every stimulus of a layer at once.
ROWWISE = {"srp"}
# Leaf modules that are the identity at inference time add nothing but cost.
IDENTITY_MODULES = {"Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                    "DropPath", "DropBlock2d"}
SINGLE_BATCH_LIMIT = 128  # stimulus sets up to this size run as one batch


class _LayerError(Exception):
    def __init__(self, layer: str, cause: Exception):
        super().__init__(layer)
        self.layer, self.cause = layer, cause


def reduce(key: Tuple, rows: np.ndarray) -> np.ndarray:
    kind = key[0]
    if kind == "srp":
        return project(rows, n_components=key[1], seed=key[2])
    if kind == "centered_gram":
        return centered_gram(rows)
    if kind == "correlation":
        return correlation_matrix(rows)
    raise ValueError(f"unknown reduction {key!r}")


@dataclass
class LayerFeatures:
    """Reduced features per layer, for one model on one stimulus set."""
    stimulus_ids: np.ndarray
    layers: List[str] = field(default_factory=list)          # execution order
    reduced: Dict[str, Dict[Hashable, np.ndarray]] = field(default_factory=dict)
    nonfinite: set = field(default_factory=set)   # layers with NaN/inf activations: not scored
    seconds: float = 0.0

    def relative_depth(self, layer: str) -> float:
        return self.layers.index(layer) / max(len(self.layers) - 1, 1)


def preprocess(images: np.ndarray, loaded: LoadedModel):
    """(n, h, w, c) floats in [0, 1] -> normalised (n, 3, size, size) tensor; gray -> 3 channels."""
    import torch
    import torch.nn.functional as F
    batch = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).permute(0, 3, 1, 2)
    if batch.shape[1] == 1:
        batch = batch.expand(-1, 3, -1, -1)
    size = loaded.input_size
    if batch.shape[-2:] != (size, size):
        batch = F.interpolate(batch, size=(size, size), mode="bilinear", align_corners=False,
                              antialias=True)
    mean = torch.tensor(loaded.mean, dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(loaded.std, dtype=torch.float32).view(1, 3, 1, 1)
    return (batch - mean) / std


def recorded_modules(module, layers: Optional[Iterable[str]]):
    named = dict(module.named_modules())
    if layers is not None:
        unknown = [name for name in layers if name not in named]
        if unknown:
            raise MousescoreError(f"the model has no modules named {unknown[:5]}")
        return {name: named[name] for name in layers}
    return {name: m for name, m in named.items()
            if name and not any(True for _ in m.children()) and type(m).__name__ not in IDENTITY_MODULES}


def _first_tensor(output):
    import torch
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        for item in output:
            if isinstance(item, torch.Tensor):
                return item
    return None


def default_batch_size(n_stimuli: int) -> int:
    return n_stimuli if n_stimuli <= SINGLE_BATCH_LIMIT else 64


def extract(loaded: LoadedModel, stimuli: StimulusSet, reductions: Iterable[Tuple],
            batch_size: Optional[int] = None, progress: bool = True) -> LayerFeatures:
    import torch
    reductions = sorted(set(reductions), key=repr)
    n = stimuli.sizes["presentation"]
    batch_size = batch_size or default_batch_size(n)
    single_batch = batch_size >= n
    features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids())
    partial: Dict[str, Dict[Hashable, list]] = {}
    spilled: Dict[str, list] = {}   # raw rows kept only when whole-set reductions span batches
    calls: Dict[str, int] = {}
    state = {"first_batch": True, "batch": 0}
    modules = recorded_modules(loaded.module, loaded.layers)

    def hook_for(name):
        def hook(module, inputs, output):
            calls[name] = calls.get(name, 0) + 1
            layer = name if calls[name] == 1 else f"{name}#{calls[name]}"
            try:
                record(layer, output)
            except Exception as error:   # name the layer: the forward pass only sees an exception
                raise _LayerError(layer, error) from error
        return hook

    def record(layer, output):
        tensor = _first_tensor(output)
        if tensor is None or tensor.ndim == 0 or tensor.shape[0] != state["batch"]:
            return
        if tensor.is_complex():
            raise TypeError("the layer's output is complex; only real activations can be compared")
        rows = tensor.detach().reshape(tensor.shape[0], -1).float().cpu().numpy()
        if state["first_batch"]:
            features.layers.append(layer)
        if layer in features.nonfinite or not np.isfinite(rows).all():
            features.nonfinite.add(layer)   # overflowing random networks: leave the layer out
            return
        slot = partial.setdefault(layer, {})
        for key in reductions:
            if key[0] in ROWWISE:
                slot.setdefault(key, []).append(reduce(key, rows))
            elif single_batch:
                slot[key] = [reduce(key, rows)]
            else:
                spilled.setdefault(layer, [])
        if not single_batch and layer in spilled:
            spilled[layer].append(rows.copy())  # the hook's tensor may be modified in place later

    handles = [m.register_forward_hook(hook_for(name)) for name, m in modules.items()]
    start = time.perf_counter()
    try:
        batches = range(0, n, batch_size)
        if progress and sys.stderr.isatty() and len(batches) > 1:
            from tqdm import tqdm
            batches = tqdm(batches, desc="extracting", unit="batch", file=sys.stderr)
        with torch.inference_mode():
            for begin in batches:
                images = stimuli.values[begin:begin + batch_size]
                calls.clear()
                state["batch"] = len(images)
                try:
                    loaded.module(preprocess(images, loaded))
                except _LayerError as error:
                    raise MousescoreError(f"reducing the activations of layer {error.layer} failed "
                                          f"({type(error.cause).__name__}: {error.cause})") from error
                except Exception as error:
                    raise MousescoreError(f"the model's forward pass failed ({type(error).__name__}: "
                                          f"{error})") from error
                state["first_batch"] = False
                checkpoint("extraction")
    finally:
        for handle in handles:
            handle.remove()
    for layer in features.layers:
        if layer in features.nonfinite:
            partial.pop(layer, None)
            spilled.pop(layer, None)
            features.reduced[layer] = {}
            continue
        done = {key: np.concatenate(parts) if key[0] in ROWWISE else parts[0]
                for key, parts in partial.get(layer, {}).items() if parts}
        if layer in spilled:
            rows = np.concatenate(spilled.pop(layer))
            done.update({key: reduce(key, rows) for key in reductions if key[0] not in ROWWISE})
        features.reduced[layer] = done
    if not features.layers:
        raise MousescoreError("no layer produced an activation: check the model's layer list")
    features.seconds = time.perf_counter() - start
    return features
