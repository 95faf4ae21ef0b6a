"""Per-neuron Allen benchmarks (SRP-Ridge, the paper's and the scale-free, each with the inter-mouse
reference, population RSA), on the surrogate population or on an assembly built from the real NWB
files by ``mousescore data build allen``.
"""
from typing import Dict, Optional

import numpy as np

from mousescore import (
    Benchmark,
    NeuroidAssembly,
    bootstrap_interval,
    config,
    intermouse_scores,
    load_dataset,
    load_netcdf,
    neural_benchmark,
    rdm_benchmark,
)
from mousescore.numerics import rdm, split_half_rdm_reliability

N_SPLITS = 20


def built_assembly_path():
    return config.home() / "built" / "allen_neurons.nc"


def products_of(dataset: str) -> Dict[str, object]:
    if dataset == "allen":   # real per-neuron data, built locally from the Allen NWB files
        return {"stimuli": load_dataset("allen")["stimuli"], "responses": load_netcdf(built_assembly_path())}
    return load_dataset(dataset)


def select_site(responses: NeuroidAssembly, area: Optional[str] = None, layer: Optional[str] = None,
                cre_line: Optional[str] = None) -> NeuroidAssembly:
    keep = np.ones(responses.sizes["neuroid"], dtype=bool)
    if area is not None:
        keep &= responses["area"].values == area
    if layer is not None:
        keep &= responses["cortical_layer"].values == layer
    if cre_line is not None:
        keep &= responses["cre_line"].values == cre_line
    return NeuroidAssembly(responses.isel(neuroid=np.flatnonzero(keep)))


def srp_ridge_site(identifier: str, dataset: str, metric: str = "srp_ridge", **site) -> Benchmark:
    """Per-neuron benchmark with ``metric`` (``srp_ridge`` or its scale-free ``srp_ridge_gcv``) and the
    inter-mouse reference by the same metric."""
    products = products_of(dataset)
    responses = select_site(products["responses"], **site)
    benchmark = neural_benchmark(identifier, dataset, products["stimuli"], responses, metric,
                                 n_splits=N_SPLITS, metadata=site)
    scores = intermouse_scores(benchmark.target, responses["mouse"].values, benchmark.metric)
    if np.isfinite(scores).any():
        low, high = bootstrap_interval(scores)
        benchmark.references = {"intermouse": float(np.nanmean(scores)), "intermouse_ci95_low": low,
                                "intermouse_ci95_high": high}
    return benchmark


def rsa_site(identifier: str, dataset: str, **site) -> Benchmark:
    products = products_of(dataset)
    responses = select_site(products["responses"], **site).transpose("presentation", "neuroid", "repetition")
    population = rdm(responses.trial_mean().values.astype(np.float64))
    ceiling = split_half_rdm_reliability(responses.values, n_splits=N_SPLITS)
    return rdm_benchmark(identifier, dataset, products["stimuli"], population, responses.stimulus_ids(),
                         [identifier.split(".", 1)[1].rsplit("-", 1)[0]], [ceiling],
                         "split-half RDM reliability over repeats (Spearman-Brown, exact for unequal halves; "
                         f"{N_SPLITS} splits)",
                         metadata=site)
