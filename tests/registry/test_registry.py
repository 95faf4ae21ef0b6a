import textwrap

import pytest

from mousescore import hookimpl
from mousescore.errors import DuplicateIdentifier, UnknownIdentifier
from mousescore.registry.plugins import Registry
from mousescore.registry.specs import ModelSpec


def _model(identifier):
    return ModelSpec(identifier, lambda: None, {"family": "test", "architecture_class": "x", "trained": False})


class GoodPlugin:
    @hookimpl
    def mousescore_models(self):
        return [_model("goodnet-random")]


class DuplicatePlugin:
    @hookimpl
    def mousescore_models(self):
        return [_model("goodnet-random")]


class RaisingPlugin:
    @hookimpl
    def mousescore_models(self):
        raise RuntimeError("weights server down")


class MalformedPlugin:
    @hookimpl
    def mousescore_models(self):
        return ["not a spec"]


def test_builtin_plugins_register_through_entry_points_and_implement_known_hooks():
    registry = Registry()
    names = {name for name, _ in registry.pm.list_name_plugin()}
    assert {"torchvision", "timm", "allen", "cowley2023", "metrics"} <= names
    registry.pm.check_pending()  # raises if a plugin implements a hook that does not exist
    assert {"alexnet", "alexnet-random", "vgg16-random", "resnet18-random", "resnet50-random",
            "squeezenet1_1-random", "vit_base_patch16_224-random", "convnext_tiny-random"} \
        <= set(registry.identifiers("model"))
    assert registry.owner("model", "alexnet-random") == "torchvision"
    assert not registry.problems


def test_every_trained_network_has_a_random_variant_or_names_its_twin():
    """``<name>-random``, or, for a network registered alone (the Coral and packaged plugins' trained
    files), the ``twin`` its metadata names: a registered random network, or None where there is none."""
    registry = Registry()
    networks = {m for m in registry.identifiers("model")
                if registry.get("model", m).metadata["architecture_class"] != "non-network"}
    for network in (m for m in networks if not m.endswith("-random")):
        twin = registry.get("model", network).metadata.get("twin", f"{network}-random")
        assert twin is None or (twin in networks and twin.endswith("-random")), network


def test_unknown_identifier_suggests_close_matches():
    with pytest.raises(UnknownIdentifier) as error:
        Registry().get("model", "alexnet-randon")
    assert "alexnet-random" in error.value.suggestions
    assert "Did you mean" in str(error.value)


def test_duplicates_are_rejected_naming_both_plugins():
    registry = Registry([GoodPlugin(), DuplicatePlugin()], load_entry_points=False)
    with pytest.raises(DuplicateIdentifier, match="GoodPlugin|several plugins"):
        registry.get("model", "goodnet-random")


def test_a_broken_plugin_fails_alone():
    registry = Registry([GoodPlugin(), RaisingPlugin(), MalformedPlugin()], load_entry_points=False)
    assert registry.identifiers("model") == ["goodnet-random"]
    problems = " ".join(registry.problems.values())
    assert "weights server down" in problems and "not a valid ModelSpec" in problems
    assert len(registry.problems) == 2


def test_a_plugin_that_fails_to_import_is_reported_by_name(tmp_path, monkeypatch):
    _installed_plugin(tmp_path, "broken", """
        raise ImportError("needs a package that is not installed")
    """)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    assert "needs a package that is not installed" in registry.problems["broken"]
    assert "alexnet-random" in registry.identifiers("model")   # the others keep working


def test_glob_matching():
    registry = Registry()
    rsa = registry.match("benchmark", ["allen.*-rsa"])
    assert len(rsa) == 27
    both = registry.match("benchmark", ["allen.VISp-rsa", "allen.VISp_*-rsa", "allen.VISp-rsa"])
    assert both[0] == "allen.VISp-rsa" and len(both) == 5   # in order, without repeats


def _installed_plugin(tmp_path, name, source):
    """A plugin installed as a distribution with an entry point in the group ``mousescore``."""
    dist = tmp_path / f"mousescore_plugin_{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mousescore-plugin-{name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[mousescore]\n{name} = mousescore_plugin_{name}\n")
    (tmp_path / f"mousescore_plugin_{name}.py").write_text(textwrap.dedent(source))


MISSPELLED = """
    from mousescore import LoadedModel, ModelSpec, hookimpl

    @hookimpl
    def mousescore_model():          # one letter short of mousescore_models
        return []
"""


def test_a_misspelled_hook_is_that_plugins_problem(tmp_path, monkeypatch):
    _installed_plugin(tmp_path, "typo", MISSPELLED)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry()
    assert registry.problems["typo"] == ("implements unknown hook(s) 'mousescore_model' "
                                         "(did you mean 'mousescore_models'?)")
    assert "alexnet-random" in registry.identifiers("model")   # the others keep working
    with pytest.raises(Exception, match="unknown hook"):
        registry.pm.check_pending()   # what pluggy alone would do: fail the whole process


def test_mousescore_list_models_names_the_plugin_with_the_misspelled_hook(tmp_path):
    import os
    import subprocess
    import sys
    _installed_plugin(tmp_path, "typo", MISSPELLED)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "mousescore.cli", "list", "models"], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0
    assert ("warning: plugin 'typo' implements unknown hook(s) 'mousescore_model' (did you mean "
            "'mousescore_models'?); the other plugins still work") in result.stderr
    assert "alexnet-random" in result.stdout
