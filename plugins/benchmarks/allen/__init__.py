"""Allen Brain Observatory natural scenes: the 118 scenes and the 21 real per-site RDMs.

Benchmarks ``allen.<AREA>_<layer>-rsa`` (one site) and ``allen.<AREA>-rsa`` (an area: the model commits
one layer, chosen by the mean over the area's sites).
"""
from mousescore import hookimpl
from mousescore.specs import BenchmarkSpec

from .dataset import DATASET, SITES
from .benchmarks import rsa_benchmark


def _factory(identifier, sites):
    return lambda: rsa_benchmark(identifier, sites)


@hookimpl
def mousescore_datasets():
    return [DATASET]


@hookimpl
def mousescore_benchmarks():
    specs = []
    for area, layers in SITES.items():
        sites = [f"{area}_{layer}" for layer in layers]
        identifier = f"allen.{area}-rsa"
        specs.append(BenchmarkSpec(identifier, _factory(identifier, sites),
                                   {"dataset": "allen", "site": area, "metric": "rsa", "sites": sites}))
        for site in sites:
            identifier = f"allen.{site}-rsa"
            specs.append(BenchmarkSpec(identifier, _factory(identifier, [site]),
                                       {"dataset": "allen", "site": site, "metric": "rsa"}))
    return specs
