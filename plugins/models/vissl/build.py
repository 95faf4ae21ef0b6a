"""Build the VISSL self-supervised networks, trained (zoo checkpoint) or seeded random init.

The networks. ResNet-50 trunks run in torchvision's ``resnet50`` (VISSL's ResNe(X)t trunk is
torchvision's, under ``_feature_blocks.``), ViTs in timm's ``vit_small_patch16_224`` /
``vit_base_patch16_224``. The zoo holds trunks only (the self-supervised heads are projection MLPs or
prototypes, not a classifier), so the networks are built without a classification head: torchvision's
``fc`` is replaced by ``Identity`` and timm's ViTs get ``num_classes=0``. Their last layer is the pooled
trunk output (ResNet ``avgpool``, ViT ``norm``/``fc_norm``), the features VISSL evaluates. The
``-random`` variant is the same headless network, seeded random init.

VISSL's own ViT trunk uses ``nn.LayerNorm`` with PyTorch's default epsilon 1e-5 (timm and DINO's
release: 1e-6); the VISSL DINO network is built with 1e-5, as it was trained. MoCo-v3's release uses
timm's 1e-6.

Checksums (no VISSL file has a published checksum). mousescore never loads a file it has not verified:

- an entry whose sha256 is pinned in :mod:`.zoo` is resolved like any weights file (cache,
  MOUSESCORE_WEIGHTS_PATH, then the URL) and verified;
- otherwise there is nothing to verify a download against, so nothing is downloaded. The file is
  accepted only from a MOUSESCORE_WEIGHTS_PATH directory, at ``<dir>/<url path>`` (e.g.
  ``<dir>/vissl/model_zoo/moco_v2_.../model_final_checkpoint_phase199.torch``; a file whose base name is
  unique in the zoo may also lie flat at ``<dir>/<name>``), together with ``<file>.sha256``: the sha256
  that whoever fetched it computed (``sha256sum FILE > FILE.sha256``), vouching for the bytes. The file is
  verified against it before it is read, the digest is in every score's provenance (with
  ``weights_digest_source``), and without it the build refuses, naming the URL and where to put the
  file. Requiring the full URL path keeps two zoo files with the same name
  (``model_final_checkpoint_phase799.torch`` is SimCLR's, SwAV's, PIRL's and NPID++'s) from being
  mistaken for each other.

Files are read with ``weights_only=True``: a checkpoint holding anything but tensors and plain
containers is refused, so a tampered pickle cannot run code.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Tuple

from mousescore import (
    DataError,
    LoadedModel,
    config,
    load_state_dict,
    locate_weights,
    resolve_weights,
    seeded,
    weights_provenance,
)
from mousescore import verify_file as verify
from mousescore.config import WEIGHTS_PATH_VARIABLE

from .convert import convert_state_dict, trunk_of
from .zoo import INPUT_SIZE, RESNET50, ZOO, ZooEntry, file_name, mirror_path, unique_file_name

MEAN = (0.485, 0.456, 0.406)   # VISSL trains and evaluates with ImageNet's RGB normalisation
STD = (0.229, 0.224, 0.225)
_SHA256 = re.compile(r"^\s*([0-9a-fA-F]{64})\b")


def entry(identifier: str) -> ZooEntry:
    for candidate in ZOO:
        if candidate.identifier == identifier:
            return candidate
    raise KeyError(identifier)


def create_module(zoo_entry: ZooEntry):
    """The headless, untrained network of an entry."""
    if zoo_entry.architecture == RESNET50:
        import torch
        import torchvision
        module = torchvision.models.resnet50(weights=None)
        module.fc = torch.nn.Identity()
        return module
    import timm
    kwargs = {"num_classes": 0}
    if zoo_entry.layout == "vissl":
        from functools import partial

        import torch
        kwargs["norm_layer"] = partial(torch.nn.LayerNorm, eps=1e-5)
    return timm.create_model(zoo_entry.architecture, pretrained=False, **kwargs)


def user_pinned_digest(url: str) -> Tuple[Optional[str], Optional[Path]]:
    """(sha256, file) from the first MOUSESCORE_WEIGHTS_PATH directory holding both the file and its
    ``.sha256`` sidecar, at the URL path (or flat, for a base name unique in the zoo)."""
    relative = [mirror_path(url)] + ([file_name(url)] if unique_file_name(url) else [])
    for directory in config.settings().weights_path:
        for rel in relative:
            candidate = directory / rel
            sidecar = candidate.with_name(candidate.name + ".sha256")
            if candidate.is_file() and sidecar.is_file():
                match = _SHA256.match(sidecar.read_text())
                if not match:
                    raise DataError(f"{sidecar}: does not start with a 64-digit sha256 (write it with "
                                    f"`sha256sum {candidate.name} > {sidecar.name}`)")
                return match.group(1).lower(), candidate
    return None, None


def weights_path(zoo_entry: ZooEntry) -> Tuple[Path, str]:
    """The verified checkpoint file of an entry and where its digest came from."""
    url = zoo_entry.url
    if zoo_entry.sha256:
        return (resolve_weights(url, zoo_entry.sha256, mirror_path=mirror_path(url)),
                "registered in mousescore_vissl")
    digest, candidate = user_pinned_digest(url)
    if digest is None:
        searched = ", ".join(str(d) for d in config.settings().weights_path) or "none"
        raise DataError(
            f"{zoo_entry.identifier}: VISSL publishes no checksum for {url}, and mousescore loads no weights "
            f"it cannot verify, so it does not download them. On a machine with network, download the file, "
            f"record its sha256 (`sha256sum {file_name(url)} > {file_name(url)}.sha256`) and put both at "
            f"<dir>/{mirror_path(url)}[.sha256]"
            + (f" (or <dir>/{file_name(url)}[.sha256])" if unique_file_name(url) else "")
            + f" in a directory <dir> listed in {WEIGHTS_PATH_VARIABLE} (directories searched: {searched})")
    verify(candidate, digest)   # the bytes read are the bytes the digest vouches for
    return candidate, f"user-pinned {candidate.name}.sha256 (upstream publishes none)"


def locate(identifier: str) -> Optional[Path]:
    """Where the checkpoint of an entry lies locally, in the places :func:`weights_path` looks, or None:
    for a pinned entry the cache or a mirror; otherwise a mirror copy with its ``.sha256`` sidecar
    (without one the build refuses). Only the sidecar is read, never the checkpoint."""
    zoo_entry = entry(identifier)
    if zoo_entry.sha256:
        return locate_weights(zoo_entry.url, mirror_path=mirror_path(zoo_entry.url))
    try:
        return user_pinned_digest(zoo_entry.url)[1]
    except DataError:   # a malformed sidecar: the build would refuse the file
        return None


def trained_state_dict(zoo_entry: ZooEntry, module, path: Path):
    target = {name: tuple(tensor.shape) for name, tensor in module.state_dict().items()}
    try:
        converted = convert_state_dict(trunk_of(load_state_dict(path), zoo_entry.layout), target)
    except DataError as error:
        raise type(error)(f"{path} ({zoo_entry.identifier}, {zoo_entry.url}): {error}") from None
    state = module.state_dict()
    state.update(converted)   # only absent num_batches_tracked counters keep their init
    return state


def build(identifier: str, trained: bool, seed: int = 0) -> LoadedModel:
    zoo_entry = entry(identifier)
    if trained:
        path, digest_source = weights_path(zoo_entry)
        module = create_module(zoo_entry)
        module.load_state_dict(trained_state_dict(zoo_entry, module, path), strict=True)
        provenance = {"weights": f"VISSL model zoo {zoo_entry.method} ({zoo_entry.note}), {zoo_entry.url}",
                      "weights_digest_source": digest_source, **weights_provenance(path)}
    else:
        with seeded(seed):
            module = create_module(zoo_entry)
        provenance = {"weights": "random init (library default)", "seed": seed}
    library = "torchvision" if zoo_entry.architecture == RESNET50 else "timm"
    provenance["architecture"] = f"{library} {zoo_entry.architecture}, no classification head"
    return LoadedModel(module=module.eval(), input_size=INPUT_SIZE, mean=MEAN, std=STD, provenance=provenance)
