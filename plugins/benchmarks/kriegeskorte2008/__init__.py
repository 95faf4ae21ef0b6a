"""Macaque IT (Kriegeskorte et al. 2008, Kiani et al. 2007): 92 object images and the IT RDM.

Benchmark ``kriegeskorte2008.IT-rsa``. Only the RDM is public (no repeats), so there is no split-half
ceiling: the score is reported against the maximum r = 1, with the human IT fMRI RDM's correlation
with the monkey RDM beside it as a reference.
"""
from mousescore import BenchmarkSpec, hookimpl

from .benchmarks import it_benchmark
from .dataset import DATASET


@hookimpl
def mousescore_datasets():
    return [DATASET]


@hookimpl
def mousescore_benchmarks():
    return [BenchmarkSpec("kriegeskorte2008.IT-rsa", lambda: it_benchmark("kriegeskorte2008.IT-rsa"),
                          {"dataset": "kriegeskorte2008", "site": "IT", "metric": "rsa"})]
