"""Files from the internet are parsed, never executed, and never written outside their place."""
import io
import pickle
import zipfile

import numpy as np
import pytest
from PIL import Image

from mousescore.data import safe_loading as safezip
from mousescore.data.safe_loading import load_pickle
from mousescore.errors import DataError
from mousescore.models.weights import load_state_dict
from mousescore.scoring.own_data import load_images

MARKER = "/tmp/mousescore-pwned"


class Evil:
    def __reduce__(self):
        import os
        return (os.system, (f"touch {MARKER}",))


@pytest.fixture(autouse=True)
def no_marker():
    import os
    if os.path.exists(MARKER):
        os.unlink(MARKER)
    yield
    assert not os.path.exists(MARKER), "untrusted code ran"


def test_malicious_pickle_is_refused(tmp_path, bad_input):
    bad_input("pickle that calls os.system")
    path = tmp_path / "rdms.pkl"
    path.write_bytes(pickle.dumps({"VISp": {"layer23": Evil()}}))
    with pytest.raises(DataError, match="refusing to load '(posix|os).system'"):
        load_pickle(path)


def test_malicious_torch_checkpoint_is_refused(tmp_path, bad_input):
    import torch
    bad_input("torch checkpoint that calls os.system")
    path = tmp_path / "weights.pth"
    torch.save({"weight": torch.zeros(2), "payload": Evil()}, path)
    with pytest.raises(DataError, match="refusing to load this checkpoint"):
        load_state_dict(path)


def _png():
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("member", ["../../etc/evil.png", "/abs/evil.png", "ok/../../evil.png",
                                    "C:\\evil.png", "..\\..\\evil.png"])
def test_traversal_zip_is_refused(tmp_path, member, bad_input):
    bad_input(f"zip member {member}")
    path = tmp_path / "images.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("good.png", _png())
        archive.writestr(member, _png())
    with pytest.raises(DataError, match="refusing this zip archive, member names escape"):
        load_images(path)
    assert not (tmp_path.parent / "evil.png").exists()


def test_zip_bomb_is_refused_by_declared_size(tmp_path, monkeypatch, bad_input):
    bad_input("zip that unpacks to more than the limit")
    monkeypatch.setattr(safezip, "MAX_UNCOMPRESSED_BYTES", 1000)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.png", b"\0" * 100_000)
    with pytest.raises(DataError, match="would unpack to"):
        safezip.open_zip(path)


@pytest.mark.parametrize("kind", ["not a zip", "truncated zip"])
def test_corrupt_archives_are_clear_errors(tmp_path, kind, bad_input):
    bad_input(kind)
    path = tmp_path / "images.zip"
    if kind == "not a zip":
        path.write_bytes(b"<html>404</html>")
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.png", _png())
        path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(DataError, match="not a readable zip archive"):
        load_images(path)


def test_corrupt_mat_file_is_a_clear_error(tmp_path, bad_input):
    from mousescore_kriegeskorte2008.dataset import package
    bad_input("MAT file that is not the Kriegeskorte data")
    import scipy.io
    scipy.io.savemat(tmp_path / "x.mat", {"something": np.zeros(3)})
    with pytest.raises(DataError, match="not the Kriegeskorte 2008 supplemental data"):
        package({"mat": tmp_path / "x.mat"})
