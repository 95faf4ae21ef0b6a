import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
_HOME = tempfile.mkdtemp(prefix="mousescore-test-home-")

# Tests read real data from the read-only mirror and never touch the user's cache or results.
os.environ.setdefault("MOUSESCORE_DATA_PATH", str(SHARED_DATA))
os.environ["MOUSESCORE_HOME"] = _HOME
os.environ.pop("MOUSESCORE_WEIGHTS_PATH", None)


def pytest_unconfigure(config):
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real-data mirror; skipped on a developer machine without it, an error in CI."""
    for directory in os.environ["MOUSESCORE_DATA_PATH"].split(os.pathsep):
        if directory and (Path(directory) / "allen_rdms").is_dir():
            return Path(directory)
    message = "real data not found: set MOUSESCORE_DATA_PATH=../shared/data"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """An empty MOUSESCORE_HOME for tests that check caching and stores."""
    home = tmp_path / "home"
    monkeypatch.setenv("MOUSESCORE_HOME", str(home))
    return home
