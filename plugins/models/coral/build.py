"""Where the Coral networks' files come from, and building them.

Each file is the one at the root of google-coral/test_data at a fixed commit, checked by its sha256
(``networks.csv``). :func:`mousescore.resolve_weights` looks offline first: the weights cache,
``MOUSESCORE_WEIGHTS_PATH`` mirrors, then ``coral_tflite/`` under each ``MOUSESCORE_DATA_PATH``
directory (the data mirror holds the six), and downloads from the raw URL only if none has it.
"""
import csv
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional

from mousescore import cached, config, load_model_file, locate_weights, resolve_weights

TABLE = Path(__file__).with_name("networks.csv")
REPOSITORY = "google-coral/test_data"
COMMIT = "104342d2d3480b3e66203073dac24f4e2dbb4c41"
UPSTREAM = f"{REPOSITORY}@{COMMIT[:7]}"
DATA_FOLDER = "coral_tflite"          # under a MOUSESCORE_DATA_PATH directory
INTEGER_COLUMNS = ("input_size", "parameters")


@cached(maxsize=None)
def networks() -> Dict[str, Dict]:
    """identifier -> its row of ``networks.csv`` (``twin`` None where the table leaves it empty)."""
    with open(TABLE, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key in INTEGER_COLUMNS:
            row[key] = int(row[key])
        row["twin"] = row["twin"] or None
    return {row["identifier"]: row for row in rows}


def url(identifier: str) -> str:
    return f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/{networks()[identifier]['file']}"


def library_dirs() -> List[Path]:
    """``coral_tflite/`` in each data mirror, where the files lie under their upstream names."""
    return [directory / DATA_FOLDER for directory in config.settings().data_path]


def locate(identifier: str) -> Optional[Path]:
    """Where the file lies locally now (the places :func:`build` looks), or None; reads nothing."""
    return locate_weights(url(identifier), library_dirs())


def weights_path(identifier: str) -> Path:
    """The verified file: a copy whose sha256 differs is refused (ChecksumMismatch), never loaded."""
    return resolve_weights(url(identifier), networks()[identifier]["sha256"], library_dirs=library_dirs())


def layers(identifier: str, names: List[str]) -> Optional[List[str]]:
    """The layers scored, of the network's ``names`` in execution order: up to the table's
    ``last_layer`` where it names one (DeepLab's 33 x 33 class logits: what follows is their bilinear
    upsampling to 513 x 513, 5.5 M values an image that add nothing, and the integer class map), else all."""
    last = networks()[identifier]["last_layer"]
    return names[:names.index(last) + 1] if last else None


def build(identifier: str):
    """The network as a feature function: every operation's output a layer (up to ``last_layer``),
    dequantized; its provenance names the upstream file besides its sha256 and input format."""
    path = weights_path(identifier)
    function = load_model_file(path)
    if networks()[identifier]["last_layer"]:
        function = load_model_file(path, layers=layers(identifier, list(function.function.layers)))
    source = f"{UPSTREAM} {networks()[identifier]['file']} (tflite, Apache-2.0)"
    return replace(function, provenance={**function.provenance, "weights": source})
