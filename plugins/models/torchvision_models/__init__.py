"""torchvision classification networks of the paper (31), each trained (ImageNet) and random-init."""
from functools import partial
from pathlib import Path

from mousescore import hookimpl, read_table, trained_and_random

from .build import build, locate

TABLE = Path(__file__).with_name("architectures.csv")


@hookimpl
def mousescore_models():
    specs = []
    for row in read_table(TABLE):
        metadata = {"family": "torchvision", "source": "torchvision", **row}
        specs += trained_and_random(row["architecture"], partial(build, row["architecture"]), metadata,
                                    "ImageNet-1k supervised", weights=partial(locate, row["architecture"]))
    return specs
