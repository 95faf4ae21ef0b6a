from mousescore import Benchmark, load_dataset, neural_benchmark

METRICS = ("srp_ridge", "srp_ridge_gcv")   # the paper's α = 1 and the scale-free α per neuron


def v4_benchmark(identifier: str, metric: str) -> Benchmark:
    products = load_dataset("cowley2023")
    return neural_benchmark(identifier, "cowley2023", products["stimuli"], products["responses"], metric)
