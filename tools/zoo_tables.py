"""Regenerate the model tables of the torchvision and timm plugins from the paper's model typology.

    python tools/zoo_tables.py ../shared/data/deepmousetrap/model_typology.csv

Keeps the paper's ImageNet-trained torchvision classification networks and timm networks, with the
metadata the analyses need (class, task cluster, input size, parameter count: counted on torch's meta
device, so nothing is allocated or downloaded).
"""
import csv
import sys
from pathlib import Path

import pandas as pd
import timm
import torch
import torchvision

ROOT = Path(__file__).resolve().parents[1] / "plugins" / "models"
COLUMNS = ["architecture", "display_name", "architecture_class", "task_cluster", "training_data",
           "input_size", "parameters"]
TIMM_RENAMED = {"xception": "legacy_xception"}   # timm's current name for the paper's model


def parameters(build) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in build().parameters())


def rows(typology: pd.DataFrame, source: str):
    chosen = typology[(typology.model_source == source) & (typology.train_type == "imagenet")]
    if source == "timm":   # the paper lists inception_v3 under both zoos; timm's is torchvision's port
        torchvision_names = set(typology[typology.model_source == "torchvision"].model)
        chosen = chosen[~chosen.model.isin(torchvision_names)]
    for row in chosen.drop_duplicates("model").itertuples():
        if source == "torchvision":
            name = row.model
            size = 299 if name == "inception_v3" else 224
            count = parameters(lambda: torchvision.models.get_model(name, weights=None))
        else:
            name = TIMM_RENAMED.get(row.model, row.model)
            size = int(timm.models.get_pretrained_cfg(name).input_size[-1])
            count = parameters(lambda: timm.create_model(name, pretrained=False))
        yield {"architecture": name, "display_name": row.model_display_name,
               "architecture_class": str(row.model_class).lower(), "task_cluster": row.task_cluster,
               "training_data": row.train_data, "input_size": size, "parameters": count}


def main(typology_path: str) -> None:
    typology = pd.read_csv(typology_path)
    for source, folder in (("torchvision", "torchvision_models"), ("timm", "timm_models")):
        table = list(rows(typology, source))
        with open(ROOT / folder / "architectures.csv", "w", newline="") as out:
            writer = csv.DictWriter(out, COLUMNS)
            writer.writeheader()
            writer.writerows(table)
        print(f"{source}: {len(table)} architectures")


if __name__ == "__main__":
    main(sys.argv[1])
