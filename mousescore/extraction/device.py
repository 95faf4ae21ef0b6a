"""The torch device extraction runs on, and full float32 precision while it does."""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Optional

from ..errors import MousescoreError


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
def full_float32(device):
    """No TF32 on a GPU while extracting: cuDNN's default TF32 convolutions moved scores by up to
    1.7e-5 against the CPU (H200, performance/gpu_check.py); full float32 gives 1e-7 for ~10% time."""
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
