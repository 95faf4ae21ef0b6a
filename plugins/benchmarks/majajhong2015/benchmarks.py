"""V4 and IT benchmarks, each with SRP-Ridge (the paper's and the scale-free), and Brain-Score's PLS."""
from mousescore import BenchmarkSpec, load_dataset, neural_benchmark

REGIONS = ("V4", "IT")
METRICS = ("srp_ridge", "srp_ridge_gcv", "pls")


def region_benchmark(identifier: str, dataset: str, region: str, metric: str):
    products = load_dataset(dataset)
    responses = products["responses"]
    site = responses.isel(neuroid=(responses["region"].values == region).nonzero()[0])
    return neural_benchmark(identifier, dataset, products["stimuli"], site, metric, metadata={"region": region})


def benchmark_specs(dataset: str):
    specs = []
    for region in REGIONS:
        for metric in METRICS:
            identifier = f"{dataset}.{region}-{metric}"
            specs.append(BenchmarkSpec(identifier,
                                       lambda i=identifier, r=region, m=metric: region_benchmark(i, dataset, r, m),
                                       {"dataset": dataset, "site": region, "metric": metric}))
    return specs
