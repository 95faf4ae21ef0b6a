"""Neural data and stimuli: assemblies (xarray, netCDF), upstream files checked by checksum, datasets
packaged once and cached, images, Brain-Score's BrainIO format, and safe loading of untrusted files."""
from .assemblies import DataAssembly, NeuroidAssembly, StimulusSet, load_netcdf, save_netcdf
from .datasets import fetch_files, file_provenance, load_dataset, package_key

__all__ = [
    "DataAssembly", "fetch_files", "file_provenance", "load_dataset", "load_netcdf", "NeuroidAssembly",
    "package_key", "save_netcdf", "StimulusSet"
]
