import hashlib
import pickle

import numpy as np
import pytest

from mousescore.data.files import resolve
from mousescore.data.safe_loading import load_pickle
from mousescore.errors import ChecksumMismatch, DataError
from mousescore.registry.specs import RemoteFile


def _remote(tmp_path, content=b"real bytes", name="f.bin"):
    upstream = tmp_path / "upstream" / name
    upstream.parent.mkdir(parents=True, exist_ok=True)
    upstream.write_bytes(content)
    return RemoteFile(name, upstream.as_uri(), hashlib.sha256(content).hexdigest(), f"sub/{name}")


def test_download_from_url_verifies_and_caches(tmp_path):
    remote = _remote(tmp_path)
    path = resolve(remote, tmp_path / "cache", [], "MIRROR")
    assert path == tmp_path / "cache" / "f.bin" and path.read_bytes() == b"real bytes"
    (tmp_path / "upstream" / "f.bin").unlink()        # now offline: the cache serves it
    assert resolve(remote, tmp_path / "cache", [], "MIRROR") == path


def test_mirror_is_used_before_the_url(tmp_path):
    remote = _remote(tmp_path)
    mirror = tmp_path / "mirror"
    (mirror / "sub").mkdir(parents=True)
    (mirror / "sub" / "f.bin").write_bytes(b"real bytes")
    (tmp_path / "upstream" / "f.bin").unlink()
    assert resolve(remote, tmp_path / "cache", [mirror], "MIRROR") == mirror / "sub" / "f.bin"


def test_wrong_sha256_is_rejected_and_not_used(tmp_path):
    remote = _remote(tmp_path)
    mirror = tmp_path / "mirror"
    (mirror / "sub").mkdir(parents=True)
    (mirror / "sub" / "f.bin").write_bytes(b"tampered bytes")
    with pytest.raises(ChecksumMismatch, match="expected"):
        resolve(remote, tmp_path / "cache", [mirror], "MIRROR")
    bad_download = RemoteFile("g.bin", remote.url, "0" * 64, "g.bin")
    with pytest.raises(ChecksumMismatch):
        resolve(bad_download, tmp_path / "cache", [], "MIRROR")
    assert not (tmp_path / "cache" / "g.bin").exists()
    assert not list((tmp_path / "cache").glob(".*part"))   # no partial file left behind


def test_corrupt_cache_entry_is_reported_removed_and_refetched(tmp_path, caplog):
    remote = _remote(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "f.bin").write_bytes(b"corrupt")
    assert resolve(remote, cache, [], "MIRROR").read_bytes() == b"real bytes"
    assert "removed it from the cache and fetching it again" in caplog.text


def test_missing_offline_names_the_url_and_where_to_put_the_file(tmp_path):
    remote = RemoteFile("x.npy", "file:///nonexistent/x.npy", "a" * 64, "dataset/x.npy")
    with pytest.raises(DataError) as error:
        resolve(remote, tmp_path / "cache", [tmp_path], "MOUSESCORE_DATA_PATH")
    message = str(error.value)
    assert "file:///nonexistent/x.npy" in message and "MOUSESCORE_DATA_PATH" in message
    assert "dataset/x.npy" in message


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


def test_malicious_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"VISp": _Evil()}))
    with pytest.raises(DataError, match="refusing to load 'posix.system'|refusing to load 'os.system'"):
        load_pickle(path)


def test_restricted_unpickler_loads_arrays_in_dicts(tmp_path):
    path = tmp_path / "ok.pkl"
    data = {"VISp": {"layer23": np.arange(6.0).reshape(2, 3)}}
    path.write_bytes(pickle.dumps(data))
    np.testing.assert_array_equal(load_pickle(path)["VISp"]["layer23"], data["VISp"]["layer23"])


def test_sha1_digests_from_upstream_catalogs(tmp_path):
    content = b"brainio bytes"
    upstream = tmp_path / "assy.nc"
    upstream.write_bytes(content)
    good = RemoteFile("assy.nc", upstream.as_uri(), hashlib.sha1(content).hexdigest(), "assy.nc", "sha1")
    assert resolve(good, tmp_path / "cache", [], "MIRROR").read_bytes() == content
    bad = RemoteFile("other.nc", upstream.as_uri(), "0" * 40, "other.nc", "sha1")
    with pytest.raises(ChecksumMismatch, match="sha1 is"):
        resolve(bad, tmp_path / "cache", [], "MIRROR")
