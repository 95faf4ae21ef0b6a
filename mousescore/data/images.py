"""Decode image files (bytes, never paths handed to other programs) into a StimulusSet."""
from __future__ import annotations

import io
from typing import Optional, Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import DataError
from .assemblies import StimulusSet

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp"}


def decode(data: bytes, name: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
        return image
    except (UnidentifiedImageError, OSError) as error:
        raise DataError(f"image {name} is corrupt or not an image ({error})") from error


def stimulus_set(stimulus_ids: Sequence[str], images: Sequence[Image.Image], identifier: str,
                 presentation_coords: Optional[dict] = None) -> StimulusSet:
    """Grayscale stays one channel unless any image is in colour; images whose size differs from the
    first one's are resized to it (models resize every image to their input size anyway)."""
    if not images:
        raise DataError(f"{identifier}: no images")
    mode = "L" if all(i.mode in ("L", "1", "I;16", "I") for i in images) else "RGB"
    size = images[0].size
    arrays = [np.asarray((i if i.size == size else i.resize(size, Image.BILINEAR)).convert(mode),
                         dtype=np.float32) / 255.0 for i in images]
    return StimulusSet.create(np.stack(arrays), list(stimulus_ids), presentation_coords=presentation_coords,
                              attrs={"identifier": identifier})
