"""Build a Taskonomy task encoder (visualpriors' ``TaskonomyEncoder``), trained or seeded random init.

Architecture. visualpriors 0.3.5's ``TaskonomyEncoder``: a ResNet-50 variant (Bottleneck blocks
3-4-6-3, TF-style explicit padding before the 7x7 stem, ceil-mode max-pool, stride 2 in the *last*
block of layer1/layer2 with a max-pool shortcut, no stride in layer3/layer4) followed by a 3x3
convolution compressing 2048 -> 8 channels, batch norm, ReLU and an affine-free GroupNorm(8, 8)
(``normalize_outputs=True``, as visualpriors builds its encoders). 23,655,504 parameters; a 256 x 256
image gives an 8 x 16 x 16 representation.

Input. visualpriors expects (N, 3, 256, 256) images with values in [-1, 1]: images in [0, 1] are
normalised with mean 0.5 and std 0.5 per channel.

Weights and checksum policy. The URL is visualpriors' ``TASKONOMY_PRETRAINED_WEIGHT_URL_TEMPLATE``
filled with its file name, e.g. ``autoencoding_encoder-e35146c0...6307.pth``. The 64 hex digits after
'-' follow torch.hub's convention (``torch.hub.HASH_REGEX``, checked with ``check_hash=True``: the sha256
of the file starts with them), and 64 hex digits are a whole sha256, so the file must hash to exactly
that. visualpriors itself downloads with ``check_hash=False``; here the bytes are verified before they
are read (:func:`mousescore.models.weights.resolve_weights`: cache, ``MOUSESCORE_WEIGHTS_PATH``, torch hub's
``checkpoints`` folder — where visualpriors puts its downloads — then the URL), so a file that does not
hash to its name is refused (``ChecksumMismatch``), never loaded.

Checkpoint format. visualpriors loads ``torch.load(file)['state_dict']`` into the encoder, strictly.
Here the file is read with ``weights_only=True``; a dict with a ``state_dict`` mapping is that format
(any other entries are ignored), a bare mapping of tensors is accepted as the state dict itself; either
way every key of the encoder must be present and no other key may be (strict load), else ``DataError``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional

from mousescore import (
    DataError,
    LoadedModel,
    load_state_dict,
    locate_weights,
    resolve_weights,
    seeded,
    torch_hub_checkpoints,
    weights_provenance,
)

from .tasks import BY_KEY, VISUALPRIORS_VERSION

INPUT_SIZE = 256
MEAN = (0.5, 0.5, 0.5)   # [0, 1] -> [-1, 1], the range visualpriors' encoders expect
STD = (0.5, 0.5, 0.5)
PARAMETERS = 23_655_504


def create_module():
    """visualpriors' TaskonomyEncoder as its own loaders build it, untrained, in eval mode."""
    try:
        from visualpriors.taskonomy_network import TaskonomyEncoder
    except ImportError as error:
        raise DataError("the Taskonomy encoders need the package visualpriors==0.3.5 "
                        "(`pip install visualpriors==0.3.5`)") from error
    return TaskonomyEncoder(normalize_outputs=True, eval_only=True)


def encoder_state_dict(checkpoint: Any, path: Path) -> Mapping[str, Any]:
    """The encoder's state dict from a loaded checkpoint in visualpriors' format ({'state_dict': ...})."""
    if isinstance(checkpoint, Mapping) and isinstance(checkpoint.get("state_dict"), Mapping):
        return checkpoint["state_dict"]
    if isinstance(checkpoint, Mapping) and checkpoint and all(hasattr(v, "shape") for v in checkpoint.values()):
        return checkpoint
    raise DataError(f"{path} is not a Taskonomy encoder checkpoint: expected a dict with a 'state_dict' "
                    f"entry (visualpriors' format), found {type(checkpoint).__name__}"
                    f"{' with keys ' + str(sorted(checkpoint)[:8]) if isinstance(checkpoint, Mapping) else ''}")


def load_encoder_weights(module, path: Path) -> None:
    """Load the file into ``module``: every key covered, no key left over, every shape matching."""
    state_dict = encoder_state_dict(load_state_dict(path), path)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = sorted(key for key in set(expected) & set(state_dict)
                        if tuple(getattr(state_dict[key], "shape", ())) != tuple(expected[key].shape))
    if missing or unexpected or mismatched:
        raise DataError(f"{path} does not hold Taskonomy encoder weights: missing {missing[:8]} "
                        f"({len(missing)}), unexpected {unexpected[:8]} ({len(unexpected)}), "
                        f"shape mismatches {mismatched[:8]} ({len(mismatched)})")
    try:
        module.load_state_dict(state_dict, strict=True)
    except (RuntimeError, TypeError) as error:
        raise DataError(f"{path} does not hold Taskonomy encoder weights: {error}") from error


def weights_file(task: str) -> Path:
    """The verified weights file of ``task``'s encoder (offline first; see the module docstring)."""
    spec = BY_KEY[task]
    return resolve_weights(spec.url, spec.sha256, library_dirs=[torch_hub_checkpoints()])


def locate(task: str) -> Optional[Path]:
    """Where :func:`weights_file` would find the file offline now, or None; imports no torch, reads nothing."""
    return locate_weights(BY_KEY[task].url, [torch_hub_checkpoints()])


def build(task: str, trained: bool, seed: int = 0) -> LoadedModel:
    spec = BY_KEY[task]
    if trained:
        path = weights_file(task)
        module = create_module()
        load_encoder_weights(module, path)
        provenance = {"weights": f"Taskonomy {spec.key} encoder (visualpriors {VISUALPRIORS_VERSION}, "
                                 f"{spec.url})", **weights_provenance(path)}
    else:
        # The same network for every task: the architecture does not depend on the task.
        with seeded(seed):
            module = create_module()
        provenance = {"weights": "random init (PyTorch default, visualpriors TaskonomyEncoder)", "seed": seed}
    provenance["architecture"] = f"visualpriors {VISUALPRIORS_VERSION} TaskonomyEncoder(normalize_outputs=True)"
    return LoadedModel(module=module.eval(), input_size=INPUT_SIZE, mean=MEAN, std=STD, provenance=provenance)
