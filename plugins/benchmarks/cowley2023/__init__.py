"""Macaque V4 (Cowley, Stan, Pillow & Smith 2023): 640 images, 50 neurons, per-repeat responses.

Benchmarks ``cowley2023.V4-srp_ridge`` and its scale-free twin ``cowley2023.V4-srp_ridge_gcv``, ceiled
by each neuron's split-half reliability over repeats.
"""
from mousescore import BenchmarkSpec, hookimpl

from .benchmarks import METRICS, v4_benchmark
from .dataset import DATASET


@hookimpl
def mousescore_datasets():
    return [DATASET]


@hookimpl
def mousescore_benchmarks():
    return [BenchmarkSpec(f"cowley2023.V4-{metric}", lambda m=metric: v4_benchmark(f"cowley2023.V4-{m}", m),
                          {"dataset": "cowley2023", "site": "V4", "metric": metric})
            for metric in METRICS]
