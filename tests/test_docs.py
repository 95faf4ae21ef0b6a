"""The documentation against the live interfaces, in the spirit of datasette's
``test_plugin_hooks_are_documented``: a hook, a metric method, a layout folder or an import path that
the docs get wrong fails here."""
import inspect
import pkgutil
import re
import typing
from pathlib import Path

import pytest

import mousescore
from mousescore import Metric, compat
from mousescore.registry import hookspecs
from mousescore.registry.plugins import KINDS, get_registry

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("mousescore_"))
METHODS = sorted(name for name, value in vars(Metric).items() if not name.startswith("_") and callable(value))


def test_there_is_one_hook_per_plugin_kind():
    assert [f"mousescore_{kind}s" for kind in sorted(KINDS)] == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_and_typed(hook):
    function = getattr(hookspecs, hook)
    spec_class = KINDS[hook[len("mousescore_"):-1]]
    assert typing.get_type_hints(function)["return"] == typing.Iterable[spec_class]
    assert f"mousescore.{spec_class.__name__}" in function.__doc__
    assert f"`{hook}`" in README, f"the README does not document {hook}"


def _signature(function) -> str:
    parameters = list(inspect.signature(function).parameters)[1:]   # without self
    return f"``{function.__name__}({', '.join(parameters)})``"


def test_the_metric_hook_documents_the_metric_interface_as_it_is():
    doc = hookspecs.mousescore_metrics.__doc__
    for method in METHODS:
        assert _signature(getattr(Metric, method)) in doc
        assert _signature(getattr(Metric, method)) in Metric.__doc__
    mentioned = set(re.findall(r"``(\w+)\(", doc + Metric.__doc__)) - {"factory"}   # the spec's
    assert mentioned == set(METHODS), f"documented but not in the interface: {mentioned - set(METHODS)}"


@pytest.mark.parametrize("identifier", get_registry().identifiers("metric"))
def test_every_built_in_metric_implements_the_interface_with_its_signatures(identifier):
    metric = get_registry().get("metric", identifier).factory()
    assert isinstance(metric, Metric)
    for method in METHODS:
        assert _signature(getattr(type(metric), method)) == _signature(getattr(Metric, method)), method


def _resolves(dotted: str) -> bool:
    """Whether a dotted path names a module or attribute that exists, not only as an old 0.1 path."""
    if dotted.split(".")[1] in compat.MOVED:
        return False
    try:
        pkgutil.resolve_name(dotted)
    except (ImportError, AttributeError, ValueError):
        return False
    return True


def _documents():
    yield "README.md", README
    yield "examples README", (REPO / "examples/mousescore-plugin-example/README.md").read_text()
    for hook in HOOKS:
        yield hook, getattr(hookspecs, hook).__doc__
    yield "mousescore docstring", mousescore.__doc__


@pytest.mark.parametrize("name, text", list(_documents()), ids=[name for name, _ in _documents()])
def test_every_mousescore_path_in_the_docs_exists(name, text):
    paths = set(re.findall(r"(?<![\w/-])mousescore(?:\.[A-Za-z_]\w*)+", text))
    missing = sorted(p for p in paths if not p.endswith(("_", ".py", ".json", ".nc")) and not _resolves(p))
    assert not missing, f"{name} names what does not exist: {missing}"


def test_the_readme_python_imports_work():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    imports = [line for block in blocks for line in block.splitlines()
               if re.match(r"(from mousescore\S* import|import mousescore)", line)]
    assert imports
    for line in imports:
        exec(line, {})   # noqa: S102 - the README's own import lines


def _layout_entries():
    """The entries the README's Layout tree lists directly under ``mousescore/``."""
    tree = re.search(r"## Layout\n.*?```text\n(.*?)```", README, flags=re.S).group(1)
    lines = tree.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("mousescore/"))
    entries = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        if not line.startswith("   "):
            entries.append(line.split()[0])
    return entries


def test_the_readme_layout_is_the_core_package_as_it_is():
    package = REPO / "mousescore"
    actual = sorted([f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").exists()]
                    + [p.name for p in package.glob("*.py")])
    assert sorted(_layout_entries()) == actual
