from mousescore.benchmark import Benchmark, neural_benchmark
from mousescore.data import load_dataset


def v4_benchmark(identifier: str, metric: str) -> Benchmark:
    products = load_dataset("cowley2023")
    return neural_benchmark(identifier, "cowley2023", products["stimuli"], products["responses"], metric)
