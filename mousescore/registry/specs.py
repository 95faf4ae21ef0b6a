"""Lazy specs that plugins return from their hooks: identifiers, metadata and factories.

Nothing here imports torch: listing specs must stay cheap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, List, Mapping, Optional, Sequence


@dataclass(frozen=True)
class RemoteFile:
    """One upstream file: where it lives and what its bytes must hash to."""
    name: str            # stable key used by the packager
    url: str             # real upstream URL (file:// works too)
    digest: str          # hex digest of the bytes (a prefix of >= 8 digits where only that is published)
    mirror_path: str     # relative path looked up in each MOUSESCORE_DATA_PATH directory
    algorithm: str = "sha256"   # "sha1" where upstream publishes only that (Brain-Score's catalog)


@dataclass(frozen=True)
class DatasetSpec:
    identifier: str
    files: Sequence[RemoteFile]
    # packager(paths: dict[file name -> local Path]) -> dict[product name -> xarray object]
    packager: Callable[[Mapping[str, Any]], Mapping[str, Any]]
    packager_version: str = "1"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # For data that is not a few downloadable files (the Allen NWB experiments): builder(source folder,
    # **options) -> (written path, {step: count}), run by `mousescore data build NAME --source DIR`.
    builder: Optional[Callable[..., Any]] = None
    # The same, fetching the source files itself: downloader(areas=, cre_lines=, workers=, scheduler=,
    # keep_nwb=, mirror=, allow_missing=, **options) -> (written path, {step: count}), run by
    # `mousescore data build NAME --download`.
    downloader: Optional[Callable[..., Any]] = None


@dataclass(frozen=True)
class ModelSpec:
    """A model: ``factory()`` builds it (lazily: it may import torch, and read or download weights).

    ``weights``: for a model that needs files to be built, a cheap function telling where they lie on
    this machine now, in the places ``factory`` looks (the trained weights' path), or None while they are
    absent. It must not download, hash or import torch: ``mousescore list models --available`` calls it
    for every model. ``factory`` still verifies the file's checksum when it builds. The default, None,
    declares that the model needs no files (random init, fixed filters): it can always be built offline.
    """
    identifier: str
    factory: Callable[[], "LoadedModel"]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    weights: Optional[Callable[[], Optional[Path]]] = None

    def available(self) -> bool:
        """Whether the model can be built offline now: it needs no files, or ``weights()`` finds them."""
        return self.weights is None or self.weights() is not None


def trained_and_random(identifier: str, build: Callable[[bool, int], "LoadedModel"],
                       metadata: Mapping[str, Any], training: str, seed: int = 0,
                       weights: Optional[Callable[[], Optional[Path]]] = None) -> List[ModelSpec]:
    """The two variants every network gets: ``identifier`` with its trained weights and
    ``identifier-random``, seeded random init; ``build(trained, seed)`` makes either, lazily.
    ``weights`` (see :class:`ModelSpec`) goes to the trained variant only: the random one needs no file."""
    return [ModelSpec(identifier, lambda: build(True, seed), {**metadata, "trained": True, "training": training},
                      weights=weights),
            ModelSpec(f"{identifier}-random", lambda: build(False, seed),
                      {**metadata, "trained": False, "training": "random init", "seed": seed})]


@dataclass(frozen=True)
class MetricSpec:
    identifier: str
    factory: Callable[..., Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchmarkSpec:
    identifier: str
    factory: Callable[[], Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class LoadedModel:
    """A built network plus what extraction needs to feed it."""
    module: Any                          # torch.nn.Module, in eval mode
    input_size: int                      # square side in pixels the images are resized to
    mean: Sequence[float] = (0.485, 0.456, 0.406)
    std: Sequence[float] = (0.229, 0.224, 0.225)
    provenance: Mapping[str, Any] = field(default_factory=dict)  # weights sha256 or random seed
    layers: Optional[Sequence[str]] = None  # module paths to record; None = every leaf module
    # images (n, h, w, c) in [0, 1] -> the module's input tensor; None = resize to input_size, normalise
    preprocess: Optional[Callable[[Any], Any]] = None
    # the most images one forward pass takes; None = any number (an exported file whose batch is fixed at 1: 1)
    max_batch_size: Optional[int] = None
