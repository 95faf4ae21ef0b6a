"""On-disk cache of a model's reduced features for a stimulus set, reused across benchmarks and runs.

The key is everything the features depend on: the model's identifier and the plugin (name and
version) that registers it; its weights (the state dict actually built); its structure (every module's
type and constructor arguments, as its repr shows them) and the code of every module class it uses
(so a changed ``forward`` of a plugin's module is extracted again even at the same version); its
provenance and preprocessing; the stimuli's content (:func:`mousescore.data.identity.stimuli_digest`:
ids in order and pixels, never a folder's name); the torch and mousescore versions.

Each reduction is stored on its own, so a new metric on the same stimuli extracts only what is
missing. An entry's index lists each file's sha256 and carries its own: every read is checked, and a
truncated, altered or wrong-shaped file is dropped with a warning and extracted again. Entries are
written atomically; the least recently used go when the cache outgrows ``MOUSESCORE_FEATURE_CACHE_GB``
(default 10); ``MOUSESCORE_FEATURE_CACHE=0`` turns it off.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

from .. import config
from ..code_identity import code_identity
from ..data.files import sha256_of
from ..data.identity import stimuli_digest
from .extract import LayerFeatures

logger = logging.getLogger("mousescore")


# sha256 over the buffers themselves (no copies): about 2x blake2b's speed here (1.8 GB/s, SHA extensions).
def weights_digest(module) -> str:
    import torch
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def _code_digest(code, digest) -> None:
    """A function's compiled code, with that of the functions and lambdas defined inside it."""
    digest.update(code.co_code + repr(code.co_names).encode())
    for constant in code.co_consts:
        if inspect.iscode(constant):
            _code_digest(constant, digest)
        elif isinstance(constant, frozenset):   # `x in {"a", "b"}`: its repr order follows the hash seed
            digest.update(repr(sorted(map(repr, constant))).encode())
        else:
            digest.update(repr(constant).encode())


def structure_digest(module) -> str:
    """What a module computes beyond its weights: its repr (every submodule's type and constructor
    arguments: a stride, an activation) and the code of every method of every module class in it
    (a ``forward`` that calls ``torch.relu`` where it called ``torch.sigmoid``). torch's own classes
    count by the torch version in the cache key."""
    import torch
    digest = hashlib.sha256(repr(module).encode())
    classes = {type(m) for m in module.modules()}
    for cls in sorted(classes, key=lambda c: f"{c.__module__}.{c.__qualname__}"):
        digest.update(f"{cls.__module__}.{cls.__qualname__}".encode())
        if cls.__module__.split(".")[0] == "torch":
            continue
        for klass in cls.__mro__:
            if klass in (torch.nn.Module, object):
                break
            for name, member in sorted(vars(klass).items()):
                function = getattr(member, "__func__", member)
                if inspect.isfunction(function):
                    digest.update(name.encode())
                    _code_digest(function.__code__, digest)
    return digest.hexdigest()


def model_digest(module) -> str:
    """An unregistered module's identity: its weights and its structure."""
    return hashlib.sha256((weights_digest(module) + structure_digest(module)).encode()).hexdigest()


def callable_digest(function) -> Optional[str]:
    """A preprocessing function's name and compiled code (an edited function gets a new key)."""
    if function is None:
        return None
    code = getattr(function, "__code__", None)
    text = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', repr(type(function)))}"
    if code is None:
        return text
    digest = hashlib.sha256()
    _code_digest(code, digest)
    return text + ":" + digest.hexdigest()[:16]


def cache_key(model_id: str, loaded, stimuli, plugin: Optional[str] = None) -> str:
    """``plugin``: the name and version of the plugin that registers the model (None: unregistered)."""
    import torch
    identity = {"model": model_id, "plugin": plugin, "weights": weights_digest(loaded.module),
                "structure": structure_digest(loaded.module),
                "provenance": loaded.provenance, "input_size": loaded.input_size,
                "mean": list(loaded.mean), "std": list(loaded.std),
                "layers": list(loaded.layers) if loaded.layers is not None else None,
                "preprocess": callable_digest(loaded.preprocess),
                "stimuli": stimuli_digest(stimuli), "torch": torch.__version__, "mousescore": code_identity()}
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def function_cache_key(model_id: str, function, stimuli, plugin: Optional[str] = None) -> str:
    """The key of a feature function whose computation is named by its ``digest`` (a network file's
    sha256 and input format)."""
    identity = {"model": model_id, "plugin": plugin, "function": function.digest,
                "layers": list(function.layers) if function.layers is not None else None,
                "stimuli": stimuli_digest(stimuli), "mousescore": code_identity()}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _file_name(reduction: Tuple) -> str:
    return hashlib.sha256(repr(tuple(reduction)).encode()).hexdigest()[:16] + ".npz"


class DamagedEntry(Exception):
    """A cache file that fails its checks: dropped and computed again."""


class FeatureCache:
    def __init__(self, root: Optional[Path] = None, max_bytes: Optional[int] = None):
        self.root = Path(root) if root else config.home() / "features"
        self.max_bytes = max_bytes if max_bytes is not None else int(
            config.settings().feature_cache_gb * 2 ** 30)

    def load(self, key: str, reductions: Iterable[Tuple]) -> Tuple[Optional[LayerFeatures], List[Tuple]]:
        """The cached features with the reductions found, and the reductions still missing. Every file
        read is checked against the index's sha256 and its arrays against the entry's shape; a damaged
        file is removed (with a warning) and its reduction counted as missing."""
        entry = self.root / key
        reductions = sorted(set(reductions), key=repr)
        if not (entry / "index.json").exists():
            return None, reductions
        try:
            index = _read_index(entry)
        except DamagedEntry as damage:
            _drop(entry, f"feature cache entry {entry}: {damage}")
            return None, reductions
        features = LayerFeatures(stimulus_ids=np.array(index["stimulus_ids"], dtype=object),
                                 layers=list(index["layers"]), nonfinite=set(index["nonfinite"]),
                                 reduced={layer: {} for layer in index["layers"]})
        missing = []
        for reduction in reductions:
            name = _file_name(reduction)
            if name not in index["files"]:
                missing.append(reduction)
                continue
            try:
                arrays = _read_arrays(entry / name, index["files"][name], len(features.stimulus_ids))
            except DamagedEntry as damage:
                _drop(entry / name, f"feature cache file {entry / name}: {damage}")
                missing.append(reduction)
                continue
            for position, layer in enumerate(features.layers):
                if f"l{position}" in arrays:
                    features.reduced[layer][reduction] = arrays[f"l{position}"]
        os.utime(entry / "index.json")   # least recently used goes first
        return features, missing

    def save(self, key: str, features: LayerFeatures, reductions: Iterable[Tuple]) -> None:
        entry = self.root / key
        entry.mkdir(parents=True, exist_ok=True)
        try:
            listed = _read_index(entry)["files"] if (entry / "index.json").exists() else {}
        except DamagedEntry:
            listed = {}
        for reduction in reductions:
            arrays = {f"l{position}": features.reduced[layer][reduction]
                      for position, layer in enumerate(features.layers) if reduction in features.reduced[layer]}
            name = _file_name(reduction)
            _atomic(entry / name, lambda file: np.savez(file, **arrays))  # type: ignore[arg-type]  # numpy's stub
            listed[name] = sha256_of(entry / name)
        files = {name: sha for name, sha in listed.items() if (entry / name).exists()}
        content = {"layers": features.layers, "nonfinite": sorted(features.nonfinite),
                   "stimulus_ids": [str(s) for s in features.stimulus_ids], "files": files}
        index = {"sha256": _content_sha(content), "content": content}
        _atomic(entry / "index.json", lambda file: file.write(json.dumps(index).encode()))
        self._evict(keep=entry)

    def _evict(self, keep: Path) -> None:
        entries = [e for e in self.root.iterdir() if e.is_dir() and (e / "index.json").exists()]
        sizes = {e: sum(f.stat().st_size for f in e.iterdir()) for e in entries}
        total = sum(sizes.values())
        for entry in sorted(entries, key=lambda e: (e / "index.json").stat().st_mtime):
            if total <= self.max_bytes:
                break
            if entry != keep:
                shutil.rmtree(entry, ignore_errors=True)
                total -= sizes[entry]


def _content_sha(content: Dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _read_index(entry: Path) -> Dict:
    try:
        index = json.loads((entry / "index.json").read_text())
        content = index["content"]
        if _content_sha(content) != index["sha256"]:
            raise DamagedEntry("its index fails its sha256")
        layers, files = content["layers"], content["files"]
        if not (isinstance(layers, list) and isinstance(files, dict)
                and len(set(map(str, layers))) == len(layers) and isinstance(content["stimulus_ids"], list)):
            raise DamagedEntry("its index is malformed")
        return content
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise DamagedEntry(f"unreadable index ({type(error).__name__}: {error})") from error


def _read_arrays(path: Path, sha256: str, n_stimuli: int) -> Dict[str, np.ndarray]:
    """A reduction file's arrays, after its sha256 and each array's shape (one row per stimulus,
    floats) are checked."""
    try:
        if sha256_of(path) != sha256:
            raise DamagedEntry("its sha256 differs from the one recorded when it was written")
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise DamagedEntry(f"unreadable ({type(error).__name__}: {error})") from error
    for name, array in arrays.items():
        if array.ndim != 2 or array.shape[0] != n_stimuli or array.dtype.kind != "f":
            raise DamagedEntry(f"array {name} has shape {array.shape} and dtype {array.dtype}, not "
                               f"{n_stimuli} rows of floats")
    return arrays


def _drop(path: Path, reason: str) -> None:
    logger.warning("%s; removed it, the features are extracted again", reason)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def merge(cached: LayerFeatures, fresh: LayerFeatures) -> LayerFeatures:
    """Cached reductions plus freshly extracted ones of the same layers."""
    for layer in fresh.layers:
        cached.reduced[layer].update(fresh.reduced[layer])
    cached.nonfinite |= fresh.nonfinite
    cached.seconds = fresh.seconds
    return cached


def _atomic(path: Path, write) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
