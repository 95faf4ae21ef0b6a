import numpy as np

from mousescore.benchmark import Benchmark
from mousescore.data import load_dataset
from mousescore.registry import get_registry


def rsa_benchmark(identifier: str, sites) -> Benchmark:
    products = load_dataset("allen")
    rdms = products["rdms"].sel(site=list(sites))
    return Benchmark(
        identifier=identifier, dataset="allen",
        metric=get_registry().get("metric", "rsa").factory(),
        stimuli=products["stimuli"], target=rdms.values, unit_ids=list(sites),
        unit_ceilings=np.asarray(rdms["ceiling"].values, dtype=np.float64),
        ceiling_kind="split-half RDM reliability (Spearman-Brown), mean over sites",
        metadata={"sites": list(sites)})
