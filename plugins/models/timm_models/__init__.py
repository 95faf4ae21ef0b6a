"""timm networks of the paper (ViTs, MLP-Mixers, NFNets, EfficientNets...) plus ConvNeXt, each trained
and random-init (seeded)."""
from functools import partial
from pathlib import Path

from mousescore import hookimpl, read_table, trained_and_random

from .build import build, locate

TABLE = Path(__file__).with_name("architectures.csv")
# Beyond the paper's list: the newer architectures a user expects to find.
EXTRA = [{"architecture": "convnext_tiny", "display_name": "ConvNeXt-T", "architecture_class": "convolutional",
          "task_cluster": "Semantic", "training_data": "imagenet", "input_size": 224, "parameters": 28589128}]


@hookimpl
def mousescore_models():
    specs = []
    for row in read_table(TABLE) + EXTRA:
        metadata = {"family": "timm", "source": "timm", **row}
        specs += trained_and_random(row["architecture"], partial(build, row["architecture"]), metadata,
                                    "ImageNet supervised", weights=partial(locate, row["architecture"]))
    return specs
