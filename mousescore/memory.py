"""Refuse an extraction that would run out of memory, before it starts, with a way out.

A forward pass of one image gives every layer's width; from it the peak is estimated as the largest
layer's activations for one batch (plus the copies made while reducing), the raw rows kept when a
whole-set reduction (Gram, correlation) spans several batches, the projection matrices and the
reduced outputs. The estimate is compared with the memory available now (``MemAvailable``), or with
``MOUSESCORE_MEMORY_LIMIT_GB`` where set.
"""
from __future__ import annotations

import os
from typing import Iterable, List, Optional

import numpy as np

from .errors import MousescoreError

LIMIT_VARIABLE = "MOUSESCORE_MEMORY_LIMIT_GB"
FLOAT = 4


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
    if not widths:
        return 0
    reductions = list(reductions)
    sizes = np.array(widths, dtype=np.float64)
    activations = batch_size * sizes.max() * FLOAT * 4           # output, float copy, centred copy, product
    spill = 0.0
    if batch_size < n_stimuli and any(key[0] != "srp" for key in reductions):
        spill = n_stimuli * sizes.sum() * FLOAT
    projections = sum(key[1] * np.sqrt(sizes).sum() * 8 for key in reductions if key[0] == "srp")
    outputs = len(sizes) * sum(n_stimuli * key[1] * FLOAT if key[0] == "srp" else n_stimuli ** 2 * 8
                               for key in reductions)
    return int(activations + spill + min(projections, 2 << 30) + outputs)


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
    n = stimuli.sizes["presentation"]
    needed = estimate_bytes(layer_widths(loaded, stimuli), n, batch_size, reductions)
    available = available_bytes()
    if available is not None and needed > 0.9 * available:
        raise MousescoreError(
            f"scoring {model_id} on {n} stimuli needs about {needed / 2**30:.2f} GiB and "
            f"{available / 2**30:.2f} GiB is available: use a smaller --batch-size, score fewer "
            f"benchmarks at once (whole-set metrics such as rsa, ridge and pls keep every layer's "
            f"activations when the stimuli span several batches), or a machine with more memory")
    return needed
