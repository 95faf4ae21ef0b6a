"""Macaque V4 (Cowley, Stan, Pillow & Smith 2023): 640 images, 50 neurons, per-repeat responses.

Benchmark ``cowley2023.V4-srp_ridge``, ceiled by each neuron's split-half reliability over repeats.
"""
from mousescore import BenchmarkSpec, hookimpl

from .benchmarks import v4_benchmark
from .dataset import DATASET


@hookimpl
def mousescore_datasets():
    return [DATASET]


@hookimpl
def mousescore_benchmarks():
    identifier = "cowley2023.V4-srp_ridge"
    return [BenchmarkSpec(identifier, lambda: v4_benchmark(identifier, "srp_ridge"),
                          {"dataset": "cowley2023", "site": "V4", "metric": "srp_ridge"})]
