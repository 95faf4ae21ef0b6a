"""Images decode on their own scale or are refused (issue 31, class 3): bit depth, EXIF orientation,
transparency, and one-line refusals, before any memory is spent, of decompression bombs, lying zip
members, FIFOs, devices and links out of the folder. Every image here is a real file the test writes."""
import io
import os
import signal
import socket
import stat
import struct
import subprocess
import sys
import zipfile
import zlib
from contextlib import contextmanager

import numpy as np
import pytest
from PIL import Image

from mousescore.data import images as image_module
from mousescore.data.brainio import read_stimulus_set
from mousescore.errors import DataError
from mousescore.scoring.own_data import load_images


@contextmanager
def no_hang(seconds=20):
    """Fail, instead of hanging the suite, if reading blocks (a FIFO, a device)."""
    def blocked(*_):
        raise TimeoutError(f"blocked for {seconds} s")
    previous = signal.signal(signal.SIGALRM, blocked)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def folder_with(tmp_path, **images):
    """A stimulus folder holding ``name=PIL image`` (saved by the name's suffix, ``_`` for ``.``)."""
    folder = tmp_path / "images"
    folder.mkdir(exist_ok=True)
    for name, image in images.items():
        image.save(folder / name.replace("_", "."))
    return folder


def png_bytes(array, mode=None):
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array), mode).save(buffer, format="PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_header(width, height, bit_depth=8, colour_type=0, rows=None):
    """A PNG whose header declares ``width × height``; its data holds ``rows`` (default: almost none)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    data = zlib.compress(rows if rows is not None else b"\0" * 100, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


# --- each image on its own scale -----------------------------------------------------------------------

def test_16_bit_png_is_scaled_by_65535_not_clipped_to_white(tmp_path, bad_input):
    bad_input("16-bit grayscale PNG (mode I;16)")
    values = np.array([[0, 1000, 32768, 65535]], np.uint16).repeat(4, axis=0)
    folder = folder_with(tmp_path, a_png=Image.fromarray(values))
    loaded = load_images(folder).values[0, ..., 0]
    np.testing.assert_allclose(loaded, values / 65535.0, atol=1e-7)    # was 1.0 everywhere but 0


def test_16_bit_tiff_is_scaled_by_65535(tmp_path, bad_input):
    bad_input("16-bit grayscale TIFF")
    folder = folder_with(tmp_path, a_tif=Image.fromarray(np.full((4, 4), 16384, np.uint16)))
    assert load_images(folder).values.mean() == pytest.approx(16384 / 65535, abs=1e-7)


def test_float_tiff_in_unit_range_is_used_as_it_is(tmp_path, bad_input):
    bad_input("float32 TIFF (mode F) in [0, 1]")
    values = np.linspace(0, 1, 16, dtype=np.float32).reshape(4, 4)
    folder = folder_with(tmp_path, a_tif=Image.fromarray(values))
    np.testing.assert_allclose(load_images(folder).values[0, ..., 0], values)   # was all black


@pytest.mark.parametrize("values, expected", [
    (np.full((4, 4), 255.0), r"float pixels range over \[255, 255\], but a float image must lie in \[0, 1\]"),
    (np.linspace(-1, 1, 16).reshape(4, 4), r"range over \[-1, 1\]"),
    (np.array([[np.nan, 0.5], [0.5, 0.5]]), "NaN or infinite"),
    (np.array([[np.inf, 0.5], [0.5, 0.5]]), "NaN or infinite"),
], ids=["0-255", "negative", "nan", "inf"])
def test_float_tiff_outside_unit_range_is_refused_naming_the_range(tmp_path, values, expected, bad_input):
    bad_input(f"float TIFF {values.ravel()[:2]}")
    folder = folder_with(tmp_path, a_tif=Image.fromarray(values.astype(np.float32)))
    with pytest.raises(DataError, match=expected):
        load_images(folder)


def test_32_bit_integer_tiff_is_refused(tmp_path, bad_input):
    bad_input("32-bit signed integer TIFF (mode I)")
    folder = folder_with(tmp_path, a_tif=Image.fromarray(np.full((4, 4), 70000, np.int32), "I"))
    with pytest.raises(DataError, match="32-bit integer pixels have no defined white level"):
        load_images(folder)


def test_16_and_8_bit_images_in_one_set_land_on_one_scale(tmp_path, bad_input):
    bad_input("set mixing 16-bit and 8-bit grayscale PNGs")
    folder = folder_with(tmp_path, a_png=Image.fromarray(np.full((4, 4), 128 * 257, np.uint16)),
                         b_png=Image.fromarray(np.full((4, 4), 128, np.uint8)),
                         c_png=Image.fromarray(np.full((4, 4), 65535, np.uint16)))
    loaded = load_images(folder).values
    np.testing.assert_allclose(loaded[0], loaded[1], atol=1e-7)    # the same gray, 128/255
    assert loaded[0].mean() == pytest.approx(128 / 255) and loaded[2].mean() == 1.0


# --- orientation ---------------------------------------------------------------------------------------

def _oriented_jpeg(path, orientation):
    """A 4 × 8 JPEG, white in its stored left half, with an EXIF orientation tag."""
    pixels = np.zeros((4, 8, 3), np.uint8)
    pixels[:, :4] = 255
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, exif=exif.tobytes(), quality=100)


@pytest.mark.parametrize("orientation, shape, white", [
    (6, (8, 4), (slice(0, 4), slice(None))),        # rotated 90° clockwise: the left half goes on top
    (8, (8, 4), (slice(4, 8), slice(None))),        # 90° counter-clockwise: to the bottom
    (3, (4, 8), (slice(None), slice(4, 8))),        # 180°: to the right
])
def test_exif_orientation_is_applied(tmp_path, orientation, shape, white, bad_input):
    bad_input(f"JPEG with EXIF orientation {orientation}")
    (tmp_path / "images").mkdir()
    _oriented_jpeg(tmp_path / "images" / "a.jpg", orientation)
    loaded = load_images(tmp_path / "images").values[0].mean(axis=-1)
    assert loaded.shape == shape                    # was (4, 8) whatever the tag
    assert loaded[white].mean() > 0.95 and loaded.mean() == pytest.approx(0.5, abs=0.03)


# --- transparency: composited onto mid-gray, never dropped ---------------------------------------------

def test_rgba_is_composited_onto_mid_gray(tmp_path, caplog, bad_input):
    bad_input("RGBA PNG with transparent, half and opaque pixels")
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[..., 0] = 255                                  # red everywhere
    rgba[0, :, 3] = [0, 128, 255]                       # alpha: transparent, half, opaque
    folder = folder_with(tmp_path, a_png=Image.fromarray(rgba, "RGBA"))
    red = load_images(folder).values[0, 0, :, 0]
    half = 128 / 255
    np.testing.assert_allclose(red, [0.5, half + 0.5 * (1 - half), 1.0], atol=1e-6)   # was [1, 1, 1]
    assert "1 of 1 images have transparent pixels, composited onto mid-gray" in caplog.text


def _transparent_png(mode):
    if mode == "LA":
        return Image.new("LA", (4, 4), (255, 0))
    if mode == "P":
        image = Image.new("P", (4, 4), 0)
        image.putpalette([255, 255, 255] + [0] * 765)
        image.info["transparency"] = 0
        return image
    if mode == "L+tRNS":
        image = Image.new("L", (4, 4), 255)
    elif mode == "RGB+tRNS":
        image = Image.new("RGB", (4, 4), (255, 255, 255))
    else:
        image = Image.fromarray(np.full((4, 4), 65535, np.uint16))
    image.info["transparency"] = 255 if mode == "L+tRNS" else (255, 255, 255) if mode == "RGB+tRNS" else 65535
    return image


@pytest.mark.parametrize("mode", ["LA", "P", "L+tRNS", "RGB+tRNS", "I;16+tRNS"])
def test_every_kind_of_transparency_is_composited(tmp_path, mode, bad_input):
    bad_input(f"fully transparent white PNG ({mode})")
    image = _transparent_png(mode)
    (tmp_path / "images").mkdir()
    image.save(tmp_path / "images" / "a.png", transparency=image.info["transparency"]) \
        if "transparency" in image.info else image.save(tmp_path / "images" / "a.png")
    np.testing.assert_allclose(load_images(tmp_path / "images").values, 0.5)     # white everywhere before


# --- refused from the header, before decoding ----------------------------------------------------------

def test_30000_square_png_header_is_refused(tmp_path, bad_input):
    bad_input("PNG header declaring 30000×30000")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(png_with_header(30000, 30000))
    with pytest.raises(DataError, match=r"a.png declares 900 megapixels, over the limit of 67.1 "
                                        r"\(a decompression bomb"):
        load_images(tmp_path / "images")                # was PIL's DecompressionBombError: exit 1


def test_12000_square_one_bit_png_of_17_kb_is_refused(tmp_path, bad_input):
    bad_input("12000×12000 1-bit PNG of 17 KB (decompression bomb)")
    rows = (b"\0" + b"\0" * 1500) * 12000                # filter byte + 12000 bits per row
    data = png_with_header(12000, 12000, bit_depth=1, rows=rows)
    assert len(data) < 20_000
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(data)
    with pytest.raises(DataError, match="declares 144 megapixels, over the limit"):
        load_images(tmp_path / "images")                # was decoded: a 576 MB float array


def test_image_over_mousescores_own_pixel_budget_is_refused_before_decoding(tmp_path, monkeypatch, bad_input):
    bad_input("9000×9000 PNG header: under PIL's bomb limit, over mousescore's")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(png_with_header(9000, 9000))
    with pytest.raises(DataError, match="a.png declares 9000×9000 = 81 megapixels, over the limit of 67.1"):
        load_images(tmp_path / "images")                # was decoded, then refused as truncated


def test_stimulus_set_over_its_memory_budget_is_refused_before_decoding(tmp_path, monkeypatch, bad_input):
    bad_input("stimulus set whose float32 array exceeds the budget")
    monkeypatch.setattr(image_module, "stimulus_budget_bytes", lambda: 10_000)
    folder = folder_with(tmp_path, **{f"s{i}_png": Image.new("RGB", (20, 20), (i, i, i)) for i in range(3)})
    monkeypatch.setattr(image_module, "_decoded", lambda file: pytest.fail("decoded before the budget"))
    with pytest.raises(DataError, match=r"3 images of 20×20×3 would take 0.00 GiB as float32, over the load budget "
                                        r"of 0.00 GiB \(MOUSESCORE_MEMORY_LIMIT_GB, else the memory available\)"):
        load_images(folder)


def test_image_files_over_the_byte_budget_are_refused_before_reading(tmp_path, monkeypatch, bad_input):
    bad_input("image files holding more bytes than the budget")
    monkeypatch.setattr(image_module, "stimulus_budget_bytes", lambda: 100)
    folder = folder_with(tmp_path, a_bmp=Image.new("L", (20, 20)))
    monkeypatch.setattr(image_module, "_read_capped", lambda *a: pytest.fail("read before the budget"))
    with pytest.raises(DataError, match="the image files hold 0.00 GiB, over the load budget"):
        load_images(folder)


@pytest.mark.parametrize("kind", ["animated GIF", "multi-page TIFF"])
def test_images_with_several_frames_are_refused(tmp_path, kind, bad_input):
    bad_input(kind)
    (tmp_path / "images").mkdir()
    frames = [Image.new("L", (4, 4), 0), Image.new("L", (4, 4), 255)]
    path = tmp_path / "images" / ("a.gif" if kind == "animated GIF" else "a.tif")
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(DataError, match="a.(gif|tif) has 2 frames"):
        load_images(tmp_path / "images")               # the first frame was used, without a word


# --- only regular files inside the folder, checked before opening -------------------------------------

def _folder_with_one_good_image(tmp_path):
    folder = folder_with(tmp_path, a_png=Image.new("L", (4, 4), 0))
    return folder


def test_fifo_is_refused_without_blocking(tmp_path, bad_input):
    bad_input("FIFO named b.png in the folder")
    folder = _folder_with_one_good_image(tmp_path)
    os.mkfifo(folder / "b.png")
    with no_hang(), pytest.raises(DataError, match=r"b.png: a FIFO \(named pipe\), not an image file"):
        load_images(folder)                              # blocked forever before


def test_symlink_to_dev_zero_is_refused_without_reading_it(tmp_path, bad_input):
    bad_input("symlink b.png -> /dev/zero")
    folder = _folder_with_one_good_image(tmp_path)
    os.symlink("/dev/zero", folder / "b.png")
    with no_hang(), pytest.raises(DataError, match="b.png: a symbolic link to /dev/zero, outside the stimulus folder"):
        load_images(folder)                              # read until memory ran out before


def test_device_file_in_the_folder_is_refused(tmp_path, bad_input):
    bad_input("character device named b.png in the folder")
    folder = _folder_with_one_good_image(tmp_path)
    try:
        os.mknod(folder / "b.png", stat.S_IFCHR | 0o600, os.makedev(1, 5))      # /dev/zero's numbers
    except (PermissionError, OSError):
        pytest.skip("creating a device file needs CAP_MKNOD")
    with no_hang(), pytest.raises(DataError, match="b.png: a character device, not an image file"):
        load_images(folder)


def test_socket_in_the_folder_is_refused(tmp_path, bad_input):
    bad_input("unix socket named b.png in the folder")
    folder = _folder_with_one_good_image(tmp_path)
    server = socket.socket(socket.AF_UNIX)
    try:
        os.chdir(folder)                                 # a short relative path fits sun_path's 108 bytes
        server.bind("b.png")
    finally:
        os.chdir(tmp_path)
    with server, no_hang(), pytest.raises(DataError, match="b.png: a socket, not an image file"):
        load_images(folder)


@pytest.mark.parametrize("link", ["absolute", "relative", "chain"])
def test_symlink_out_of_the_folder_is_refused(tmp_path, link, bad_input):
    bad_input(f"{link} symlink to an image outside the folder")
    folder = _folder_with_one_good_image(tmp_path)
    Image.new("L", (4, 4), 255).save(tmp_path / "outside.png")
    if link == "absolute":
        os.symlink(tmp_path / "outside.png", folder / "b.png")
    elif link == "relative":
        os.symlink("../outside.png", folder / "b.png")
    else:                                                # inside link -> inside link -> outside file
        os.symlink(tmp_path / "outside.png", folder / "hop.txt")
        os.symlink("hop.txt", folder / "b.png")
    with pytest.raises(DataError, match="b.png: a symbolic link to .*outside.png, outside the stimulus folder"):
        load_images(folder)                              # was read: a file the folder does not hold


@pytest.mark.parametrize("trick", ["folder named b.png", "symlink b.png to a subfolder"])
def test_subfolder_posing_as_an_image_is_refused(tmp_path, trick, bad_input):
    bad_input(trick)
    folder = _folder_with_one_good_image(tmp_path)
    if trick == "folder named b.png":
        (folder / "b.png").mkdir()
    else:
        (folder / "sub").mkdir()
        os.symlink("sub", folder / "b.png")
    with pytest.raises(DataError, match="b.png: a folder, not an image file"):
        load_images(folder)                              # was IsADirectoryError: exit 1


@pytest.mark.parametrize("link", ["dangling", "loop"])
def test_unreadable_links_are_refused(tmp_path, link, bad_input):
    bad_input(f"{link} symlink named b.png")
    folder = _folder_with_one_good_image(tmp_path)
    os.symlink("missing.png" if link == "dangling" else "b.png", folder / "b.png")
    with pytest.raises(DataError, match="b.png: cannot be read"):
        load_images(folder)                              # was FileNotFoundError / OSError: exit 1


def test_macos_metadata_files_are_not_stimuli(tmp_path):
    folder = _folder_with_one_good_image(tmp_path)
    (folder / "._a.png").write_bytes(b"\0\5\26\7AppleDouble")      # resource fork beside the image
    assert load_images(folder).stimulus_ids().tolist() == ["a"]


@pytest.mark.parametrize("kind", ["FIFO", "symlink to /dev/zero"])
def test_stimuli_zip_that_is_not_a_regular_file_is_refused(tmp_path, kind, bad_input):
    bad_input(f"--stimuli images.zip that is a {kind}")
    path = tmp_path / "images.zip"
    os.mkfifo(path) if kind == "FIFO" else os.symlink("/dev/zero", path)
    with no_hang(), pytest.raises(DataError, match="stimuli must be a folder or a zip of images"):
        load_images(path)                                # zipfile blocked on the FIFO before


def test_brainio_zip_that_is_a_fifo_is_refused(tmp_path, bad_input):
    bad_input("BrainIO stimulus ZIP that is a FIFO")
    (tmp_path / "s.csv").write_text("stimulus_id,filename\na,a.png\n")
    os.mkfifo(tmp_path / "s.zip")
    with no_hang(), pytest.raises(DataError, match="s.zip: not a regular file"):
        load_images(tmp_path / "s.csv")


# --- zip members hold exactly what they declare --------------------------------------------------------

def _zip(members, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return bytearray(buffer.getvalue())


def _lie_about(archive: bytearray, size=None, crc=None, compressed=None):
    """Rewrite the first member's declared sizes / CRC in both its local and its central header."""
    local, central = archive.find(b"PK\x03\x04"), archive.find(b"PK\x01\x02")
    for offset, field in ((size, 22), (crc, 14), (compressed, 18)):
        if offset is not None:
            struct.pack_into("<I", archive, local + field, offset)
            struct.pack_into("<I", archive, central + field + 2, offset)
    return bytes(archive)


IMAGE = png_bytes(np.arange(256, dtype=np.uint8).reshape(16, 16))


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
@pytest.mark.parametrize("lie, expected", [
    ("declares 10 bytes fewer, CRC of what it declares", "holds more than the {} bytes it declares"),
    ("declares 10 bytes fewer", "holds more than the {} bytes it declares"),
    ("declares 1000 bytes more", "holds only {} of the {} bytes it declares"),
    ("CRC flipped", "CRC mismatch"),
])
def test_zip_member_that_lies_about_its_size_is_refused(tmp_path, compression, lie, expected, bad_input):
    bad_input(f"{'stored' if compression == zipfile.ZIP_STORED else 'deflated'} zip member: {lie}")
    archive = _zip({"a.png": IMAGE}, compression)
    if lie.startswith("declares 10 bytes fewer"):
        size = len(IMAGE) - 10
        forged = _lie_about(archive, size=size, crc=zlib.crc32(IMAGE[:size]) if "CRC" in lie else None)
        message = expected.format(size)
    elif lie.startswith("declares 1000"):
        forged, message = _lie_about(archive, size=len(IMAGE) + 1000), expected.format(len(IMAGE), len(IMAGE) + 1000)
    else:
        forged, message = _lie_about(archive, crc=zlib.crc32(IMAGE) ^ 1), expected
    (tmp_path / "images.zip").write_bytes(forged)
    with pytest.raises(DataError, match=f"member a.png: {message}"):
        load_images(tmp_path / "images.zip")    # was a silently cut image, or BadZipFile: exit 1


def test_zip_member_declaring_more_compressed_bytes_than_the_archive_holds_is_refused(tmp_path, bad_input):
    bad_input("zip member whose compressed size runs past the next member")
    archive = _zip({"a.png": IMAGE, "b.png": IMAGE})
    (tmp_path / "images.zip").write_bytes(_lie_about(archive, compressed=100_000))
    with pytest.raises(DataError, match="member a.png: declares 100000 compressed bytes but the archive holds only"):
        load_images(tmp_path / "images.zip")


def test_zip_member_whose_local_header_names_another_file_is_refused(tmp_path, bad_input):
    bad_input("zip whose local header and directory name different files")
    archive = _zip({"a.png": IMAGE})
    local = archive.find(b"PK\x03\x04")
    archive[local + 30:local + 35] = b"x.png"
    (tmp_path / "images.zip").write_bytes(bytes(archive))
    with pytest.raises(DataError, match="local header names another file"):
        load_images(tmp_path / "images.zip")


@pytest.mark.parametrize("flag", ["encrypted", "symbolic link"])
def test_encrypted_or_symlink_zip_members_are_refused(tmp_path, flag, bad_input):
    bad_input(f"zip member flagged {flag}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("a.png")
        if flag == "symbolic link":
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
        else:
            archive.writestr(info, IMAGE)
    data = bytearray(buffer.getvalue())
    if flag == "encrypted":
        for signature, field in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            struct.pack_into("<H", data, data.find(signature) + field, 0x1)
    (tmp_path / "images.zip").write_bytes(bytes(data))
    with pytest.raises(DataError, match=f"member a.png: {'encrypted' if flag == 'encrypted' else 'a symbolic link'}"):
        load_images(tmp_path / "images.zip")


def test_zip_images_over_the_byte_budget_are_refused_before_reading(tmp_path, monkeypatch, bad_input):
    bad_input("zip whose image members exceed the byte budget")
    monkeypatch.setattr(image_module, "stimulus_budget_bytes", lambda: 100)
    (tmp_path / "images.zip").write_bytes(bytes(_zip({"a.png": IMAGE, "b.png": IMAGE})))
    monkeypatch.setattr(image_module, "read_member", lambda *a: pytest.fail("read before the budget"))
    with pytest.raises(DataError, match="the image files hold 0.00 GiB, over the load budget"):
        load_images(tmp_path / "images.zip")


def test_honest_zips_are_read_whatever_the_compression(tmp_path):
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        (tmp_path / "images.zip").write_bytes(bytes(_zip({"a.png": IMAGE, "__MACOSX/._a.png": b"\0\5"},
                                                         compression)))
        loaded = load_images(tmp_path / "images.zip")
        assert loaded.stimulus_ids().tolist() == ["a"]
        np.testing.assert_allclose(loaded.values[0, ..., 0].ravel(), np.arange(256) / 255, atol=1e-7)


# --- BrainIO stimulus sets go through the same reading -------------------------------------------------

def _brainio_set(tmp_path, members, filename="a.png"):
    (tmp_path / "s.csv").write_text(f"stimulus_id,filename\na,{filename}\n")
    (tmp_path / "s.zip").write_bytes(members if isinstance(members, bytes) else bytes(_zip(members)))
    return tmp_path / "s.csv", tmp_path / "s.zip"


def test_brainio_16_bit_png_is_scaled_by_65535(tmp_path, bad_input):
    bad_input("BrainIO stimulus ZIP with a 16-bit PNG")
    csv, archive = _brainio_set(tmp_path, {"a.png": png_bytes(np.full((4, 4), 32768, np.uint16))})
    assert read_stimulus_set(csv, archive).values.mean() == pytest.approx(32768 / 65535, abs=1e-7)


def test_brainio_file_name_shared_by_two_members_is_refused(tmp_path, bad_input):
    bad_input("BrainIO ZIP with a.png in two folders")
    csv, archive = _brainio_set(tmp_path, {"x/a.png": IMAGE, "y/a.png": png_bytes(np.zeros((4, 4), np.uint8))})
    with pytest.raises(DataError, match=r"two files named a.png \(x/a.png, y/a.png\)"):
        read_stimulus_set(csv, archive)                 # the last one was silently taken


def test_brainio_lying_member_is_refused(tmp_path, bad_input):
    bad_input("BrainIO ZIP member declaring 10 bytes fewer than it holds")
    forged = _lie_about(_zip({"a.png": IMAGE}), size=len(IMAGE) - 10, crc=zlib.crc32(IMAGE[:-10]))
    csv, archive = _brainio_set(tmp_path, forged)
    with pytest.raises(DataError, match="member a.png: holds more than"):
        read_stimulus_set(csv, archive)


# --- the CLI: one line, exit 2 -------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["30000² PNG header", "FIFO"])
def test_cli_refuses_with_one_line_and_exit_2(tmp_path, case, bad_input):
    bad_input(f"mousescore score --stimuli with a {case}")
    folder = _folder_with_one_good_image(tmp_path)
    if case == "FIFO":
        os.mkfifo(folder / "b.png")
    else:
        (folder / "b.png").write_bytes(png_with_header(30000, 30000))
    np.savetxt(tmp_path / "rdm.csv", np.array([[0, 1], [1, 0]]), delimiter=",")
    result = subprocess.run([sys.executable, "-m", "mousescore.cli", "score", "alexnet-random", "--rdm",
                             str(tmp_path / "rdm.csv"), "--stimuli", str(folder)], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "MOUSESCORE_HOME": str(tmp_path / "home")})
    errors = [line for line in result.stderr.splitlines() if not line.startswith("[mousescore]")]
    assert result.returncode == 2 and len(errors) == 1, result.stderr     # exit 1 internal error / a hang
    assert errors[0].startswith("error: ") and "b.png" in errors[0]
    assert ("FIFO" if case == "FIFO" else "900 megapixels") in errors[0]


# --- races: a file changed between its check and its reading --------------------------------------------

@pytest.mark.parametrize("change, expected", [
    ("grows", r"changed while being read \(\d+ bytes listed, \d+ read\)"),
    ("becomes a FIFO", "replaced by something that is not a file"),
    ("becomes a symlink to /dev/zero", "changed since it was checked, cannot be read"),
])
def test_file_changed_after_its_check_is_refused(tmp_path, monkeypatch, change, expected, fault):
    fault(f"b.png {change} between the folder's check and its reading")
    folder = _folder_with_one_good_image(tmp_path)
    Image.new("L", (4, 4), 255).save(folder / "b.png")
    budget_check = image_module.check_image_bytes

    def swap_after_check(total, path):          # runs once every file is checked, before any is read
        budget_check(total, path)
        target = folder / "b.png"
        if change == "grows":
            with open(target, "ab") as handle:
                handle.write(b"\0" * 100)
        else:
            target.unlink()
            os.mkfifo(target) if change == "becomes a FIFO" else os.symlink("/dev/zero", target)
    monkeypatch.setattr(image_module, "check_image_bytes", swap_after_check)
    with no_hang(), pytest.raises(DataError, match=f"b.png: {expected}"):
        load_images(folder)
