"""The data card of each dataset on the board: what was recorded, from whom, with which images, how the
ceiling is computed and how to cite it, from the dataset plugin's own metadata; and a strip of a few
of its images as small thumbnails.

The card's facts live with the plugin that packages the data (``DatasetSpec.metadata``: the keys of
:data:`CARD_FIELDS`), so that a new dataset brings its card along. The images come from the plugin's
``sample_images(count)`` (the dataset's own files, found where ``mousescore data fetch`` puts them or in
``MOUSESCORE_DATA_PATH``); where they cannot be had, the card says so instead of failing the build.
"""
from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import numpy as np

from ..errors import MousescoreError
from ..registry.plugins import get_registry
from .machine_paths import scrub

logger = logging.getLogger("mousescore")

CARD_FIELDS = (("title", "Dataset"), ("species", "Species"), ("areas", "Areas and layers"),
               ("recording", "Recording"), ("neurons", "Neurons"), ("animals", "Animals or regions"),
               ("images", "Images"), ("repeats", "Repeats"), ("ceiling", "Ceiling"), ("citation", "Citation"),
               ("doi", "DOI"), ("license", "Licence"), ("source", "Source"))
THUMBNAILS = 6          # images per dataset
THUMBNAIL_SIDE = 64     # pixels: enough to see what kind of image it is, a few kB each


def dataset_cards(datasets: Iterable[str], registry=None) -> Dict[str, Dict[str, str]]:
    """{dataset: {field: text}} from the plugins' metadata (text fields of :data:`CARD_FIELDS` only; a
    dataset no installed plugin registers gets an empty card)."""
    registry = registry or get_registry()
    known = set(registry.identifiers("dataset"))
    cards = {}
    for dataset in sorted(set(datasets)):
        metadata = registry.get("dataset", dataset).metadata if dataset in known else {}
        cards[dataset] = {key: scrub(str(metadata[key])) for key, _ in CARD_FIELDS
                          if isinstance(metadata.get(key), (str, int, float))}
    return cards


def write_thumbnails(folder: Path, dataset: str, registry=None) -> Dict[str, object]:
    """Write the dataset's sample images as ``<dataset>-<i>.png`` under ``folder``; returns {"files":
    [names]} or, where the plugin offers none or its files are not here, {"files": [], "note": why}."""
    registry = registry or get_registry()
    if dataset not in set(registry.identifiers("dataset")):
        return {"files": [], "note": "no installed plugin registers this dataset"}
    sampler = registry.get("dataset", dataset).metadata.get("sample_images")
    if not callable(sampler):
        return {"files": [], "note": "the dataset's plugin offers no sample images"}
    try:
        images = np.asarray(sampler(THUMBNAILS), dtype=np.float64)
    except (MousescoreError, OSError, ValueError) as error:   # e.g. its files are not on this machine
        logger.warning("leaderboard: no sample images of %s: %s", dataset, error)
        return {"files": [], "note": f"not available where this site was built ({scrub(str(error))[:200]})"}
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index, image in enumerate(images[:THUMBNAILS]):
        name = f"{dataset}-{index + 1}.png"
        (folder / name).write_bytes(thumbnail_png(image))
        names.append(name)
    return {"files": names}


def thumbnail_png(image: np.ndarray, side: int = THUMBNAIL_SIDE) -> bytes:
    """One image (height × width [× 1 or 3 channels], values in [0, 1]) as a PNG at most ``side`` pixels
    on its longer side; the same image always gives the same bytes."""
    from PIL import Image
    pixels = np.clip(np.round(np.asarray(image, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    picture = Image.fromarray(pixels)   # 2-D: gray ("L"), height × width × 3: "RGB"
    scale = side / max(picture.size)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    buffer = io.BytesIO()
    picture.resize(size, Image.Resampling.LANCZOS).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def card_items(card: Dict[str, str], skip: Optional[List[str]] = None) -> List[tuple]:
    """(label, text) of a card in :data:`CARD_FIELDS` order."""
    return [(label, card[key]) for key, label in CARD_FIELDS if key in card and key not in (skip or [])]
