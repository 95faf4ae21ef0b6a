"""Score models on benchmarks: the Benchmark and its constructors, score_model (one extraction per
stimulus set), inter-animal references, benchmarks on a lab's own data, verification of committed
records, and Dask sweeps."""
from .benchmark import Benchmark, neural_benchmark, rdm_benchmark, stimulus_order
from .run_options import RunOptions
from .score_model import score_benchmarks, score_model

__all__ = [
    "Benchmark", "RunOptions", "neural_benchmark", "rdm_benchmark", "score_benchmarks", "score_model",
    "stimulus_order"
]
