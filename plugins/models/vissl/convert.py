"""Turn a VISSL model-zoo checkpoint into a torchvision ResNet-50 or timm ViT state dict (no torch here).

Where the trunk is in the file (``layout``):

- ``vissl``: a VISSL training checkpoint, ``{"classy_state_dict": {"base_model": {"model": {"trunk": T,
  "heads": H}}}, ...}``; older converted files hold ``{"model_state_dict": T}`` or ``T`` itself. ``T`` is
  the trunk: for ResNe(X)ts every key starts with ``_feature_blocks.`` (``_feature_blocks.conv1.weight``,
  ``_feature_blocks.layer1.0.conv1.weight`` ...), for ViTs the keys are the trunk's own
  (``cls_token``/``class_token``, ``pos_embed``/``pos_embedding``, ``patch_embed.proj.weight``,
  ``blocks.N.*``, ``norm.*``). The heads (projection MLPs, prototypes, the DINO head) are not used.
- ``swav``: the SwAV release format (DeepCluster-v2, SeLa-v2): a flat dict, or ``{"state_dict": ...}``,
  with ``module.conv1.weight`` ... ``module.projection_head.*``, ``module.prototypes.weight``.
- ``mocov3``: the MoCo-v3 release format: ``{"state_dict": {"module.base_encoder.*",
  "module.momentum_encoder.*", "module.predictor.*"}}``; the base encoder is the network.

The key conversion (VISSL's own ``extra_scripts/convert_vissl_to_torchvision.py`` only removes the
``_feature_blocks.`` prefix; this does the same, for every layout, and checks the result):

1. strip any leading ``module.``, ``base_encoder.``, ``trunk.``, ``base_model.``, ``_feature_blocks.``
   (DDP, MoCo-v3, and VISSL's trunk wrappers), repeatedly;
2. rename VISSL's ViT parameters to timm's: ``class_token`` -> ``cls_token``, ``pos_embedding`` ->
   ``pos_embed``;
3. drop the training heads, whose first name component is one of :data:`DISCARDED` (``fc`` and
   ``head``: a classifier/projection the feature network does not have; ``projection_head``,
   ``prototypes``, ``predictor``, ``momentum_encoder``, ``heads``: self-supervised training parts);
4. every other key must be a parameter of the target network with the same shape, and every parameter
   of the target must be there (only BatchNorm's ``num_batches_tracked`` counters, which old converted
   files lack and which inference never reads, may be absent): otherwise :class:`ConversionError`.

No tensor is changed.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, Mapping, Tuple

from mousescore import DataError

PREFIXES = ("module.", "base_encoder.", "trunk.", "base_model.", "_feature_blocks.")
RENAMED = {"class_token": "cls_token", "pos_embedding": "pos_embed"}
DISCARDED = frozenset({"fc", "head", "heads", "projection_head", "prototypes", "predictor", "momentum_encoder"})
OPTIONAL_SUFFIX = "num_batches_tracked"
LAYOUTS = ("vissl", "swav", "mocov3")


class ConversionError(DataError):
    """The checkpoint is not the network this plugin expects: a key has no place in it, a parameter is
    missing, or a shape differs."""


def trunk_of(checkpoint: Any, layout: str) -> Mapping[str, Any]:
    """The mapping of trunk tensors inside a loaded checkpoint (see the module docstring)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown checkpoint layout {layout!r}; known: {LAYOUTS}")
    if not isinstance(checkpoint, Mapping):
        raise ConversionError(f"the checkpoint is a {type(checkpoint).__name__}, not a mapping of tensors")
    trunk: Any = checkpoint
    if "classy_state_dict" in checkpoint:
        try:
            trunk = checkpoint["classy_state_dict"]["base_model"]["model"]["trunk"]
        except (KeyError, TypeError) as error:
            raise ConversionError(f"a VISSL checkpoint without classy_state_dict.base_model.model.trunk "
                                  f"(missing {error})") from None
    elif "model_state_dict" in checkpoint:
        trunk = checkpoint["model_state_dict"]
    elif "state_dict" in checkpoint:
        trunk = checkpoint["state_dict"]
    if not isinstance(trunk, Mapping) or not trunk:
        raise ConversionError("the checkpoint holds no trunk state dict")
    not_tensors = [key for key, value in trunk.items() if not hasattr(value, "shape")]
    if not_tensors:
        raise ConversionError(f"the trunk state dict holds non-tensors: {not_tensors[:5]}")
    return trunk


def convert_key(key: str) -> str:
    """The target name of one checkpoint key, or '' for a discarded training-head key."""
    stripped = True
    while stripped:
        stripped = False
        for prefix in PREFIXES:
            if key.startswith(prefix):
                key, stripped = key[len(prefix):], True
    first, _, rest = key.partition(".")
    if first in DISCARDED:
        return ""
    return f"{RENAMED.get(first, first)}.{rest}" if rest else RENAMED.get(first, first)


def convert_state_dict(source: Mapping[str, Any],
                       target_shapes: Mapping[str, Tuple[int, ...]]) -> "OrderedDict[str, Any]":
    """Rename every key (step 1-3) and check the result against ``target_shapes`` (step 4)."""
    converted: "OrderedDict[str, Any]" = OrderedDict()
    for key, value in source.items():
        new = convert_key(key)
        if not new:
            continue
        if new in converted:
            raise ConversionError(f"{key}: maps to {new}, which another key already took")
        converted[new] = value
    check_against(converted, target_shapes)
    return converted


def check_against(converted: Mapping[str, Any], target_shapes: Mapping[str, Tuple[int, ...]]) -> None:
    missing = sorted(key for key in set(target_shapes) - set(converted)
                     if not key.endswith(OPTIONAL_SUFFIX))
    unexpected = sorted(set(converted) - set(target_shapes))
    mismatched: Dict[str, Tuple] = {
        key: (tuple(converted[key].shape), tuple(target_shapes[key]))
        for key in converted if key in target_shapes and tuple(converted[key].shape) != tuple(target_shapes[key])}
    if missing or unexpected or mismatched:
        raise ConversionError(
            f"the checkpoint's trunk does not fit the network: missing {missing[:8]} ({len(missing)}), "
            f"unexpected {unexpected[:8]} ({len(unexpected)}), shape mismatches (checkpoint, network) "
            f"{dict(list(mismatched.items())[:8])} ({len(mismatched)})")
