"""Real mouse V1 neurons with their images (Antolík, Hofer, Bednar & Mrsic-Flogel 2016, S1 Dataset).

Layer 2/3 of mouse V1, two recording regions (103 and 55 neurons) that saw the same 50 natural images
(31×31 gray), 10 and 8 repeats. Benchmarks ``antolik2016.<site>-<metric>`` for the sites ``V1`` (both
regions pooled), ``V1_region1`` and ``V1_region2`` and the metrics ``srp_ridge``, ``ridge``, their
scale-free twins ``srp_ridge_gcv`` and ``ridge_gcv``, and ``rsa``.
Ceilings come from the repeats; beside every score stands the inter-region reference.
"""
from mousescore import BenchmarkSpec, hookimpl

from .benchmarks import METRICS, SITES, neural_site, rsa_site
from .dataset import DATASET


def _factory(identifier, region, metric):
    if metric == "rsa":
        return lambda: rsa_site(identifier, region)
    return lambda: neural_site(identifier, region, metric)


@hookimpl
def mousescore_datasets():
    return [DATASET]


@hookimpl
def mousescore_benchmarks():
    return [BenchmarkSpec(f"antolik2016.{site}-{metric}", _factory(f"antolik2016.{site}-{metric}", region, metric),
                          {"dataset": "antolik2016", "site": site, "metric": metric, "area": "V1",
                           "region": region or "both"})
            for site, region in SITES.items() for metric in METRICS]
