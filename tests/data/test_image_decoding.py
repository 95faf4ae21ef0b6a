"""Decoding conventions of :mod:`mousescore.data.images` that held before the reliability work (issue 31)
and must survive its lazy, budgeted decoding: 1-bit and CMYK images, opaque alpha, damaged files, links
inside the folder, mixed sizes and channels."""
import io
import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mousescore.errors import DataError
from mousescore.scoring.own_data import load_images
from tests.reliability.test_images import folder_with


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_header(width, height):
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 100))
            + _chunk(b"IEND", b""))


def test_one_bit_png_gives_zero_and_one(tmp_path):
    pattern = np.eye(4, dtype=bool)
    folder = folder_with(tmp_path, a_png=Image.fromarray(pattern))
    np.testing.assert_array_equal(load_images(folder).values[0, ..., 0], pattern.astype(np.float32))


def test_cmyk_is_converted_to_rgb(tmp_path):
    folder = folder_with(tmp_path, a_tif=Image.new("CMYK", (4, 4), (255, 0, 0, 0)))    # pure cyan
    np.testing.assert_allclose(load_images(folder).values[0, 0, 0], [0, 1, 1])


def test_opaque_alpha_changes_nothing_and_says_nothing(tmp_path, caplog):
    rgba = np.full((2, 2, 4), 200, np.uint8)
    rgba[..., 3] = 255
    folder = folder_with(tmp_path, a_png=Image.fromarray(rgba, "RGBA"))
    np.testing.assert_allclose(load_images(folder).values, 200 / 255)
    assert "transparent" not in caplog.text


@pytest.mark.parametrize("damage", ["truncated PNG", "truncated JPEG", "PNG chunk CRC flipped", "zero width"])
def test_damaged_images_are_data_errors_naming_the_file(tmp_path, damage):
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (64, 64), np.uint8)).save(buffer, format="JPEG" if "JPEG" in damage else "PNG")
    data = buffer.getvalue()
    if damage.startswith("truncated"):
        data = data[:len(data) // 2]
    elif damage == "PNG chunk CRC flipped":
        data = data[:29] + bytes([data[29] ^ 0xFF]) + data[30:]           # the IHDR chunk's CRC
    else:
        data = png_with_header(0, 4)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / ("a.jpg" if "JPEG" in damage else "a.png")).write_bytes(data)
    with pytest.raises(DataError, match=r"a.(png|jpg) (is corrupt|has no pixels)"):
        load_images(tmp_path / "images")


def test_symlink_to_an_image_inside_the_folder_is_read(tmp_path):
    folder = folder_with(tmp_path, a_png=Image.new("L", (4, 4), 0))
    (folder / "originals").mkdir()
    Image.new("L", (4, 4), 255).save(folder / "originals" / "x.png")
    os.symlink("originals/x.png", folder / "b.png")
    assert load_images(folder).values.reshape(2, -1).mean(axis=1).tolist() == [0.0, 1.0]


def test_mixed_sizes_and_channels_take_the_first_image_s_size_and_colour(tmp_path):
    folder = folder_with(tmp_path, a_png=Image.new("L", (8, 4), 51),
                         b_png=Image.new("RGB", (16, 8), (255, 0, 0)),
                         c_png=Image.fromarray(np.full((2, 4), 65535, np.uint16)))
    loaded = load_images(folder).values
    assert loaded.shape == (3, 4, 8, 3)
    np.testing.assert_allclose(loaded[0], 0.2, atol=1e-6)                  # gray copied to three channels
    np.testing.assert_allclose(loaded[1].reshape(-1, 3).mean(axis=0), [1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(loaded[2], 1.0, atol=1e-6)                  # 16-bit white, upsampled
