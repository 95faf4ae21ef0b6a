"""The 24 Taskonomy task encoders of the paper (§2.3), with their Taskonomic clusters and weight files.

Derived facts, not a copy of any file:

- task keys and display names: DeepMouseTrap's ``model_opts/task_typology.csv`` (the ``model`` and
  ``taskname`` columns), which are also visualpriors' task names;
- ``category``: the Taskonomic category of the paper's five (2D, 3D, Semantic, Geometric, Other).
  The paper says 'Other' has one member, the denoising autoencoder, and DeepMouseTrap's
  ``model_typology.csv`` agrees (``normal`` is 3D there). ``task_typology.csv`` also labels ``normal``
  (surface normals) 'Other'; that contradicts the paper's "only member" and the Taskonomy paper, where
  surface normals cluster with the 3D tasks, so it is recorded in ``TASK_TYPOLOGY_CATEGORY`` and not used.
- ``cluster``: the paper's four clusters: 'Other' (denoising) lumped into '2D' with the autoencoder.
- weight file names: visualpriors 0.3.5 ``TASKONOMY_PRETRAINED_WEIGHT_FILES``; the 64 hex digits after
  the last '-' are the file's sha256 (torch.hub's naming convention, see :mod:`.build`).

Plain Python: listing the models imports neither torch nor visualpriors.
"""
from __future__ import annotations

from typing import Dict, NamedTuple, Tuple

WEIGHT_URL_TEMPLATE = "https://github.com/alexsax/visual-prior/raw/networks/assets/pytorch/{filename}"
VISUALPRIORS_VERSION = "0.3.5"


class Task(NamedTuple):
    key: str          # visualpriors / task_typology model key
    name: str         # display name
    category: str     # the paper's five Taskonomic categories (before lumping 'Other' into '2D')
    sha256: str       # from the encoder's weight file name

    @property
    def cluster(self) -> str:
        """The paper's four clusters: the only 'Other' task (denoising) joins '2D'."""
        return "2D" if self.category == "Other" else self.category

    @property
    def filename(self) -> str:
        return f"{self.key}_encoder-{self.sha256}.pth"

    @property
    def url(self) -> str:
        return WEIGHT_URL_TEMPLATE.format(filename=self.filename)


TASKS: Tuple[Task, ...] = (
    Task("autoencoding", "Autoencoder", "2D",
         "e35146c09253720e97c0a7f8ee4e896ac931f5faa1449df003d81e6089ac6307"),
    Task("class_object", "Object Classification", "Semantic",
         "4a4e42dad58066039a0d2f9d128bb32e93a7e4aa52edb2d2a07bcdd1a6536c18"),
    Task("class_scene", "Scene Classification", "Semantic",
         "ad85764467cddafd98211313ceddebb98adf2a6bee2cedfe0b922a37ae65eaf8"),
    Task("curvature", "Curvatures", "3D",
         "3767cf5d06d9c6bca859631eb5a3c368d66abeb15542171b94188ffbe47d7571"),
    Task("denoising", "Denoising", "Other",
         "b64cab95af4a2c565066a7e8effaf37d6586c3b9389b47fff9376478d849db38"),
    Task("depth_euclidean", "Euclidean Depth", "3D",
         "88f18d41313de7dbc88314a7f0feec3023047303d94d73eb8622dc40334ef149"),
    Task("depth_zbuffer", "Z-Buffer Depth", "3D",
         "cc343a8ed622fd7ee3ce54398be8682bbbbfb5d11fa80e8d03a56a5ae4e11b09"),
    Task("edge_occlusion", "Occlusion Edges", "3D",
         "5ac3f3e918131f61e01fe95e49f462ae2fc56aa463f8d353ca84cd4e248b9c08"),
    Task("edge_texture", "Texture Edges", "2D",
         "be2d686a6a4dfebe968d16146a17176eba37e29f736d5cd9a714317c93718810"),
    Task("egomotion", "Egomotion", "Geometric",
         "9aa647c34bf98f9e491e0b37890d77566f6ae35ccf41d9375c674511318d571c"),
    Task("fixated_pose", "Camera Pose (Fixated)", "Geometric",
         "78cf321518abc16f9f4782b9e5d4e8f5d6966c373d951928a26f872e55297567"),
    Task("inpainting", "Inpainting", "2D",
         "bf96fbaaea9268a820a19a1d13dbf6af31798f8983c6d9203c00fab2d236a142"),
    Task("jigsaw", "Jigsaw", "Geometric",
         "0c2b342c9080f8713c178b04aa6c581ed3a0112fecaf78edc4c04e0a90516e39"),
    Task("keypoints2d", "2D Keypoints", "2D",
         "6b77695acff4c84091c484a7b128a1e28a7e9c36243eda278598f582cf667fe0"),
    Task("keypoints3d", "3D Keypoints", "3D",
         "7e3f1ec97b82ae30030b7ea4fec2dc606b71497d8c0335d05f0be3dc909d000d"),
    Task("nonfixated_pose", "Camera Pose (Nonfixated)", "Geometric",
         "3433a600ca9ff384b9898e55d86a186d572c2ebbe4701489a373933e3cfd5b8b"),
    Task("normal", "Surface Normals", "3D",
         "f5e2c7737e4948e3b2a822f584892c342eaabbe66661576ba50db7cdd40561c5"),
    Task("point_matching", "Point Matching", "Geometric",
         "4bd2a6b2909d9998fabaf0278ab568f42f2b692a648e28555ede6c6cda5361f4"),
    Task("reshading", "Reshading", "3D",
         "de456246e171dc8407fb2951539aa60d75925ae0f1dbb43f110b7768398b36a6"),
    Task("room_layout", "Room Layout", "Geometric",
         "1e1662f43b834261464b1825227a04efba59b50cc8883bee9adc3ddafd4796c1"),
    Task("segment_semantic", "Semantic Segmentation", "Semantic",
         "bb3007244520fc89cd111e099744a22b1e5c98cd83ed3f116fbff6376d220127"),
    Task("segment_unsup25d", "Unsupervised 2.5D Segmentation", "3D",
         "7d12d2500c18c003ffc23943214f5dfd74932f0e3d03dde2c3a81ebc406e31a0"),
    Task("segment_unsup2d", "Unsupervised 2D Segmentation", "2D",
         "b679053a920e8bcabf0cd454606098ae85341e054080f2be29473971d4265964"),
    Task("vanishing_point", "Vanishing Point", "Geometric",
         "afd2ae9b71d46a54efc5231b3e38ebc3e35bfab78cb0a78d9b75863a240b19a8"),
)

BY_KEY: Dict[str, Task] = {task.key: task for task in TASKS}

# Where DeepMouseTrap's task_typology.csv differs from the category above (see the module docstring).
TASK_TYPOLOGY_CATEGORY: Dict[str, str] = {"normal": "Other"}
