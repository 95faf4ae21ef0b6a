"""Allen Brain Observatory natural scenes.

- ``allen``: the 118 scenes and the 21 real per-site RDMs. Benchmarks ``allen.<AREA>_<layer>-rsa`` (one
  site) and ``allen.<AREA>-rsa`` (an area: the model commits one layer, chosen by the mean over the
  area's sites). Once ``mousescore data build allen`` has built the per-neuron assembly from the Allen
  NWB files, also ``allen.<site>-srp_ridge`` and its scale-free ``-srp_ridge_gcv`` per area, area ×
  layer, cre line and area × cre line (and ``-rsa`` per cre line and area × cre line; per area and
  area × layer the RSA benchmarks stay those of the paper's published RDMs).
- ``allen_surrogate``: a SURROGATE per-trial population generated from the real RDMs (not recordings),
  with ``allen_surrogate.<site>-srp_ridge``, ``-srp_ridge_gcv`` and ``-rsa`` per area and area × layer.
"""
from functools import partial

from mousescore import BenchmarkSpec, DatasetSpec, hookimpl

from . import surrogate
from .benchmarks import rsa_benchmark
from .dataset import DATASET, FILES, SITES
from .neurons import built_assembly_path, rsa_site, srp_ridge_site

SURROGATE = DatasetSpec(
    "allen_surrogate", FILES, surrogate.package, packager_version="1",
    metadata={"description": "SURROGATE per-trial Allen population generated from the real site RDMs "
                             "(not recordings)", "surrogate": True})


PER_NEURON = ["srp_ridge", "srp_ridge_gcv"]   # the paper's α = 1 and the scale-free α per neuron


def _rdm_factory(identifier, sites):
    return lambda: rsa_benchmark(identifier, sites)


def _site_factory(build, identifier, dataset, site):
    def factory():
        benchmark = build(identifier, dataset, **site)
        benchmark.metadata["surrogate"] = dataset == "allen_surrogate"
        if benchmark.metadata["surrogate"]:   # how closely the surrogate follows the real site RDMs
            benchmark.references["surrogate_vs_real_similarity_r"] = surrogate.match_of(**site)
        return benchmark
    return factory


def _sites():
    """Site name -> selector over the per-neuron assembly: areas, then area x layer."""
    sites = {}
    for area, layers in SITES.items():
        sites[area] = {"area": area}
        sites.update({f"{area}_{layer}": {"area": area, "layer": layer} for layer in layers})
    return sites


def _built_cre_sites():
    import xarray as xr
    with xr.open_dataarray(built_assembly_path()) as built:   # coords only, values stay on disk
        pairs = sorted(set(zip(built["area"].values.tolist(), built["cre_line"].values.tolist())))
    sites = {f"{area}_{cre.split('-')[0]}": {"area": area, "cre_line": cre} for area, cre in pairs}
    sites.update({cre.split("-")[0]: {"cre_line": cre} for cre in sorted({cre for _, cre in pairs})})
    return sites


def _neuron_benchmarks(dataset, sites, metrics):
    builders = {"srp_ridge": srp_ridge_site, "srp_ridge_gcv": partial(srp_ridge_site, metric="srp_ridge_gcv"),
                "rsa": rsa_site}
    specs = []
    for site, selector in sites.items():
        for metric in metrics:
            identifier = f"{dataset}.{site}-{metric}"
            specs.append(BenchmarkSpec(identifier, _site_factory(builders[metric], identifier, dataset, selector),
                                       {"dataset": dataset, "site": site, "metric": metric, **selector}))
    return specs


@hookimpl
def mousescore_datasets():
    return [DATASET, SURROGATE]


@hookimpl
def mousescore_benchmarks():
    specs = []
    for area, layers in SITES.items():
        sites = [f"{area}_{layer}" for layer in layers]
        identifier = f"allen.{area}-rsa"
        specs.append(BenchmarkSpec(identifier, _rdm_factory(identifier, sites),
                                   {"dataset": "allen", "site": area, "metric": "rsa", "sites": sites}))
        for site in sites:
            identifier = f"allen.{site}-rsa"
            specs.append(BenchmarkSpec(identifier, _rdm_factory(identifier, [site]),
                                       {"dataset": "allen", "site": site, "metric": "rsa"}))
    specs += _neuron_benchmarks("allen_surrogate", _sites(), PER_NEURON + ["rsa"])
    if built_assembly_path().exists():
        specs += _neuron_benchmarks("allen", _sites(), PER_NEURON)
        specs += _neuron_benchmarks("allen", _built_cre_sites(), PER_NEURON + ["rsa"])
    return specs
