"""Build timm networks. Trained weights come from a Hugging Face hub cache: the default one or any
directory in MOUSESCORE_WEIGHTS_PATH laid out as one (copy ``~/.cache/huggingface/hub`` from a machine
with network). The hub cache names each weights blob by its sha256, which is checked before use.

``hub_ids.csv`` holds each architecture's hub repository (timm's ``get_pretrained_cfg(name).hf_hub_id``,
checked against timm by the tests), so that :func:`locate` answers without importing timm or torch."""
import csv
import os
from pathlib import Path
from typing import Dict, Optional

from mousescore import DataError, LoadedModel, cached, config, seeded, weights_provenance
from mousescore import verify_file as verify
from mousescore.config import WEIGHTS_PATH_VARIABLE

WEIGHTS_FILE = "model.safetensors"
HUB_IDS = Path(__file__).with_name("hub_ids.csv")


@cached(maxsize=None)
def hub_ids() -> Dict[str, str]:
    """architecture -> Hugging Face hub repository of its trained weights ('' where timm has none)."""
    with open(HUB_IDS, newline="") as handle:
        return {row["architecture"]: row["hf_hub_id"] for row in csv.DictReader(handle)}


def find_cached(repo_id: Optional[str]) -> Optional[Path]:
    """The weights file of ``repo_id`` in a hub cache (MOUSESCORE_WEIGHTS_PATH directories, then the
    default cache), or None; no download, no hashing."""
    if not repo_id:
        return None
    from huggingface_hub import try_to_load_from_cache
    for cache_dir in [*config.settings().weights_path, None]:
        found = try_to_load_from_cache(repo_id, WEIGHTS_FILE, cache_dir=cache_dir)
        if isinstance(found, str) and os.path.isfile(found):
            return Path(found)
    return None


def locate(name: str) -> Optional[Path]:
    """Where the trained weights of ``name`` lie locally (the places :func:`build` looks), or None."""
    return find_cached(hub_ids().get(name))


def _cached_weights(repo_id: str) -> Path:
    path = find_cached(repo_id)
    if path is not None:
        verify(path, Path(os.path.realpath(path)).name)  # the blob's name is its sha256
        return path
    raise DataError(
        f"trained weights {repo_id}/{WEIGHTS_FILE} are not available offline. On a machine with network "
        f"run `huggingface-cli download {repo_id} {WEIGHTS_FILE}` (from "
        f"https://huggingface.co/{repo_id}/resolve/main/{WEIGHTS_FILE}) and copy its hub cache "
        f"(~/.cache/huggingface/hub) into a directory listed in {WEIGHTS_PATH_VARIABLE}")


def build(name: str, trained: bool, seed: int = 0) -> LoadedModel:
    import timm
    if trained:
        config = timm.models.get_pretrained_cfg(name)
        repo_id = config.hf_hub_id
        if not repo_id:
            raise DataError(f"timm names no Hugging Face hub repository for {name}'s trained weights "
                            f"({config.url or 'no URL either'}), and they are read from a hub cache only")
        path = _cached_weights(repo_id)
        module = timm.create_model(name, pretrained=True, pretrained_cfg_overlay={"file": str(path)})
        provenance = {"weights": f"timm {repo_id}", **weights_provenance(path)}
    else:
        with seeded(seed):
            module = timm.create_model(name, pretrained=False)
        provenance = {"weights": "random init (timm default)", "seed": seed}
    config = module.pretrained_cfg
    return LoadedModel(module=module.eval(), input_size=int(config["input_size"][-1]),
                       mean=tuple(config["mean"]), std=tuple(config["std"]), provenance=provenance)
