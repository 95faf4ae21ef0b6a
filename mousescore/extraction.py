"""Run a model over a stimulus set and reduce every layer's activations inside its forward hook.

Each layer's output is turned at once into what the metrics need (a sparse random projection, a Gram or
correlation matrix) and then dropped, so memory stays near one layer's activations instead of all.
Layers are the model's leaf modules (or the spec's list), named by module path, in execution order; a
module called twice in one forward pass (a shared ReLU) gives ``name`` and ``name#2``.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Hashable, Iterable, List, Optional, Tuple

import numpy as np

from .assemblies import StimulusSet
from .errors import MousescoreError
from .faults import checkpoint
from .projection import project
from .ridge import ridge_summary
from .rsa import correlation_matrix
from .specs import LoadedModel

# Reductions are hashable keys: ("srp", n_components, seed), the projected rows; ("srp_gram",
# n_components, seed), what ridge needs of that projection (``ridge.ridge_summary``: its centred Gram
# matrix, n × n instead of n × k, or the centred projection itself when k < n); ("centered_gram",), the
# same of the raw features; ("correlation",). The projections work batch by batch; the others need
# every stimulus of a layer at once (rows spill to disk when the stimuli span several batches).
ROWWISE = {"srp", "srp_gram"}
# Metrics may keep what they derive from a layer's reductions (a ridge eigendecomposition) under keys
# starting with this, so that benchmarks sharing the features share it; never part of a reduction.
DECOMPOSITION = ("derived:eigh",)
# Leaf modules that are the identity at inference time add nothing but cost.
IDENTITY_MODULES = {"Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                    "DropPath", "DropBlock2d"}
SINGLE_BATCH_LIMIT = 128  # stimulus sets up to this size run as one batch


class _LayerError(Exception):
    def __init__(self, layer: str, cause: Exception):
        super().__init__(layer)
        self.layer, self.cause = layer, cause


def reduce(key: Tuple, rows, kernels=None) -> np.ndarray:
    """One reduction of ``rows``. ``kernels``: a module with ``project``, ``ridge_summary`` and
    ``correlation_matrix`` (default: the numpy ones; :mod:`mousescore.torch_reductions` on a device)."""
    kind = key[0]
    if kind in ("srp", "srp_gram"):
        return (kernels.project if kernels else project)(rows, n_components=key[1], seed=key[2])
    if kind == "centered_gram":
        return (kernels.ridge_summary if kernels else ridge_summary)(rows)
    if kind == "correlation":
        return (kernels.correlation_matrix if kernels else correlation_matrix)(rows)
    raise ValueError(f"unknown reduction {key!r}")


def reduce_all(key: Tuple, rows: np.ndarray) -> np.ndarray:
    """A reduction of a whole stimulus set's rows at once (not batch by batch)."""
    return finish(key, [reduce(key, rows)])


def finish(key: Tuple, parts: List[np.ndarray]) -> np.ndarray:
    """A layer's reduction from its per-batch pieces."""
    if key[0] not in ROWWISE:
        return parts[0]
    rows = np.concatenate(parts)
    return ridge_summary(rows.astype(np.float64)) if key[0] == "srp_gram" else rows


class _Spill:
    """Raw rows of layers whose whole-set reductions span several batches, appended to one file per
    layer on disk instead of kept in memory, and read back in column chunks."""

    def __init__(self):
        from . import paths
        directory = paths.home() / "tmp"
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = Path(tempfile.mkdtemp(prefix="spill-", dir=directory))
        self.shapes: Dict[str, Tuple[int, int]] = {}

    def append(self, layer: str, rows: np.ndarray) -> None:
        n, p, path = self.shapes.get(layer, (0, rows.shape[1], self.directory / f"{len(self.shapes)}.f32"))
        with open(path, "ab") as file:
            file.write(memoryview(np.ascontiguousarray(rows, dtype=np.float32)))   # no bytes copy
        self.shapes[layer] = (n + rows.shape[0], p, path)

    def __contains__(self, layer: str) -> bool:
        return layer in self.shapes

    def read(self, layer: str) -> "_SpilledRows":
        n, p, path = self.shapes[layer]
        return _SpilledRows(path, n, p)

    def discard(self, layer: str) -> None:
        if layer in self.shapes:
            self.shapes.pop(layer)[2].unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class _SpilledRows:
    """A spilled layer's rows (n × p, float32), read from its file a column chunk at a time
    (``rows[:, a:b]``): only the chunk in use is in memory. A memory map would keep every page it
    touched resident, up to the whole layer (380 MB for ResNet-18's widest)."""
    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, path: Path, n: int, p: int):
        self.path, self.shape = path, (n, p)

    def __getitem__(self, index) -> np.ndarray:
        rows, columns = index
        if rows != slice(None) or not isinstance(columns, slice) or columns.step not in (None, 1):
            raise IndexError("spilled rows are read as [:, start:stop]")
        n, p = self.shape
        start, stop, _ = columns.indices(p)
        block = np.empty((n, max(stop - start, 0)), dtype=np.float32)
        with open(self.path, "rb") as file:
            for row in range(n):
                file.seek((row * p + start) * 4)
                file.readinto(block[row])
        return block

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        values = np.fromfile(self.path, dtype=np.float32).reshape(self.shape)
        return values if dtype is None else values.astype(dtype, copy=False)


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


def _finite(rows) -> bool:
    """Whether every value is finite, from row sums in float64: float32 values cannot overflow
    them, NaN and inf propagate, and a sum is ~10x faster than an elementwise check."""
    if isinstance(rows, np.ndarray):
        return bool(np.isfinite(rows.sum(axis=1, dtype=np.float64)).all())
    import torch
    return bool(torch.isfinite(rows.sum(dim=1, dtype=torch.float64)).all())


def default_batch_size(n_stimuli: int) -> int:
    return n_stimuli if n_stimuli <= SINGLE_BATCH_LIMIT else 64


def resolve_device(name: Optional[str] = None):
    """``auto`` (or None): CUDA when present, else the CPU; otherwise any torch device name."""
    import torch
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as error:
        raise MousescoreError(f"device '{name}' is not usable here ({error}); use --device cpu") from error
    return device


@contextmanager
def _full_float32(device):
    """No TF32 on a GPU while extracting: cuDNN's default TF32 convolutions moved scores by up to
    1.7e-5 against the CPU (H200, benchmarks/gpu_check.py); full float32 gives 1e-7 for ~10% time."""
    import torch
    if device.type != "cuda":
        yield
        return
    backends = (torch.backends.cudnn, torch.backends.cuda.matmul)
    with warnings.catch_warnings():   # newer torch prefers fp32_precision; allow_tf32 still works
        warnings.simplefilter("ignore")
        saved = [backend.allow_tf32 for backend in backends]
        for backend in backends:
            backend.allow_tf32 = False
    try:
        yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for backend, value in zip(backends, saved):
                backend.allow_tf32 = value


def extract(loaded: LoadedModel, stimuli: StimulusSet, reductions: Iterable[Tuple],
            batch_size: Optional[int] = None, progress: bool = True, device=None,
            torch_reductions: Optional[bool] = None) -> LayerFeatures:
    """Every layer's reductions for the stimuli. On a GPU (``device``), the reductions run in torch
    beside the model (``torch_reductions``, forced on the CPU only by tests)."""
    import torch
    from . import torch_reductions as on_device
    reductions = sorted(set(reductions), key=repr)
    whole_set = [key for key in reductions if key[0] not in ROWWISE]
    n = stimuli.sizes["presentation"]
    batch_size = batch_size or default_batch_size(n)
    single_batch = batch_size >= n
    device = resolve_device(device)
    use_torch = device.type != "cpu" if torch_reductions is None else torch_reductions
    loaded.module.to(device)
    features = LayerFeatures(stimulus_ids=stimuli.stimulus_ids())
    partial: Dict[str, Dict[Hashable, list]] = {}
    spill = _Spill() if whole_set and not single_batch else None
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
        flat = tensor.detach().reshape(tensor.shape[0], -1).float()
        if state["first_batch"]:
            features.layers.append(layer)
        rows = flat if use_torch else flat.cpu().numpy()
        if layer in features.nonfinite or not _finite(rows):
            features.nonfinite.add(layer)   # overflowing random networks: leave the layer out
            return
        kernels = on_device if use_torch else None
        slot = partial.setdefault(layer, {})
        for key in reductions:
            if key[0] in ROWWISE:
                slot.setdefault(key, []).append(reduce(key, rows, kernels))
            elif single_batch:
                slot[key] = [reduce(key, rows, kernels)]
        if spill is not None:   # written out now: the hook's tensor may be modified in place later
            spill.append(layer, flat.cpu().numpy())

    handles = [m.register_forward_hook(hook_for(name)) for name, m in modules.items()]
    start = time.perf_counter()
    try:
        batches = range(0, n, batch_size)
        if progress and sys.stderr.isatty() and len(batches) > 1:
            from tqdm import tqdm
            batches = tqdm(batches, desc="extracting", unit="batch", file=sys.stderr)
        with torch.inference_mode(), _full_float32(device):
            for begin in batches:
                images = stimuli.values[begin:begin + batch_size]
                calls.clear()
                state["batch"] = len(images)
                try:
                    loaded.module(preprocess(images, loaded).to(device))
                except _LayerError as error:
                    raise MousescoreError(f"reducing the activations of layer {error.layer} failed "
                                          f"({type(error.cause).__name__}: {error.cause})") from error
                except Exception as error:
                    raise MousescoreError(f"the model's forward pass failed ({type(error).__name__}: "
                                          f"{error})") from error
                state["first_batch"] = False
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
    if not features.layers:
        raise MousescoreError("no layer produced an activation: check the model's layer list")
    features.seconds = time.perf_counter() - start
    return features
