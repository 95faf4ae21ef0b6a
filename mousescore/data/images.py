"""Read image files (bytes, never paths handed to other programs) into a StimulusSet, each on its own scale.

Conventions (the README's "Your own recordings" states them for users):

- **Scale.** Every image is brought to [0, 1] by its own bit depth: 1-bit images give {0, 1}, 8-bit
  ones /255, 16-bit ones (PNG or TIFF, modes ``I;16*``, and ``I`` when the file says 16 bits) /65535,
  so a set mixing 8- and 16-bit files lands on one scale. Float images (TIFF mode ``F``) are taken as
  they are and must lie in [0, 1]; 32-bit integer images have no white level and are refused.
  Palette, CMYK and YCbCr images are converted to RGB.
- **Orientation.** The EXIF orientation tag is applied, as an image viewer shows the image.
- **Transparency.** An alpha channel (RGBA, LA, a palette's or PNG's transparent colour) is composited
  onto mid-gray, :data:`ALPHA_BACKGROUND` = 0.5 (the mean-luminance screen of most experiments), with
  a warning naming how many images had transparent pixels; never dropped.
- **Budgets, checked from headers before any pixel is decoded.** An image of more than
  :data:`MAX_IMAGE_PIXELS` pixels is refused (a decompression bomb: a 12000² 1-bit PNG is 17 KB), and
  so is a stimulus set whose float32 array (n × height × width × channels × 4 bytes) would exceed
  the load budget of :mod:`mousescore.data.headers`. Files are read only when they are regular files
  inside the folder or links to one inside it (checked before opening, so a FIFO never blocks and
  ``/dev/zero`` is never read), and only while their bytes fit the same budget; zip members are read
  with their declared sizes checked (:func:`mousescore.data.safe_loading.read_member`). Only images
  directly in a folder are read; macOS metadata (``._*``, ``__MACOSX/``) is skipped.
- One frame per image: animated GIFs and multi-page TIFFs are refused. Images whose size differs from
  the first one's are resized to it (bilinear; models resize to their input size anyway). Grayscale
  stays one channel unless any image is in colour.
"""
from __future__ import annotations

import io
import logging
import os
import re
import stat
import struct
import warnings
import zlib
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DataError
from .assemblies import StimulusSet
from .headers import load_budget_bytes
from .safe_loading import open_zip, read_member

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp"}
MAX_IMAGE_PIXELS = 8192 * 8192      # one image; models see 224² or so
ALPHA_BACKGROUND = 0.5              # transparent pixels show mid-gray

# What PIL raises on bytes that are not a valid image (truncated, corrupt chunks, bad EXIF).
_DECODE_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError,
                  struct.error, zlib.error, Image.DecompressionBombError, Image.DecompressionBombWarning)
_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
_TO_RGB = ("CMYK", "YCbCr", "LAB", "HSV", "RGBX")


class ImageFile(NamedTuple):
    """An image whose header has been checked and whose pixels are not decoded yet."""
    name: str
    image: Image.Image


def _refuse_pixels(name: str, pixels: Optional[int], size: str = "") -> DataError:
    declared = f"{pixels / 1e6:.3g} megapixels" if pixels is not None else "too many pixels"
    declared = f"{size} = {declared}" if size else declared
    return DataError(f"image {name} declares {declared}, over the limit of {MAX_IMAGE_PIXELS / 1e6:.3g} "
                     f"(a decompression bomb, or far larger than any model sees): downscale it")


def _declared_pixels(error: Exception) -> Optional[int]:
    """The pixel count in PIL's decompression-bomb message, which is all it says of the size."""
    found = re.search(r"\((\d+) pixels\)", str(error))
    return int(found.group(1)) if found else None


def decode(data: bytes, name: str) -> ImageFile:
    """Open ``data`` and check its header (pixel budget, one frame); pixels are decoded later, by
    :func:`stimulus_set`, once the whole set fits its budget."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _refuse_pixels(name, _declared_pixels(error)) from error
    except _DECODE_ERRORS as error:
        raise DataError(f"image {name} is corrupt or not an image ({error})") from error
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise _refuse_pixels(name, width * height, f"{width}×{height}")
    if width * height == 0:
        raise DataError(f"image {name} has no pixels ({width}×{height})")
    frames = _frame_count(image, name)
    if frames > 1:
        raise DataError(f"image {name} has {frames} frames (animated or multi-page); a stimulus is one "
                        f"image: save the frame you showed")
    return ImageFile(name, image)


def _frame_count(image: Image.Image, name: str) -> int:
    try:
        return int(getattr(image, "n_frames", 1))
    except _DECODE_ERRORS as error:
        raise DataError(f"image {name} is corrupt ({error})") from error


def _is_colour(image: Image.Image) -> bool:
    return image.mode not in ("1", "L", "LA", "I", "F") + _SIXTEEN_BIT


def stimulus_budget_bytes() -> int:
    """What the set's float32 array, and apart from it the files' bytes, may take: the load budget
    (``MOUSESCORE_MEMORY_LIMIT_GB`` less what this process holds, else the memory available)."""
    return load_budget_bytes()


def _over_budget(needed: int, form: str = "") -> str:
    return (f"{needed / 2**30:.2f} GiB{form}, over the load budget of {stimulus_budget_bytes() / 2**30:.2f} GiB "
            f"(MOUSESCORE_MEMORY_LIMIT_GB, else the memory available)")


def _check_set_budget(files: Sequence[ImageFile], identifier: str) -> int:
    """The set's channel count, once its float32 array (every image at the first one's size; EXIF
    rotation keeps the pixel count) is known to fit the budget."""
    width, height = files[0].image.size
    channels = 3 if any(_is_colour(f.image) for f in files) else 1
    needed = len(files) * width * height * channels * 4
    if needed > stimulus_budget_bytes():
        raise DataError(f"{identifier}: {len(files)} images of {width}×{height}×{channels} would take "
                        f"{_over_budget(needed, ' as float32')}: downscale the images or score fewer at once")
    return channels


def _integer_bits(image: Image.Image) -> Optional[int]:
    """Bits per sample of a mode-I image: PNG stores at most 16; a TIFF says so in BitsPerSample."""
    if image.format == "PNG":
        return 16
    bits = getattr(image, "tag_v2", {}).get(258) if image.format == "TIFF" else None
    bits = bits[0] if isinstance(bits, tuple) else bits
    return int(bits) if bits is not None else None


def _float_pixels(values: np.ndarray, name: str) -> np.ndarray:
    """A float image is used as it is, so it must already be on the [0, 1] scale."""
    values = values.astype(np.float32)
    if not np.isfinite(values).all():
        raise DataError(f"image {name}: float image with NaN or infinite pixels")
    low, high = float(values.min()), float(values.max())
    if low < 0 or high > 1:
        raise DataError(f"image {name}: float pixels range over [{low:.4g}, {high:.4g}], but a float image "
                        f"must lie in [0, 1] (mousescore does not guess its scale): rescale it")
    return values


def _with_alpha_band(image: Image.Image) -> Image.Image:
    """Palette, CMYK and transparent-colour images as L/LA/RGB/RGBA, so alpha becomes a band."""
    has_transparency = "transparency" in image.info
    if image.mode in ("P", "PA"):
        return image.convert("RGBA" if has_transparency or image.mode == "PA" else "RGB")
    if image.mode in ("L", "RGB") and has_transparency:
        return image.convert("LA" if image.mode == "L" else "RGBA")
    if image.mode in ("La", "RGBa"):          # premultiplied alpha
        return image.convert(image.mode.upper())
    if image.mode in _TO_RGB:
        return image.convert("RGB")
    return image


def _scaled(image: Image.Image, name: str, integer_bits: Optional[int]) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """(pixels in [0, 1] as height × width × channels, alpha in [0, 1] or None) by the image's own depth
    (``integer_bits``: a mode-I file's, read before rotation, since a rotated copy forgets its format)."""
    mode = image.mode
    values = np.asarray(image)
    alpha = None
    if mode == "1":
        pixels = values.astype(np.float32)
    elif mode in ("L", "LA", "RGB", "RGBA"):
        pixels = values.astype(np.float32) / 255.0
        if mode in ("LA", "RGBA"):
            pixels, alpha = pixels[..., :-1], pixels[..., -1]
    elif mode in _SIXTEEN_BIT or (mode == "I" and integer_bits == 16):
        if "transparency" in image.info:          # a PNG's one transparent gray level
            alpha = (values != image.info["transparency"]).astype(np.float32)
        pixels = values.astype(np.float32) / 65535.0
    elif mode == "I":
        raise DataError(f"image {name}: {integer_bits or 'unknown'}-bit integer pixels have no defined "
                        f"white level: save it as 8- or 16-bit, or as float in [0, 1]")
    elif mode == "F":
        pixels = _float_pixels(values, name)
    else:
        raise DataError(f"image {name}: pixel mode {mode} is not supported: save it as grayscale or RGB")
    return (pixels if pixels.ndim == 3 else pixels[..., None]), alpha


def _decoded(file: ImageFile) -> Tuple[np.ndarray, bool]:
    """(height × width × channels float32 in [0, 1], whether it had transparent pixels)."""
    try:
        file.image.load()
        image = _with_alpha_band(ImageOps.exif_transpose(file.image))
    except _DECODE_ERRORS as error:
        raise DataError(f"image {file.name} is corrupt or not an image ({error})") from error
    pixels, alpha = _scaled(image, file.name, _integer_bits(file.image))
    if alpha is None or alpha.min() == 1:
        return pixels, False
    return pixels * alpha[..., None] + ALPHA_BACKGROUND * (1 - alpha[..., None]), True


def _fitted(pixels: np.ndarray, size: Tuple[int, int], channels: int) -> np.ndarray:
    """``pixels`` at the set's size (bilinear, channel by channel) and channel count."""
    if pixels.shape[1::-1] != size:
        pixels = np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(pixels[..., c])).resize(
            size, Image.Resampling.BILINEAR)) for c in range(pixels.shape[-1])], axis=-1)
    if pixels.shape[-1] != channels:
        pixels = np.repeat(pixels, channels, axis=-1)
    return np.clip(pixels, 0.0, 1.0)     # bilinear stays in range; this only guards float rounding


def stimulus_set(stimulus_ids: Sequence[str], images: Sequence[ImageFile], identifier: str,
                 presentation_coords: Optional[dict] = None) -> StimulusSet:
    """Decoded images (see the module's conventions) as a StimulusSet, the budget checked first."""
    if not images:
        raise DataError(f"{identifier}: no images")
    channels = _check_set_budget(images, identifier)
    array = None
    transparent = 0
    for index, file in enumerate(images):
        pixels, had_alpha = _decoded(file)
        if array is None:         # the first image as shown (after EXIF rotation) sets the size
            array = np.empty((len(images), *pixels.shape[:2], channels), dtype=np.float32)
        array[index] = _fitted(pixels, (array.shape[2], array.shape[1]), channels)
        transparent += had_alpha
        file.image.close()
    if transparent:
        logger.warning("%s: %d of %d images have transparent pixels, composited onto mid-gray (%.1f)",
                       identifier, transparent, len(images), ALPHA_BACKGROUND)
    return StimulusSet.create(array, list(stimulus_ids), presentation_coords=presentation_coords,
                              attrs={"identifier": identifier})


# --- reading files -------------------------------------------------------------------------------------

def _is_image_name(name: str) -> bool:
    """An image by its suffix, not macOS metadata (``__MACOSX/``, ``._name`` AppleDouble files)."""
    path = Path(name)
    return (path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith("._")
            and "__MACOSX" not in path.parts)


_FILE_TYPES = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    return next((what for test, what in _FILE_TYPES if test(mode)), "not a regular file")


def _regular_file(root: Path, entry: Path) -> Tuple[Path, int]:
    """The file to read for ``entry`` and its size: a regular file in the folder, or a symlink to one
    inside it; anything else is refused before it is opened (a FIFO would block, a device never end)."""
    if os.path.islink(entry):
        target = Path(os.path.realpath(entry))
        if not target.is_relative_to(root):
            raise DataError(f"{entry}: a symbolic link to {target}, outside the stimulus folder {root}; "
                            f"copy the image into the folder")
    else:
        target = entry
    try:
        info = os.stat(target)
    except OSError as error:      # a dangling link, a link loop, no permission
        raise DataError(f"{entry}: cannot be read ({error.strerror}); fix or remove it") from error
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{entry}: {_kind(info.st_mode)}, not an image file; remove it from the stimulus folder")
    return target, info.st_size


def _read_capped(path: Path, size: int, shown: Path) -> bytes:
    """The file's bytes, read without blocking and only as many as ``lstat`` found (plus one, to notice
    a file that changed)."""
    try:       # swapped for a link since it was checked: O_NOFOLLOW refuses it; for a FIFO: O_NONBLOCK
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        raise DataError(f"{shown}: changed since it was checked, cannot be read ({error.strerror}); "
                        f"try again") from error
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise DataError(f"{shown}: replaced by something that is not a file while being read")
        data = handle.read(size + 1)
    if len(data) != size:
        raise DataError(f"{shown}: changed while being read ({size} bytes listed, {len(data)} read); try again")
    return data


def check_image_bytes(total: int, path) -> None:
    """Refuse image files whose bytes, all held until decoded, exceed the budget."""
    if total > stimulus_budget_bytes():
        raise DataError(f"{path}: the image files hold {_over_budget(total)}: downscale the images or "
                        f"split the set")


def _folder_sources(folder: Path) -> Iterator[Tuple[str, str, bytes]]:
    """Images directly in ``folder`` (subfolders are not read), every one checked before any is read."""
    root = Path(os.path.realpath(folder))
    entries = [entry for entry in sorted(folder.iterdir()) if _is_image_name(entry.name)]
    checked = [(entry, *_regular_file(root, entry)) for entry in entries]
    check_image_bytes(sum(size for _, _, size in checked), folder)
    for entry, target, size in checked:
        yield entry.stem, str(entry), _read_capped(target, size, entry)


def _zip_sources(path: Path) -> Iterator[Tuple[str, str, bytes]]:
    """Images anywhere in the archive, named by their file name; read in memory, never extracted."""
    with open_zip(path) as archive:
        members = sorted((info for info in archive.infolist()
                          if not info.is_dir() and _is_image_name(info.filename)), key=lambda i: i.filename)
        check_image_bytes(sum(info.file_size for info in members), path)
        for info in members:
            yield Path(info.filename).stem, f"{info.filename} in {path}", read_member(archive, info, path)


def image_sources(path: Path) -> Iterator[Tuple[str, str, bytes]]:
    """(stimulus id, name, bytes) for every image in a folder or zip."""
    if path.is_dir():
        return _folder_sources(path)
    if path.suffix.lower() == ".zip" and path.is_file():
        return _zip_sources(path)
    raise DataError(f"stimuli must be a folder or a zip of images, not {path}")


def read_images(path, identifier: str) -> StimulusSet:
    """A folder or zip of images named ``<stimulus_id>.<ext>`` as a StimulusSet, sorted by name."""
    path = Path(path)
    ids: List[str] = []
    files: List[ImageFile] = []
    for stimulus_id, name, data in image_sources(path):
        if stimulus_id in ids:
            raise DataError(f"duplicate stimulus id '{stimulus_id}' in {path} (two files with that name)")
        ids.append(stimulus_id)
        files.append(decode(data, name))
    if not files:
        raise DataError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {path}")
    return stimulus_set(ids, files, identifier)
