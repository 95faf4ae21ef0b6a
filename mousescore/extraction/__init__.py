"""Run a model over stimuli and keep only each layer's reductions: the forward-hook extraction, rows
spilled to disk, the memory budget, and the on-disk feature cache."""
from .device import resolve_device
from .extract import LayerFeatures, default_batch_size, extract
from .layers import preprocess, recorded_modules

__all__ = [
    "default_batch_size", "extract", "LayerFeatures", "preprocess", "recorded_modules", "resolve_device"
]
