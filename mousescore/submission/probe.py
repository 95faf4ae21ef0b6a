"""The child side of ``submission check``: load the plugin, run its models, report what was seen.

Run as ``python -m mousescore.submission.probe`` by :mod:`mousescore.submission.isolation`, inside the
throw-away environment the plugin is installed in. It judges nothing: it returns RAW observations
(what is installed, what the registry says, each model's metadata, layer names, reduced features as
arrays, weight digests, errors as ``Type: message``) and the parent process computes every verdict.

The request (one JSON line on stdin: a per-run random token, the file descriptor of the answer
pipe, the declared entry points) is read before any plugin code is imported. The answer goes to that
pipe framed by the token, and the process ends with ``os._exit`` right after, so that no ``atexit``
handler of the plugin runs once the answer is written. Output the plugin prints goes to stdout and is
never taken for the answer.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
from importlib.metadata import entry_points
from typing import Any, Dict, List, Mapping

import numpy as np

PROBE_IMAGES = 6   # as many as the conformance kit's probe stimuli


def main() -> None:
    request = json.loads(sys.stdin.readline())
    channel = os.fdopen(request["fd"], "wb")   # opened before any plugin code runs
    token = request["token"].encode()
    answer = json.dumps(observe(request["declared"])).encode()
    channel.write(token + b"\n" + answer + b"\n" + token + b"\n")
    channel.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)   # skips the plugin's atexit handlers: nothing it does after this can reach the parent


def observe(declared: Mapping[str, str]) -> dict:
    from mousescore.registry.plugins import ENTRY_POINT_GROUP, Registry
    installed = [{"name": ep.name, "value": ep.value, "distribution": ep.dist.name if ep.dist else ""}
                 for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name in declared]
    observed: Dict[str, Any] = {"entry_points": installed, "models": {}, "other_identifiers": {}, "problems": {}}
    try:
        registry = Registry()
        registry.identifiers("model")   # runs every model hook: a failing one lands in registry.problems
    except BaseException as error:   # noqa: B036 - a plugin's sys.exit is its failure, not the probe's end
        if isinstance(error, KeyboardInterrupt):
            raise
        observed["registry_error"] = describe(error)
        return observed
    listed = specs_by_plugin(registry)   # may add problems
    observed["problems"] = {name: str(problem) for name, problem in registry.problems.items()}
    for plugin, specs in listed.items():
        if plugin in declared:
            observed["models"][plugin] = [observe_model(spec) for spec in specs]
        else:
            observed["other_identifiers"][plugin] = [str(getattr(spec, "identifier", spec)) for spec in specs]
    return observed


def specs_by_plugin(registry) -> Dict[str, list]:
    """Each healthy plugin's model specs as its hook returns them, repeats kept (the registry keeps one
    spec per identifier, which would hide a clash)."""
    found = {}
    for impl in registry.pm.hook.mousescore_models.get_hookimpls():
        if impl.plugin_name in registry.problems:
            continue
        try:
            found[impl.plugin_name] = list(impl.function() or [])
        except BaseException as error:   # noqa: B036
            registry.problems[impl.plugin_name] = f"failed to list its models ({describe(error)})"
    return found


def observe_model(spec) -> dict:
    """What one spec is and does; every stage that raises is recorded as that stage's error."""
    from mousescore.registry.specs import ModelSpec
    seen: Dict[str, Any] = {"identifier": str(getattr(spec, "identifier", repr(spec))),
                            "is_model_spec": isinstance(spec, ModelSpec)}
    if not seen["is_model_spec"]:
        return seen
    seen["metadata"] = {str(key): json_safe(value) for key, value in dict(spec.metadata).items()}
    try:
        loaded = spec.factory()
        seen["built"] = describe_loaded(loaded)
        if not seen["built"]["is_loaded_model"]:
            return seen
        seen["runs"] = [run_on_probe_images(loaded) for _ in range(2)]
        seen["weights"] = weight_digests(loaded)
        if not spec.metadata.get("trained"):
            seen["rebuilt_weights"] = weight_digests(spec.factory())
    except BaseException as error:   # noqa: B036 - SystemExit in a factory is the model's failure
        if isinstance(error, KeyboardInterrupt):
            raise
        seen["error"] = describe(error)
    return seen


def describe_loaded(loaded) -> dict:
    from mousescore.registry.specs import LoadedModel
    if not isinstance(loaded, LoadedModel):
        return {"is_loaded_model": False, "type": type(loaded).__name__}
    provenance = dict(loaded.provenance or {})
    return {"is_loaded_model": True, "training": bool(loaded.module.training),
            "input_size": json_safe(loaded.input_size),
            "provenance": {str(key): json_safe(value) for key, value in provenance.items()}}


def run_on_probe_images(loaded) -> dict:
    """Layer names and each layer's reduced features on the conformance kit's probe images."""
    from mousescore.extraction.extract import extract
    from mousescore.testing import _PROBE, probe_stimuli
    features = extract(loaded, probe_stimuli(PROBE_IMAGES), {_PROBE}, progress=False)
    return {"layers": [str(layer) for layer in features.layers],
            "nonfinite": sorted(str(layer) for layer in features.nonfinite),
            "features": {str(layer): encode_array(features.reduced[layer][_PROBE]) for layer in features.layers
                         if _PROBE in features.reduced.get(layer, {})}}   # a non-finite layer has none


def weight_digests(loaded) -> List[List[str]]:
    """[name, sha256 of the tensor's bytes] of every entry of the state dict, in order."""
    return [[str(name), hashlib.sha256(np.ascontiguousarray(tensor.detach().cpu().numpy()).tobytes()).hexdigest()]
            for name, tensor in loaded.module.state_dict().items()]


def encode_array(array) -> str:
    """An array as base64 ``.npy`` bytes: the parent reads it with ``allow_pickle=False``."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def json_safe(value):
    """The value itself where JSON carries it unchanged, else its repr (a metadata value the parent
    only compares or shows)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return {"repr": repr(value)[:200]}


def describe(error: BaseException) -> str:
    message = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


if __name__ == "__main__":
    main()
