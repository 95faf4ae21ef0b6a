"""Six trained 8-bit TensorFlow Lite networks from Google Coral's test data (google-coral/test_data,
Apache-2.0): one MobileNetV2 backbone trained for different tasks (ImageNet classification, twice;
iNaturalist birds; DeepLabV3 segmentation of PASCAL VOC, at two widths) and a small MobileNetV1-0.25
ImageNet classifier. ``networks.csv`` holds each one's file, sha256, task, training data and input.

They run in ``ai-edge-litert``'s interpreter (``pip install 'mousescore[tflite]'``) through
:func:`mousescore.load_model_file`: every operation's output is a layer, dequantized; the factory
returns a :class:`~mousescore.extraction.functions.FeatureFunction`. Their random-init twin (the same
backbone untrained) is named in the ``twin`` metadata: ``mobilenet_v2-random`` for the MobileNetV2
networks (the dm 0.5 DeepLab's backbone is half as wide); MobileNetV1-0.25 has none registered.

Listing reads neither the files nor the table's digests: :mod:`.build` imports no torch and no
TFLite runtime at the top.
"""
from functools import partial

from mousescore import ModelSpec, hookimpl

from . import build


@hookimpl
def mousescore_models():
    specs = []
    for row in build.networks().values():
        metadata = {"family": "coral", "source": f"{build.UPSTREAM} ({row['file']}, Apache-2.0)", "trained": True,
                    "task": row["task"], "training": f"{row['task']}, {row['training_data']}",
                    "training_data": row["training_data"], "framework": "tflite",
                    "quantization": row["quantization"], "architecture": row["architecture"],
                    "architecture_class": "convolutional", "input_size": row["input_size"],
                    "parameters": row["parameters"], "twin": row["twin"], "description": row["description"]}
        specs.append(ModelSpec(row["identifier"], partial(build.build, row["identifier"]), metadata,
                               weights=partial(build.locate, row["identifier"])))
    return specs
