"""Where mousescore keeps its cache and finds local mirrors."""
import os
from pathlib import Path
from typing import List


def home() -> Path:
    """``MOUSESCORE_HOME``, else ``$XDG_CACHE_HOME/mousescore`` (default ``~/.cache/mousescore``)."""
    if os.environ.get("MOUSESCORE_HOME"):
        return Path(os.environ["MOUSESCORE_HOME"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "mousescore"


def mirror_dirs(variable: str) -> List[Path]:
    """Directories listed in an environment variable, separated like PATH."""
    return [Path(p).expanduser() for p in os.environ.get(variable, "").split(os.pathsep) if p]
