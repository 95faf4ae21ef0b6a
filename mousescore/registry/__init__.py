"""Plugins and what they return: the hookspecs, the lazy specs, the interfaces as code (contracts) and
the registry that finds plugins through entry points and resolves identifiers."""
from .contracts import BENCHMARK_METADATA, MODEL_METADATA, Metric
from .plugins import ENTRY_POINT_GROUP, KINDS, Registry, get_registry
from .specs import BenchmarkSpec, DatasetSpec, LoadedModel, MetricSpec, ModelSpec, RemoteFile, trained_and_random

__all__ = [
    "BENCHMARK_METADATA", "BenchmarkSpec", "DatasetSpec", "ENTRY_POINT_GROUP", "get_registry", "KINDS",
    "LoadedModel", "Metric", "MetricSpec", "MODEL_METADATA", "ModelSpec", "Registry", "RemoteFile",
    "trained_and_random"
]
