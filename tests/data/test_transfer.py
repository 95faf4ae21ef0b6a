"""Resumable downloads: range requests continue a partial file, size and MD5 checks catch truncated and
corrupt bytes, over a local HTTP mirror and over file:// URLs."""
import hashlib
import os

import pytest

from mousescore import ChecksumMismatch, DataError, download_resumable, remote_info
from tests.mirror_server import MirrorServer

PAYLOAD = os.urandom(300_000)


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "mirror"
    root.mkdir()
    (root / "file.bin").write_bytes(PAYLOAD)
    with MirrorServer(root) as server:
        yield server


def test_remote_info_gives_size_and_md5(mirror, tmp_path):
    info = remote_info(f"{mirror.url}/file.bin")
    assert info.size == len(PAYLOAD) and info.md5 == hashlib.md5(PAYLOAD).hexdigest()
    local = remote_info((tmp_path / "mirror" / "file.bin").as_uri())
    assert local.size == len(PAYLOAD) and local.md5 is None
    with pytest.raises(DataError, match="could not reach"):
        remote_info(f"{mirror.url}/absent.bin")


def test_a_partial_file_is_resumed_with_a_range_request(mirror, tmp_path):
    target = tmp_path / "out" / "file.bin"
    target.parent.mkdir()
    (target.parent / "file.bin.part").write_bytes(PAYLOAD[:100_000])
    info = remote_info(f"{mirror.url}/file.bin")
    fetched = download_resumable(f"{mirror.url}/file.bin", target, size=info.size, md5=info.md5)
    assert target.read_bytes() == PAYLOAD and fetched == len(PAYLOAD) - 100_000
    assert mirror.requests("GET") == [("GET", "/file.bin", "bytes=100000-")]
    assert not (target.parent / "file.bin.part").exists()
    assert download_resumable(f"{mirror.url}/file.bin", target, size=info.size) == 0   # had it: no request
    assert len(mirror.requests("GET")) == 1


def test_a_dropped_connection_resumes_where_it_broke(mirror, tmp_path):
    mirror.drop_once.add("/file.bin")
    target = tmp_path / "file.bin"
    download_resumable(f"{mirror.url}/file.bin", target, size=len(PAYLOAD))
    assert target.read_bytes() == PAYLOAD
    ranges = [entry[2] for entry in mirror.requests("GET")]
    assert ranges == [None, f"bytes={len(PAYLOAD) // 2}-"]


def test_truncated_or_corrupt_files_are_fetched_again(mirror, tmp_path):
    target = tmp_path / "file.bin"
    target.write_bytes(PAYLOAD[:5000])                      # a truncated copy under the final name
    info = remote_info(f"{mirror.url}/file.bin")
    download_resumable(f"{mirror.url}/file.bin", target, size=info.size, md5=info.md5)
    assert target.read_bytes() == PAYLOAD and mirror.requests("GET")[-1][2] is None

    target.unlink()
    mirror.corrupt_once.add("/file.bin")                    # same length, wrong bytes: MD5 catches it
    download_resumable(f"{mirror.url}/file.bin", target, size=info.size, md5=info.md5)
    assert target.read_bytes() == PAYLOAD and len(mirror.requests("GET")) == 3

    target.unlink()
    with pytest.raises(ChecksumMismatch, match="md5 .* twice"):
        download_resumable(f"{mirror.url}/file.bin", target, size=info.size, md5="0" * 32)
    assert not target.exists() and not (tmp_path / "file.bin.part").exists()


def test_file_urls_resume_too_and_a_missing_file_is_a_clear_error(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(PAYLOAD)
    target = tmp_path / "copy.bin"
    (tmp_path / "copy.bin.part").write_bytes(PAYLOAD[:777])
    assert download_resumable(source.as_uri(), target, size=len(PAYLOAD)) == len(PAYLOAD) - 777
    assert target.read_bytes() == PAYLOAD
    with pytest.raises(DataError, match="could not download .*absent.bin"):
        download_resumable((tmp_path / "absent.bin").as_uri(), tmp_path / "x.bin", size=10)
