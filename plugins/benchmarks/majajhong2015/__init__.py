"""Brain-Score's public macaque V4/IT data (Majaj, Hong et al. 2015), read from its BrainIO files.

Benchmarks ``majajhong2015.{V4,IT}-{srp_ridge,pls}`` rerun the paper's appendix A.1 comparison of
SRP-Ridge with Brain-Score's PCA + PLS mapping. The files come from Brain-Score's public catalog (S3,
sha1-checked); offline, put them in a MOUSESCORE_DATA_PATH directory under ``majajhong2015/``.
"""
from mousescore import hookimpl
from mousescore.benchmark import neural_benchmark
from mousescore.brainio import read_assembly, read_stimulus_set
from mousescore.data import load_dataset
from mousescore.specs import BenchmarkSpec, DatasetSpec, RemoteFile

BUCKET = "https://brainio-brainscore.s3.amazonaws.com"
FILES = [
    RemoteFile("assembly", f"{BUCKET}/assy_dicarlo_MajajHong2015_public.nc",
               "13d28ca0ce88ee550b54db3004374ae19096e9b9", "majajhong2015/assy_dicarlo_MajajHong2015_public.nc",
               "sha1"),
    RemoteFile("stimuli_csv", f"{BUCKET}/image_dicarlo_hvm-public.csv",
               "5ca7a3da00d8e9c694a9cd725df5ba0ad6d735af", "majajhong2015/image_dicarlo_hvm-public.csv", "sha1"),
    RemoteFile("stimuli_zip", f"{BUCKET}/image_dicarlo_hvm-public.zip",
               "8aa44e038d7b551efa8077467622f9d48d72e473", "majajhong2015/image_dicarlo_hvm-public.zip", "sha1"),
]
REGIONS = ("V4", "IT")
METRICS = ("srp_ridge", "pls")


def package_brainio(files, stimulus_set_identifier="dicarlo.hvm-public"):
    responses = read_assembly(files["assembly"])
    stimuli = read_stimulus_set(files["stimuli_csv"], files["stimuli_zip"], responses.stimulus_ids(),
                                identifier=stimulus_set_identifier)
    return {"stimuli": stimuli, "responses": responses}


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
            specs.append(BenchmarkSpec(identifier, lambda i=identifier, r=region, m=metric: region_benchmark(i, dataset, r, m),
                                       {"dataset": dataset, "site": region, "metric": metric}))
    return specs


DATASET = DatasetSpec("majajhong2015", FILES, package_brainio, packager_version="1", metadata={
    "description": "Brain-Score public MajajHong2015: macaque V4 and IT, HvM images (BrainIO format)",
    "citation": "Majaj, Hong, Solomon & DiCarlo (2015), J Neurosci"})


@hookimpl
def mousescore_datasets():
    return [DATASET]


@hookimpl
def mousescore_benchmarks():
    return benchmark_specs("majajhong2015")
