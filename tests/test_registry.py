import inspect
import textwrap

import pytest

from mousescore import hookimpl, hookspecs
from mousescore.errors import DuplicateIdentifier, UnknownIdentifier
from mousescore.registry import Registry
from mousescore.specs import ModelSpec


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


def test_every_hook_is_documented():
    hooks = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("mousescore_")]
    assert {h.__name__ for h in hooks} == {"mousescore_models", "mousescore_datasets",
                                            "mousescore_metrics", "mousescore_benchmarks"}
    for hook in hooks:
        assert hook.__doc__ and len(hook.__doc__.strip()) > 40, f"{hook.__name__} is undocumented"


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


def test_every_trained_network_has_a_random_variant():
    registry = Registry()
    networks = {m for m in registry.identifiers("model")
                if registry.get("model", m).metadata["architecture_class"] != "non-network"}
    assert all(f"{m}-random" in networks for m in networks if not m.endswith("-random"))


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
    dist = tmp_path / "mousescore_plugin_broken-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mousescore-plugin-broken\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mousescore]\nbroken = mousescore_plugin_broken\n")
    (tmp_path / "mousescore_plugin_broken.py").write_text(textwrap.dedent("""
        raise ImportError("needs a package that is not installed")
    """))
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
