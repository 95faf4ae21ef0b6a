"""Brain-Score's public macaque V4/IT data (Majaj, Hong et al. 2015), read from its BrainIO files.

Benchmarks ``majajhong2015.{V4,IT}-{srp_ridge,srp_ridge_gcv,pls}`` rerun the paper's appendix A.1 comparison of
SRP-Ridge with Brain-Score's PCA + PLS mapping. The files come from Brain-Score's public catalog (S3,
sha1-checked); offline, put them in a MOUSESCORE_DATA_PATH directory under ``majajhong2015/``.
"""
from mousescore import hookimpl

from .benchmarks import benchmark_specs
from .dataset import DATASET


@hookimpl
def mousescore_datasets():
    return [DATASET]


@hookimpl
def mousescore_benchmarks():
    return benchmark_specs("majajhong2015")
