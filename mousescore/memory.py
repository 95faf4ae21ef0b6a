"""Refuse an extraction that would run out of memory, before it starts, with a way out.

A forward pass of one image gives every layer's width; from it the peak is estimated as the largest
layer's activations for one batch (plus the copies made while reducing), the projection matrices and
the reduced outputs; the raw rows a whole-set reduction (Gram, correlation) needs when the stimuli span
several batches go to disk, whose free space is checked too. The estimate is compared with the memory available now (``MemAvailable``), or with
``MOUSESCORE_MEMORY_LIMIT_GB`` where set.
"""
from __future__ import annotations

import os
import shutil
from typing import Iterable, List, Optional

import numpy as np

from .errors import MousescoreError

LIMIT_VARIABLE = "MOUSESCORE_MEMORY_LIMIT_GB"
FLOAT = 4
PROJECTIONS = {"srp", "srp_gram"}


def layer_widths(loaded, stimuli) -> List[int]:
    """Features per sample of every recorded layer call, from a forward pass of one image."""
    import torch
    from .extraction import _first_tensor, preprocess, recorded_modules
    widths: List[int] = []   # one entry per call: a module called twice is two layers

    def hook(module, inputs, output):
        tensor = _first_tensor(output)
        if tensor is not None and tensor.ndim > 0:
            widths.append(int(tensor[0].numel()))

    handles = [m.register_forward_hook(hook) for m in recorded_modules(loaded.module, loaded.layers).values()]
    try:
        with torch.inference_mode():
            loaded.module(preprocess(stimuli.values[:1], loaded))
    except Exception:
        return []   # the real extraction will report the failure with its own message
    finally:
        for handle in handles:
            handle.remove()
    return widths


def estimate_bytes(widths: List[int], n_stimuli: int, batch_size: int, reductions: Iterable) -> int:
    """Memory (RAM) the extraction needs; rows of whole-set reductions spill to disk, not counted."""
    if not widths:
        return 0
    reductions = list(reductions)
    sizes = np.array(widths, dtype=np.float64)
    activations = batch_size * sizes.max() * FLOAT * 4           # output, float copy, centred copy, product
    projected = [key for key in reductions if key[0] in PROJECTIONS]
    matrices = sum(key[1] * np.sqrt(sizes).sum() * 8 for key in projected)
    outputs = len(sizes) * sum(n_stimuli * key[1] * FLOAT if key in projected else n_stimuli ** 2 * 8
                               for key in reductions)
    return int(activations + min(matrices, 2 << 30) + outputs)


def spill_bytes(widths: List[int], n_stimuli: int, batch_size: int, reductions: Iterable) -> int:
    """Disk the raw rows of whole-set reductions take when the stimuli span several batches."""
    if batch_size >= n_stimuli or all(key[0] in PROJECTIONS for key in reductions):
        return 0
    return int(n_stimuli * float(sum(widths)) * FLOAT)


def available_bytes() -> Optional[int]:
    if os.environ.get(LIMIT_VARIABLE):
        return int(float(os.environ[LIMIT_VARIABLE]) * 2 ** 30)
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def check_memory(loaded, stimuli, reductions, batch_size: int, model_id: str) -> int:
    from . import paths
    n = stimuli.sizes["presentation"]
    widths = layer_widths(loaded, stimuli)
    needed = estimate_bytes(widths, n, batch_size, reductions)
    spilled = spill_bytes(widths, n, batch_size, reductions)
    if spilled:
        home = paths.home()
        home.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(home).free
        if spilled > 0.9 * free:
            raise MousescoreError(
                f"scoring {model_id} on {n} stimuli spills about {spilled / 2**30:.1f} GiB of activations "
                f"to {home / 'tmp'} and {free / 2**30:.1f} GiB is free there: point MOUSESCORE_HOME at a "
                f"bigger disk, or use a --batch-size of at least {n} if memory allows")
    available = available_bytes()
    if available is not None and needed > 0.9 * available:
        raise MousescoreError(
            f"scoring {model_id} on {n} stimuli needs about {needed / 2**30:.2f} GiB and "
            f"{available / 2**30:.2f} GiB is available: use a smaller --batch-size, score fewer "
            f"benchmarks at once, or a machine with more memory")
    return needed
