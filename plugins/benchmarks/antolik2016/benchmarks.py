"""Mouse V1 benchmarks on the two regions pooled (``V1``) and on each (``V1_region1``, ``V1_region2``):
SRP-Ridge and full ridge per neuron (the paper's α = 1 and the scale-free α per neuron), RSA on the
population, each beside the inter-region reference."""
from typing import Optional

import numpy as np

from mousescore import (
    Benchmark,
    NeuroidAssembly,
    bootstrap_interval,
    intermouse_scores,
    load_dataset,
    neural_benchmark,
    rdm_benchmark,
)
from mousescore.numerics import compare_rdms, rdm, split_half_rdm_reliability

from .dataset import REGIONS

N_SPLITS = 20
SITES = {"V1": None, **{f"V1_{region}": region for region in REGIONS}}
METRICS = ("srp_ridge", "ridge", "srp_ridge_gcv", "ridge_gcv", "rsa")
REFERENCE = "inter_region"
REFERENCE_KIND = ("inter-region: each region's neurons predicted from the other region's population by the "
                  "same mapping (the paper's inter-mouse procedure, section 3.9; the data do not say whether "
                  "the two regions are two animals)")


def _region(responses: NeuroidAssembly, region: Optional[str]) -> NeuroidAssembly:
    """One region's neurons and its own repeats (without the other region's padding), or all."""
    if region is None:
        return responses
    site = responses.isel(neuroid=np.flatnonzero(responses["region"].values == region))
    return NeuroidAssembly(site.dropna("repetition", how="all"))


def neural_site(identifier: str, region: Optional[str], metric: str) -> Benchmark:
    """Per-neuron benchmark; ceiling: each neuron's split-half reliability over its own region's repeats."""
    products = load_dataset("antolik2016")
    pooled = products["responses"]
    site = _region(pooled, region)
    benchmark = neural_benchmark(identifier, "antolik2016", products["stimuli"], site, metric, n_splits=N_SPLITS,
                                 metadata={"region": region or "both", "reference_kind": REFERENCE_KIND})
    # Every neuron of both regions predicted from the other region; the site keeps its own neurons.
    everyone = pooled.trial_mean().transpose("presentation", "neuroid").values
    scores = intermouse_scores(everyone, pooled["region"].values, benchmark.metric)
    own = scores[np.isin(pooled["neuroid_id"].values, site["neuroid_id"].values)]
    low, high = bootstrap_interval(own)
    benchmark.references = {REFERENCE: float(np.nanmean(own)), f"{REFERENCE}_ci95_low": low,
                            f"{REFERENCE}_ci95_high": high}
    return benchmark


def rsa_site(identifier: str, region: Optional[str]) -> Benchmark:
    """Population RDM benchmark; ceiling: split-half RDM reliability over repeats (each region split on its
    own repeats); reference: the correlation of this site's RDM with the other region's (pooled: of the
    two regions' RDMs)."""
    products = load_dataset("antolik2016")
    pooled = products["responses"].transpose("presentation", "neuroid", "repetition")
    site = _region(pooled, region)
    population = rdm(site.trial_mean().values.astype(np.float64))
    ceiling = split_half_rdm_reliability(site.values, n_splits=N_SPLITS)
    first, second = (rdm(_region(pooled, r).trial_mean().values.astype(np.float64)) for r in REGIONS)
    reference = float(compare_rdms(first, second)[0])
    return rdm_benchmark(identifier, "antolik2016", products["stimuli"], population, site.stimulus_ids(),
                         [identifier.split(".", 1)[1].rsplit("-", 1)[0]], [ceiling],
                         "split-half RDM reliability over repeats (Spearman-Brown, exact for unequal halves; "
                         f"{N_SPLITS} splits)",
                         references={f"{REFERENCE}_rdm_r": reference}, metadata={"region": region or "both"})
