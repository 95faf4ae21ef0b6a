"""Paths of the machine that scored or built something, kept out of the public site.

A reason a model could not be scored, or a provenance field, may name a folder of the maintainer's
disk ("spills ... to /home/me/cache/tmp"): that says nothing to a reader, and tells the world how the
machine is laid out. Such a path becomes "[local path: <its last part>]" (a URL is left alone).
"""
from __future__ import annotations

import re

# An absolute POSIX path (of two parts or more, or one of the usual top folders alone), a home-relative
# one, or a Windows drive path; not inside a URL or a relative path (nothing word-like, ':' or '/' right
# before it): "/home/me/x", "~/x", "/tmp", "C:\\Users\\me\\x".
_POSIX = re.compile(r"(?<![\w:/.~-])(?:~/|/)(?:(?:[\w.@+-]+/)+([\w@+-]+(?:\.[\w@+-]+)*)|"
                    r"(tmp|home|root|work|Users|var|mnt|opt|scratch|private)\b)/?")
_WINDOWS = re.compile(r"(?<![\w])[A-Za-z]:\\(?:[^\\\s\"'<>|]+\\)*([^\\\s\"'<>|]+)\\?")


def scrub(text: str) -> str:
    """``text`` with every absolute path of a machine replaced by "[local path: <its last part>]"."""
    text = _POSIX.sub(lambda match: f"[local path: {match.group(1) or match.group(2)}]", text)
    return _WINDOWS.sub(lambda match: f"[local path: {match.group(1)}]", text)


def scrub_value(value):
    """The same for every string inside a JSON-like value (dicts, lists)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: scrub_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_value(item) for item in value]
    return value
