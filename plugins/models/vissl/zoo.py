"""The self-supervised networks of the VISSL model zoo that this plugin registers (no torch here).

Identifiers: ``<architecture>_<method>[_<pretraining data>]``, lower case, words joined by ``_``:
``resnet50_moco_v2``, ``resnet50_rotnet_in22k``, ``vit_small_dino``. The architecture part is
``resnet50`` (torchvision's ResNet-50), ``vit_small`` (timm ``vit_small_patch16_224``) or ``vit_base``
(timm ``vit_base_patch16_224``); the pretraining data is ImageNet-1k unless a suffix says otherwise
(``_in22k``: ImageNet-22k). Each also has ``<identifier>-random``: a seeded random init of the same
architecture (all ResNet-50 ``-random`` variants are the same network, as are the ViTs of one size).

Where a method has several checkpoints in the zoo, the one registered is the zoo's longest standard
ResNet-50 run (e.g. SimCLR and SwAV 800 epochs, 4096 batch); the choice is in ``note``.

URLs are those of VISSL's MODEL_ZOO.md (facebookresearch/vissl, main branch); SeLa-v2 and DeepCluster-v2
come from the SwAV release (dl.fbaipublicfiles.com/deepcluster, also linked from VISSL's zoo).
Upstream publishes no checksum for any of them: ``sha256`` is None until a maintainer who downloaded
the file pins it (see :mod:`.build` for what happens meanwhile).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

VISSL = "https://dl.fbaipublicfiles.com/vissl/model_zoo/"
SWAV = "https://dl.fbaipublicfiles.com/deepcluster/"


@dataclass(frozen=True)
class ZooEntry:
    identifier: str
    architecture: str          # "resnet50" (torchvision) or a timm ViT name
    method: str                # the self-supervised method, as the literature names it
    url: str
    layout: str                # "vissl" (classy_state_dict ... trunk), "swav" (module.*), "mocov3"
    data: str = "ImageNet-1k"
    sha256: Optional[str] = None
    note: str = ""


RESNET50 = "resnet50"
VIT_SMALL = "vit_small_patch16_224"
VIT_BASE = "vit_base_patch16_224"

ZOO: Tuple[ZooEntry, ...] = (
    ZooEntry("resnet50_jigsaw", RESNET50, "Jigsaw", VISSL +
             "jigsaw_rn50_in1k_ep105_perm2k_jigsaw_8gpu_resnet_17_07_20.db174a43/model_final_checkpoint_phase104.torch",
             "vissl", note="105 epochs, 100 permutations"),
    ZooEntry("resnet50_jigsaw_in22k", RESNET50, "Jigsaw", VISSL +
             "converted_vissl_jigsaw_rn50_perm2k_in22k_8gpu_ep105.torch", "vissl", data="ImageNet-22k",
             note="105 epochs, 2k permutations"),
    ZooEntry("resnet50_rotnet", RESNET50, "RotNet", VISSL +
             "rotnet_rn50_in1k_ep105_rotnet_8gpu_resnet_17_07_20.46bada9f/model_final_checkpoint_phase125.torch",
             "vissl", note="105 epochs"),
    ZooEntry("resnet50_rotnet_in22k", RESNET50, "RotNet", VISSL + "converted_vissl_rn50_rotnet_in22k_ep105.torch",
             "vissl", data="ImageNet-22k", note="105 epochs"),
    ZooEntry("resnet50_clusterfit", RESNET50, "ClusterFit", VISSL +
             "converted_vissl_rn50_rotnet_16kclusters_in1k_ep105.torch", "vissl",
             note="105 epochs, 16k clusters from RotNet"),
    ZooEntry("resnet50_npid", RESNET50, "NPID", VISSL +
             "npid_1node_200ep_4kneg_npid_8gpu_resnet_23_07_20.9eb36512/model_final_checkpoint_phase199.torch",
             "vissl", note="200 epochs, 4k negatives (VISSL run)"),
    ZooEntry("resnet50_npid_pp", RESNET50, "NPID++", VISSL +
             "npid_pp/4node_800ep_32kneg_cosine_resnet_23_07_20.75432662/model_final_checkpoint_phase799.torch",
             "vissl", note="800 epochs, 32k negatives, cosine LR"),
    ZooEntry("resnet50_pirl", RESNET50, "PIRL", VISSL +
             "pirl_jigsaw_4node_pirl_jigsaw_4node_resnet_22_07_20.34377f59/model_final_checkpoint_phase799.torch",
             "vissl", note="800 epochs, linear head"),
    ZooEntry("resnet50_simclr", RESNET50, "SimCLR", VISSL +
             "simclr_rn50_800ep_simclr_8node_resnet_16_07_20.7e8feed1/model_final_checkpoint_phase799.torch",
             "vissl", note="800 epochs"),
    ZooEntry("resnet50_deepcluster_v2", RESNET50, "DeepCluster-v2", VISSL + "deepclusterv2_800ep_pretrain.pth.tar",
             "swav", note="800 epochs, 2x224+6x96 crops (SwAV release format)"),
    ZooEntry("resnet50_sela_v2", RESNET50, "SeLa-v2", SWAV + "selav2_400ep_pretrain.pth.tar", "swav",
             note="400 epochs, 2x160+4x96 crops (SwAV release format)"),
    ZooEntry("resnet50_swav", RESNET50, "SwAV", VISSL +
             "swav_in1k_rn50_800ep_swav_8node_resnet_27_07_20.a0a6b676/model_final_checkpoint_phase799.torch",
             "vissl", note="800 epochs, 2x224+6x96 crops, batch 4096"),
    ZooEntry("resnet50_moco_v2", RESNET50, "MoCo-v2", VISSL +
             "moco_v2_1node_lr.03_step_b32_zero_init/model_final_checkpoint_phase199.torch", "vissl",
             note="200 epochs, batch 256"),
    ZooEntry("resnet50_barlowtwins", RESNET50, "Barlow Twins", VISSL +
             "barlow_twins/barlow_twins_32gpus_4node_imagenet1k_1000ep_resnet50.torch", "vissl",
             note="1000 epochs, batch 2048"),
    ZooEntry("vit_small_dino", VIT_SMALL, "DINO", VISSL +
             "dino_300ep_deitsmall16/model_final_checkpoint_phase299.torch", "vissl",
             note="ViT-S/16 (DeiT-S), 300 epochs, batch 1024; the student trunk"),
    ZooEntry("vit_base_moco_v3", VIT_BASE, "MoCo-v3", VISSL + "swav_rn50w5/mocov3-vit-b-300ep.pth.tar",
             "mocov3", note="ViT-B/16, 300 epochs (MoCo-v3 release format); the base encoder"),
)

PARAMETERS = {  # without a classification head (counted once on torch's meta device; asserted in the tests)
    RESNET50: 23_508_032,
    VIT_SMALL: 21_665_664,
    VIT_BASE: 85_798_656,
}
ARCHITECTURE_CLASS = {RESNET50: "convolutional", VIT_SMALL: "transformer", VIT_BASE: "transformer"}
INPUT_SIZE = 224


def mirror_path(url: str) -> str:
    """Where a file lives inside a MOUSESCORE_WEIGHTS_PATH directory: its URL path on the host,
    e.g. ``vissl/model_zoo/simclr_rn50_.../model_final_checkpoint_phase799.torch``. Several zoo files share
    a base name (``model_final_checkpoint_phase799.torch``), so the path, not the name, is the key."""
    return url.split("://", 1)[-1].split("/", 1)[1]


def file_name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def unique_file_name(url: str) -> bool:
    """True when no other registered file has this base name: only then may a mirror hold it flat."""
    return sum(file_name(entry.url) == file_name(url) for entry in ZOO) == 1
