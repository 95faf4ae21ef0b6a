import numpy as np

from mousescore.benchmark import Benchmark
from mousescore.data import load_dataset
from mousescore.registry import get_registry
from mousescore.stats import split_half_reliability


def neural_benchmark(identifier: str, metric: str) -> Benchmark:
    products = load_dataset("cowley2023")
    responses = products["responses"].transpose("presentation", "neuroid", "repetition")
    reliability = split_half_reliability(responses.values, n_splits=20, seed=0)
    return Benchmark(
        identifier=identifier, dataset="cowley2023",
        metric=get_registry().get("metric", metric).factory(),
        stimuli=products["stimuli"], target=responses.trial_mean().values,
        unit_ids=list(responses["neuroid_id"].values), unit_ceilings=reliability,
        ceiling_kind="split-half reliability per neuron over repeats (Spearman-Brown, 20 random "
                     "splits), mean over neurons")
