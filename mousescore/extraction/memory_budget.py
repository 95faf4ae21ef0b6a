"""Refuse an extraction that would run out of memory, before it starts, with a way out.

A forward pass of one image gives every layer's width and the forward pass's own working set (the
most tensor bytes alive at once); from them the peak is estimated as that working set for one batch
(plus the copies of the largest layer made while reducing), the projection matrices and the reduced
outputs; the raw rows a whole-set reduction (Gram, correlation) needs when the stimuli span
several batches go to disk, whose free space is checked too. The estimate is compared with the memory
available now (``MemAvailable``), or with ``MOUSESCORE_MEMORY_LIMIT_GB`` less what this process already
holds, where set. Without a ``--batch-size``, a batch that does not fit is halved until it does (the
rows of whole-set reductions then spill to disk): memory binds, speed gives.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional

import numpy as np

from .. import config
from ..data.headers import available_bytes
from ..errors import MousescoreError
from ..numerics.projection import CACHE_BYTES
from ..numerics.reductions import is_rowwise
from .extract import default_batch_size
from .layers import first_tensor, preprocess, recorded_modules
from .spill import remove_orphaned_spills

FLOAT = 4


@dataclass
class ForwardProbe:
    """What a forward pass of one image tells: the features per sample of every recorded layer call
    (a module called twice is two layers), and the most tensor bytes alive at once (0: not measured)."""
    widths: List[int] = field(default_factory=list)
    working_bytes: int = 0


def probe_forward(loaded, stimuli) -> ForwardProbe:
    """Every layer's width and the forward pass's working set, from one image. The working set is what
    the layer widths alone miss: nasnetalarge's cells hold many branches at once, 97 MiB per 331-pixel
    image against 10 MiB for its widest layer."""
    import torch
    probe = ForwardProbe()

    def hook(module, inputs, output):
        tensor = first_tensor(output)
        if tensor is not None and tensor.ndim > 0:
            probe.widths.append(int(tensor[0].numel()))

    handles = [m.register_forward_hook(hook) for m in recorded_modules(loaded.module, loaded.layers).values()]
    try:
        images = preprocess(stimuli.values[:1], loaded)
        with torch.inference_mode():
            try:
                live = _live_bytes_mode()
                with live:
                    loaded.module(images)
                probe.working_bytes = live.peak
            except Exception:   # an op the tracking cannot follow: widths alone, as without it
                probe.widths.clear()
                loaded.module(images)
    except Exception:
        return ForwardProbe()   # the real extraction will report the failure with its own message
    finally:
        for handle in handles:
            handle.remove()
    return probe


def _live_bytes_mode():
    """A torch dispatch mode that follows every CPU tensor an op returns until it is freed and keeps the
    most bytes alive at once (views of a storage already followed are not counted again)."""
    import weakref

    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    class LiveBytes(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.live = self.peak = 0
            self.storages: Dict[int, int] = {}   # data pointer -> bytes, for the storages alive now

        def _freed(self, key):
            self.live -= self.storages.pop(key, 0)

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for tensor in tree_leaves(out):
                if isinstance(tensor, torch.Tensor) and tensor.device.type == "cpu":
                    storage = tensor.untyped_storage()
                    key = storage.data_ptr()
                    if key and key not in self.storages:
                        self.storages[key] = storage.nbytes()
                        self.live += storage.nbytes()
                        self.peak = max(self.peak, self.live)
                        weakref.finalize(tensor, self._freed, key)
            return out

    return LiveBytes()


def estimate_bytes(probe: ForwardProbe, n_stimuli: int, batch_size: int, reductions: Iterable) -> int:
    """Memory (RAM) the extraction needs; rows of whole-set reductions spill to disk, not counted."""
    if not probe.widths:
        return 0
    reductions = list(reductions)
    sizes = np.array(probe.widths, dtype=np.float64)
    widest = sizes.max() * FLOAT
    # The forward pass's working set (the widest output at least), then the hook's float copy, centred
    # copy and product of the widest layer.
    activations = batch_size * (max(probe.working_bytes, widest) + 3 * widest)
    projected = [key for key in reductions if is_rowwise(key)]
    # One cached matrix per distinct width, ~k·√p non-zeros of 8 bytes (value and index).
    matrices = sum(key[1] * np.sqrt(np.unique(sizes)).sum() * 8 for key in projected)
    outputs = len(sizes) * sum(n_stimuli * key[1] * FLOAT if key in projected else n_stimuli ** 2 * 8
                               for key in reductions)
    return int(activations + min(matrices, CACHE_BYTES) + outputs)


def spill_bytes(probe: ForwardProbe, n_stimuli: int, batch_size: int, reductions: Iterable) -> int:
    """Disk the raw rows of whole-set reductions take when the stimuli span several batches."""
    if batch_size >= n_stimuli or all(is_rowwise(key) for key in reductions):
        return 0
    return int(n_stimuli * float(sum(probe.widths)) * FLOAT)


def _give_back_freed_arrays() -> None:
    """With a memory limit: glibc serves arrays of 1 MiB and more from their own mappings, returned
    to the system when freed. Its default threshold grows with each freed array, after which freed
    activations stay in the process (ResNet-18 under a 1.5 GiB limit: peak RSS 1.46 -> 1.25 GiB).
    What an earlier extraction and its scoring freed on the heap is handed back too (malloc_trim),
    so that the next stimulus set is measured against what the process really holds."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 20)   # M_MMAP_THRESHOLD (fixed from now on)
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass   # not glibc: nothing to tune


def check_memory(loaded, stimuli, reductions, batch_size: Optional[int], model_id: str) -> int:
    """The batch size to extract with: ``batch_size`` if given and it fits, else the default one or,
    where that does not fit, the largest of its halvings that does. Raises a MousescoreError with a way
    out when nothing fits (memory, or the disk the rows spill to)."""
    n = stimuli.sizes["presentation"]
    probe = probe_forward(loaded, stimuli)
    if config.settings().memory_limit_gb is not None:
        _give_back_freed_arrays()
    available = available_bytes()
    chosen = min(batch_size or default_batch_size(n), loaded.max_batch_size or n)
    if batch_size is None and available is not None:
        while chosen > 1 and estimate_bytes(probe, n, chosen, reductions) > 0.9 * available:
            chosen = (chosen + 1) // 2
    needed = estimate_bytes(probe, n, chosen, reductions)
    spilled = spill_bytes(probe, n, chosen, reductions)
    if spilled:
        home = config.home()
        home.mkdir(parents=True, exist_ok=True)
        remove_orphaned_spills()   # what killed runs left is free space for this one
        free = shutil.disk_usage(home).free
        if spilled > 0.9 * free:
            raise MousescoreError(
                f"scoring {model_id} on {n} stimuli spills about {spilled / 2**30:.1f} GiB of activations "
                f"to {home / 'tmp'} and {free / 2**30:.1f} GiB is free there: point MOUSESCORE_HOME at a "
                f"bigger disk, or use a --batch-size of at least {n} if memory allows")
    if available is not None and needed > 0.9 * available:
        # a 10% margin for what the estimate leaves out (torch's workspace, the scoring after it)
        smaller = "use a smaller --batch-size, " if chosen > 1 else ""
        raise MousescoreError(
            f"scoring {model_id} on {n} stimuli needs about {needed / 2**30:.2f} GiB with a batch of "
            f"{chosen}, more than the {0.9 * available / 2**30:.2f} GiB it may take (90% of the "
            f"{available / 2**30:.2f} GiB available now): {smaller}score fewer benchmarks at once, "
            f"stop other jobs, or use a machine with more memory")
    return chosen
