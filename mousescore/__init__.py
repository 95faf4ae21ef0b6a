"""mousescore: score image-computable networks against mouse visual cortex.

This module is the public API: what a plugin author or a notebook user imports, listed in ``__all__``.
Names are imported on first use, so ``import mousescore`` stays light (no torch, no xarray). Besides
these names, plugins may use the documented namespaces ``mousescore.numerics`` (the numerical
kernels and ``mousescore.numerics.reductions``), ``mousescore.config`` (settings) and
``mousescore.testing`` (the conformance kit); everything else is internal and may move.
"""
import importlib

import pluggy

__version__ = "0.5.0"

#: Decorator marking a plugin's hook implementations (``@hookimpl def mousescore_models(): ...``).
hookimpl = pluggy.HookimplMarker("mousescore")

# public name -> (module, name there)
_PUBLIC = {
    # plugins and their specs
    "ModelSpec": ("registry.specs", "ModelSpec"),
    "DatasetSpec": ("registry.specs", "DatasetSpec"),
    "MetricSpec": ("registry.specs", "MetricSpec"),
    "BenchmarkSpec": ("registry.specs", "BenchmarkSpec"),
    "RemoteFile": ("registry.specs", "RemoteFile"),
    "LoadedModel": ("registry.specs", "LoadedModel"),
    "trained_and_random": ("registry.specs", "trained_and_random"),
    "Metric": ("registry.contracts", "Metric"),
    "ResamplableMetric": ("registry.contracts", "ResamplableMetric"),
    "AggregatingMetric": ("registry.contracts", "AggregatingMetric"),
    "MODEL_METADATA": ("registry.contracts", "MODEL_METADATA"),
    "BENCHMARK_METADATA": ("registry.contracts", "BENCHMARK_METADATA"),
    "PUBLIC_MODULES": ("registry.contracts", "PUBLIC_MODULES"),
    "Registry": ("registry.plugins", "Registry"),
    "LayerReductions": ("registry.layer_reductions", "LayerReductions"),
    "Evidence": ("registry.contracts", "Evidence"),
    "units_are_independent": ("registry.contracts", "units_are_independent"),
    "cached": ("registry.caches", "cached"),
    "register_cache": ("registry.caches", "register_cache"),
    "clear_caches": ("registry.caches", "clear_caches"),
    "get_registry": ("registry.plugins", "get_registry"),
    # errors
    "MousescoreError": ("errors", "MousescoreError"),
    "DataError": ("errors", "DataError"),
    "ChecksumMismatch": ("errors", "ChecksumMismatch"),
    "UnknownIdentifier": ("errors", "UnknownIdentifier"),
    "DuplicateIdentifier": ("errors", "DuplicateIdentifier"),
    # data
    "StimulusSet": ("data.assemblies", "StimulusSet"),
    "NeuroidAssembly": ("data.assemblies", "NeuroidAssembly"),
    "load_netcdf": ("data.assemblies", "load_netcdf"),
    "save_netcdf": ("data.assemblies", "save_netcdf"),
    "load_dataset": ("data.datasets", "load_dataset"),
    "stimulus_sampler": ("data.datasets", "stimulus_sampler"),
    "fetch_files": ("data.datasets", "fetch_files"),
    "resolve_file": ("data.files", "resolve"),
    "verify_file": ("data.files", "verify"),
    "sha256_of": ("data.files", "sha256_of"),
    "load_pickle": ("data.safe_loading", "load_pickle"),
    "open_zip": ("data.safe_loading", "open_zip"),
    "read_brainio_assembly": ("data.brainio", "read_assembly"),
    "read_brainio_stimulus_set": ("data.brainio", "read_stimulus_set"),
    "from_brainio": ("data.brainio", "from_brainio"),
    "to_brainio": ("data.brainio", "to_brainio"),
    "write_brainio_assembly": ("data.brainio", "write_assembly"),
    "write_brainio_stimulus_set": ("data.brainio", "write_stimulus_set"),
    "load_images": ("scoring.own_data", "load_images"),
    "download_resumable": ("data.transfer", "download_resumable"),
    "remote_info": ("data.transfer", "remote_info"),
    "dask_client": ("data.cluster", "dask_client"),
    # building models
    "resolve_weights": ("models.weights", "resolve_weights"),
    "locate_weights": ("models.weights", "locate_weights"),
    "PackagedFile": ("models.weights", "PackagedFile"),
    "torch_hub_checkpoints": ("models.weights", "torch_hub_checkpoints"),
    "load_state_dict": ("models.weights", "load_state_dict"),
    "weights_provenance": ("models.weights", "weights_provenance"),
    "seeded": ("models.random_init", "seeded"),
    "read_table": ("models.tables", "read_table"),
    # extraction and scoring
    "extract": ("extraction.extract", "extract"),
    "LayerFeatures": ("extraction.extract", "LayerFeatures"),
    "Benchmark": ("scoring.benchmark", "Benchmark"),
    "neural_benchmark": ("scoring.benchmark", "neural_benchmark"),
    "rdm_benchmark": ("scoring.benchmark", "rdm_benchmark"),
    "custom_benchmark": ("scoring.own_data", "custom_benchmark"),
    "benchmark_rdms": ("scoring.rdm_exchange", "benchmark_rdms"),
    "layer_rdms": ("scoring.rdm_exchange", "layer_rdms"),
    "rdms_benchmark": ("scoring.rdm_exchange", "rdms_benchmark"),
    "intermouse_scores": ("scoring.inter_animal", "intermouse_scores"),
    "bootstrap_interval": ("scoring.inter_animal", "bootstrap_interval"),
    "score_model": ("scoring.score_model", "score_model"),
    "score_benchmarks": ("scoring.score_model", "score_benchmarks"),
    "verify_model": ("scoring.verify", "verify_model"),
    "score": ("scoring.any_model", "score"),
    "RunOptions": ("scoring.run_options", "RunOptions"),
    "load_model_file": ("scoring.model_files", "load_model_file"),
    # results
    "Score": ("results.score", "Score"),
    "ResultStore": ("results.store", "ResultStore"),
    "read_records": ("results.records", "read_records"),
    "Results": ("results.table", "Results"),
    "load_board": ("results.table", "load_board"),
}

__all__ = ["__version__", "hookimpl", *_PUBLIC]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'mousescore' has no attribute '{name}'")
    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value   # looked up once
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
