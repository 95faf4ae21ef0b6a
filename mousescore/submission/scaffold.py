"""``mousescore new-plugin NAME``: a pip-installable model plugin that works as generated.

The package holds one seeded random-init CNN, ``NAME-random``, with complete metadata, its conformance
test and a README on how to check, score and submit it; the author swaps in their own network.
"""
from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path
from string import Template
from typing import Dict

from ..errors import MousescoreError
from ..registry.plugins import ENTRY_POINT_GROUP

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*\Z")

PYPROJECT = Template('''\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "mousescore model plugin: $name"
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["mousescore", "torch"]

# This entry point is what makes mousescore find the plugin: group "mousescore", name, module.
[project.entry-points.mousescore]
$name = "$package"

[tool.setuptools]
packages = ["$package"]
''')

PACKAGE = Template('''\
"""mousescore plugin '$name': its models, registered through the ``mousescore`` entry point.

``mousescore_models`` only lists specs; a network is built when its factory is called (scoring, tests).
Replace ``make_network`` with your own architecture and update ``METADATA`` and ``PARAMETERS``.
"""
from mousescore import LoadedModel, ModelSpec, hookimpl

SEED = 0
INPUT_SIZE = 64       # images are resized to INPUT_SIZE x INPUT_SIZE pixels
PARAMETERS = 38_688   # written down so that listing never builds the network; the tests check it

METADATA = {
    "family": "$name",
    "architecture_class": "convolutional",
    "input_size": INPUT_SIZE,
    "parameters": PARAMETERS,
}


def make_network():
    from torch import nn
    return nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=5, stride=2, padding=2), nn.ReLU(),
        nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(32 * 16, 64))


def build_random_model() -> LoadedModel:
    import torch
    with torch.random.fork_rng(devices=[]):   # seed the init without changing the caller's random stream
        torch.manual_seed(SEED)
        module = make_network()
    return LoadedModel(module=module.eval(), input_size=INPUT_SIZE, mean=(0.485, 0.456, 0.406),
                       std=(0.229, 0.224, 0.225), provenance={"seed": SEED})


# Trained weights: publish the checkpoint at a stable URL, pin its sha256 (`sha256sum FILE`), then
# uncomment this and the trained ModelSpec below. resolve_weights looks in the cache and the
# MOUSESCORE_WEIGHTS_PATH mirrors before the URL, and uses a file only if its sha256 matches.
#
# WEIGHTS_URL = "https://example.org/$name.pth"
# WEIGHTS_SHA256 = "<64 hex digits>"
#
# def build_trained_model() -> LoadedModel:
#     from mousescore import load_state_dict, resolve_weights, weights_provenance
#     path = resolve_weights(WEIGHTS_URL, WEIGHTS_SHA256)
#     module = make_network()
#     module.load_state_dict(load_state_dict(path))
#     return LoadedModel(module=module.eval(), input_size=INPUT_SIZE, provenance=weights_provenance(path))


@hookimpl
def mousescore_models():
    return [
        ModelSpec("$name-random", build_random_model,
                  {**METADATA, "trained": False, "training": "random init", "seed": SEED}),
        # ModelSpec("$name", build_trained_model,
        #           {**METADATA, "trained": True, "training": "<task and data set, e.g. ImageNet-1k>"}),
    ]
''')

TEST = Template('''\
"""mousescore's conformance kit on every model of the plugin: one test per model and check."""
import pytest
from mousescore.testing import check_model, parametrize_with_checks

import $package

SPECS = $package.mousescore_models()


@parametrize_with_checks(SPECS)
def test_conformance(spec, check):
    check(spec)


@pytest.mark.parametrize("spec", SPECS, ids=[spec.identifier for spec in SPECS])
def test_parameter_count_is_the_one_written_down(spec):
    loaded = check_model(spec)
    assert sum(p.numel() for p in loaded.module.parameters()) == spec.metadata["parameters"]
''')

README = Template('''\
# $distribution

A mousescore model plugin: `$name-random` is a small seeded random-init CNN.
Replace `make_network` in `$package/__init__.py` with your network, update `METADATA` and
`PARAMETERS`, and add trained weights where the comments show (URL + sha256).

## Install and test

```bash
python -m pip install -e .
python -m pytest tests                  # mousescore's conformance kit on every model
mousescore list models                  # shows $name-random
```

## Check before submitting

```bash
mousescore submission check .
```

runs the plugin's code: it installs the plugin into a throw-away virtual environment (nothing stays
installed), loads it the way mousescore does and checks every model: complete metadata
(family, architecture_class, trained, training, input_size), it builds, named layers in a stable
order, finite and deterministic features, reproducible random init, identifiers that no other plugin
uses, and imports from mousescore's public API only (`mousescore`, `mousescore.numerics`,
`mousescore.config`, `mousescore.testing`). It prints one `[ok]`/`[FAIL]` line per check and exits \
with status 2 on the first failure.

## Score

```bash
export MOUSESCORE_DATA_PATH=/path/to/data/mirror     # optional: otherwise files are downloaded
mousescore score $name-random 'allen.*-rsa'
mousescore score $name-random cowley2023.V4-srp_ridge kriegeskorte2008.IT-rsa
```

## Submit to the leaderboard

Copy this folder to `submissions/$distribution/` in a fork of the mousescore repository and open a
pull request. CI runs `mousescore submission check`, scores every model on every public benchmark,
commits the result records to the pull request (or attaches them, for a pull request from a fork)
and builds a preview of the leaderboard; once merged, the public leaderboard is rebuilt.
''')


def validate_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise MousescoreError(f"invalid plugin name '{name}': use lowercase letters, digits and "
                              f"underscores, starting with a letter (e.g. 'mynet' or 'my_net2')")
    taken = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name in taken:   # two plugins under one name: mousescore could load only one of them
        raise MousescoreError(f"plugin name '{name}' is taken by an installed plugin; choose another")


def plugin_files(name: str) -> Dict[str, str]:
    """Relative path -> text of every file of the plugin ``name``."""
    fields = {"name": name, "package": f"mousescore_plugin_{name}",
              "distribution": f"mousescore-plugin-{name}"}
    return {"pyproject.toml": PYPROJECT.substitute(fields),
            f"{fields['package']}/__init__.py": PACKAGE.substitute(fields),
            f"tests/test_{name}.py": TEST.substitute(fields),
            "README.md": README.substitute(fields)}


def new_plugin(name: str, parent) -> Path:
    """Create ``parent/mousescore-plugin-<name>/`` and return it; an existing folder is never touched."""
    validate_name(name)
    parent = Path(parent)
    folder = parent / f"mousescore-plugin-{name}"
    parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir()
    except FileExistsError:
        raise MousescoreError(f"{folder} already exists; remove it or choose another name "
                              f"(new-plugin never overwrites)") from None
    for relative, text in plugin_files(name).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder
