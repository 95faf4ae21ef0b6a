"""The Coral TFLite networks (mousescore_coral): six trained 8-bit networks from google-coral/test_data,
built offline from the data mirror's ``coral_tflite/``, checked by sha256, and doing their tasks on the
Kriegeskorte et al. (2008) images: the ImageNet classifiers name the objects, DeepLab finds a person."""
import re
import subprocess
import sys

import numpy as np
import pytest
from imagenet_objects import MIN_TRAINED_HITS, RECOGNISABLE

from mousescore import ChecksumMismatch, get_registry, sha256_of
from mousescore.testing import check_model_metadata

pytest.importorskip("ai_edge_litert")

import mousescore_coral as plugin  # noqa: E402
from mousescore_coral import build  # noqa: E402

IDENTIFIERS = ("mobilenet_v2_quant_imagenet", "mobilenet_v2_quant_tf2_imagenet", "mobilenet_v2_quant_inat_birds",
               "deeplabv3_mobilenet_v2_pascal_seg", "deeplabv3_mobilenet_v2_dm05_pascal_seg",
               "mobilenet_v1_025_quant_imagenet")
IMAGENET = ("mobilenet_v2_quant_imagenet", "mobilenet_v2_quant_tf2_imagenet", "mobilenet_v1_025_quant_imagenet")
DEEPLAB = ("deeplabv3_mobilenet_v2_pascal_seg", "deeplabv3_mobilenet_v2_dm05_pascal_seg")
# MobileNetV1 at width 0.25 on 128 px (about 40% top-1 on ImageNet when published) names 10 of the 17
# (measured), the MobileNetV2s 16 (all but the pineapple, as EfficientNet-Lite0): its own bound, far
# above what a random network gets (imagenet_objects.MAX_RANDOM_HITS = 2).
MIN_HITS = {"mobilenet_v2_quant_imagenet": MIN_TRAINED_HITS, "mobilenet_v2_quant_tf2_imagenet": MIN_TRAINED_HITS,
            "mobilenet_v1_025_quant_imagenet": 8}
# Kriegeskorte image 4 (0-based 3): a whole standing person, a chef seen from behind, on grey.
PERSON_IMAGE = "kriegeskorte2008_04"


@pytest.fixture(scope="module")
def mirror(real_data):
    return real_data / build.DATA_FOLDER


@pytest.fixture(scope="module")
def specs():
    return {spec.identifier: spec for spec in plugin.mousescore_models()}


@pytest.fixture(scope="module")
def stimuli(kriegeskorte_stimuli):
    return kriegeskorte_stimuli


def _labels(mirror, name):
    return (mirror / name).read_text().splitlines()


def test_the_six_are_registered_with_their_metadata(specs):
    assert set(specs) == set(IDENTIFIERS)
    registry = get_registry()
    table = build.networks()
    for identifier, spec in specs.items():
        assert registry.owner("model", identifier) == "coral"
        check_model_metadata(spec)
        row, metadata = table[identifier], spec.metadata
        assert metadata["family"] == "coral" and metadata["trained"] is True and metadata["framework"] == "tflite"
        assert metadata["source"].startswith("google-coral/test_data@104342d")
        for key in ("task", "training_data", "architecture", "input_size", "quantization", "twin", "description"):
            assert metadata[key] == row[key], (identifier, key)
        assert metadata["quantization"].startswith("uint8") and metadata["parameters"] > 0
        expected_twin = None if identifier.startswith("mobilenet_v1") else "mobilenet_v2-random"
        assert metadata["twin"] == expected_twin
        if expected_twin:
            assert registry.get("model", expected_twin).metadata["trained"] is False
        assert build.url(identifier) == ("https://raw.githubusercontent.com/google-coral/test_data/"
                                         f"104342d2d3480b3e66203073dac24f4e2dbb4c41/{row['file']}")
    assert {identifier for identifier in IDENTIFIERS if specs[identifier].metadata["task"] == "classification"} \
        == set(IMAGENET)
    assert {specs[i].metadata["input_size"] for i in DEEPLAB} == {513}


def test_listing_reads_no_file_and_imports_neither_torch_nor_the_tflite_runtime():
    code = ("import sys, mousescore_coral as p; specs = p.mousescore_models(); "
            "print(len(specs), all(s.available() for s in specs), 'torch' in sys.modules, "
            "any(m.startswith('ai_edge_litert') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "6 True False False"


def _provenance_sha256s(real_data):
    """file -> sha256 from the coral_tflite/ table of the data mirror's PROVENANCE.md."""
    text = (real_data / "PROVENANCE.md").read_text()
    section = text.split("## coral_tflite/", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"\|\s*`([^`]+\.tflite)`\s*\|.*\|\s*([0-9a-f]{64})\s*\|", section))


@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_each_builds_offline_from_the_mirror_with_its_recorded_sha256(identifier, specs, mirror, real_data):
    row = build.networks()[identifier]
    assert _provenance_sha256s(real_data)[row["file"]] == row["sha256"]
    assert specs[identifier].weights() == mirror / row["file"]
    built = specs[identifier].factory()
    assert built.provenance["weights_sha256"] == row["sha256"] == sha256_of(mirror / row["file"])
    assert built.provenance["input"]["size"] == [row["input_size"]] * 2
    assert row["file"] in built.provenance["weights"] and "104342d" in built.provenance["weights"]


def test_a_corrupt_mirror_copy_is_refused(specs, tmp_path, monkeypatch, mirror):
    identifier = "mobilenet_v1_025_quant_imagenet"
    row = build.networks()[identifier]
    corrupt = bytearray((mirror / row["file"]).read_bytes())
    corrupt[len(corrupt) // 2] ^= 0xFF                                # one byte flipped
    (tmp_path / row["file"]).write_bytes(bytes(corrupt))
    monkeypatch.setenv("MOUSESCORE_WEIGHTS_PATH", str(tmp_path))
    assert specs[identifier].weights() == tmp_path / row["file"]     # looked at before the data mirror
    with pytest.raises(ChecksumMismatch, match=row["sha256"]):
        specs[identifier].factory()


def _outputs(spec, images):
    """The network's last layer (dequantized) for the images."""
    outputs = spec.factory().function(images)
    return outputs[list(outputs)[-1]]


@pytest.mark.parametrize("identifier", IMAGENET)
def test_the_imagenet_classifiers_name_the_kriegeskorte_objects(identifier, specs, stimuli, mirror):
    labels = _labels(mirror, "imagenet_labels.txt")
    assert len(labels) == 1001 and labels[0] == "background"     # index k is ImageNet-1k's k - 1
    for names, indices in RECOGNISABLE.values():
        assert all(any(name in labels[index + 1] for name in names) for index in indices), names
    ids = [f"kriegeskorte2008_{i + 1:02d}" for i in RECOGNISABLE]
    images = stimuli.sel(presentation=stimuli["stimulus_id"].isin(ids))
    assert list(images["stimulus_id"].values) == ids
    scores = _outputs(specs[identifier], images.values)
    assert scores.shape == (len(ids), 1001)
    top5 = np.argsort(-scores, axis=1, kind="stable")[:, :5] - 1
    hits = {i: bool(set(top) & set(RECOGNISABLE[i][1])) for i, top in zip(RECOGNISABLE, top5)}
    print(f"{identifier}: {sum(hits.values())} of {len(hits)} in the top 5; missed "
          f"{[RECOGNISABLE[i][0][0] for i, hit in hits.items() if not hit]}")
    assert sum(hits.values()) >= MIN_HITS[identifier]


@pytest.mark.parametrize("identifier", DEEPLAB)
def test_deeplab_labels_the_person(identifier, specs, stimuli, mirror):
    labels = _labels(mirror, "pascal_voc_segmentation_labels.txt")
    person = labels.index("person")
    assert person == 15 and labels[0] == "background"
    image = stimuli.sel(presentation=stimuli["stimulus_id"] == PERSON_IMAGE).values
    assert image.shape[0] == 1
    logits = _outputs(specs[identifier], image).reshape(33, 33, 21)   # the last layer scored: class logits
    classes = logits.argmax(axis=2)                                    # on a 33 x 33 grid over the 513 px
    # the middle half of the height and quarter of the width: the chef's back, from shoulders to knees
    centre = classes[8:25, 12:21]
    counts = np.bincount(centre.astype(int).ravel(), minlength=21) / centre.size
    print(f"{identifier} on {PERSON_IMAGE}: person {counts[person]:.3f} of the central region, "
          f"{(classes == person).mean():.3f} of the image")
    assert counts.argmax() == person and counts[person] > 0.9
    assert (classes == person).mean() > 0.15                          # the body, not a stray patch
