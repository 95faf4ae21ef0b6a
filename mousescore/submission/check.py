"""``mousescore submission check PATH``: is a model plugin ready for the leaderboard?

The check runs the plugin's code (its build script, its modules, its models), so its first line says
so. It runs that code in a throw-away virtual environment (:mod:`mousescore.submission.isolation`),
never in yours: afterwards the plugin is not installed anywhere and the environment is gone. The
child process (:mod:`mousescore.submission.probe`) only reports raw observations; every verdict below
is computed here, in the parent, so that nothing the plugin's code does can write it.

Each check prints one checklist line, ``[ok] ...`` or ``[FAIL] <reason>``; the first failure is the
report's reason. In order:

1. ``pyproject.toml`` declares an entry point in the group ``mousescore``;
2. the plugin installs into the throw-away environment (offline, ``--no-deps``, unless
   ``with_dependencies``);
3. in that environment, which sees the plugin the way ``mousescore`` will, the registry loads the
   plugin's entry points without a problem and the plugin registers at least one model;
4. for each model, the properties the conformance kit checks (:data:`mousescore.testing.MODEL_CHECKS`),
   judged from the probe's observations (:data:`MODEL_VERDICTS`, one per kit check): metadata has
   every key of :data:`mousescore.MODEL_METADATA`, it builds at the metadata's ``input_size``, layers
   are named, unique and in a stable order, features are finite and deterministic, random init is
   reproducible;
5. its model identifiers are unique and registered by no other installed plugin;
6. its code imports mousescore only through the public API (:data:`mousescore.PUBLIC_MODULES`):
   ``import``/``from`` statements, ``importlib.import_module``/``__import__``/``runpy.run_module``
   calls, ``sys.modules[...]`` and ``getattr(mousescore, ...)`` with literal names, and attributes of
   the ``mousescore`` package outside ``mousescore.__all__``, read from the source without running it;
7. the install and the probe left your Python environment's site folders (and the check's own
   modules) as they were.

Steps 1-3 are gates (nothing after a failed gate can be checked); every model is checked.
"""
from __future__ import annotations

import ast
import base64
import importlib.util
import io
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import AbstractSet, Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np

import mousescore

from ..registry.contracts import MODEL_METADATA, PUBLIC_MODULES
from ..registry.plugins import ENTRY_POINT_GROUP
from .isolation import (
    ProbeFailed,
    ThrowawayEnvironment,
    environment_snapshot,
    last_error_line,  # noqa: F401 - part of this module's interface (tests, callers)
    snapshot_changes,
)
from .probe import PROBE_IMAGES

RUNS_PLUGIN_CODE = ("note: this check RUNS THE PLUGIN'S CODE (its build script, its modules, its models) as "
                    "you, in a throw-away virtual environment that is removed afterwards; that is not a "
                    "sandbox: check only code you would run yourself")

Check = Tuple[bool, str]   # (passed, checklist text); a failed check's text is its reason


@dataclass
class SubmissionReport:
    lines: List[str] = field(default_factory=list)
    reason: str = ""   # the first failure; empty when every check passed
    echo: Optional[Callable[[str], None]] = None   # called with each line as it is made (the CLI prints)

    @property
    def ok(self) -> bool:
        return not self.reason

    def note(self, text: str) -> None:
        self.lines.append(text)
        if self.echo is not None:
            self.echo(text)

    def add(self, passed: bool, text: str) -> None:
        self.note(f"[ok] {text}" if passed else f"[FAIL] {text}")
        if not passed and not self.reason:
            self.reason = text


def check_submission(path, with_dependencies: bool = False,
                     echo: Optional[Callable[[str], None]] = None) -> SubmissionReport:
    """Check the plugin in ``path``; ``echo`` receives each checklist line as soon as it is known
    (the first one before any of the plugin's code runs)."""
    report = SubmissionReport(echo=echo)
    report.note(RUNS_PLUGIN_CODE)
    folder = Path(path).resolve()
    project = read_project(folder, report)
    if project is None:
        return report
    distribution, declared = project
    before = environment_snapshot()
    with ThrowawayEnvironment() as environment:
        installed = environment.install(folder, with_dependencies)
        report.add(installed.ok, installed.text)
        if installed.ok:
            for passed, text in probe_checks(environment, declared):
                report.add(passed, text)
            report.add(*public_api_check(folder))
    report.add(*environment_check(snapshot_changes(before, environment_snapshot())))
    report.note(f"note: the throw-away environment is removed; {distribution} is not installed in yours "
                f"(`python -m pip install {folder}` installs it to score it)")
    return report


def probe_checks(environment: ThrowawayEnvironment, declared: Mapping[str, str]) -> List[Check]:
    started = time.perf_counter()
    try:
        observed = environment.probe(declared)
    except ProbeFailed as failure:
        return [(False, str(failure))]
    return judge_plugin(observed, declared, time.perf_counter() - started)


def environment_check(changes: List[str]) -> Check:
    if changes:
        shown = "; ".join(changes[:5]) + (f"; and {len(changes) - 5} more" if len(changes) > 5 else "")
        return False, (f"your Python environment changed while the plugin was installed and probed "
                       f"({shown}): the plugin's code may have written there; inspect and restore these files")
    return True, "your Python environment is unchanged (site folders and the check's own modules)"


def read_project(folder: Path, report: SubmissionReport) -> Optional[Tuple[str, Dict[str, str]]]:
    """(distribution name, {entry point name: module}) from pyproject.toml, or None after a failure."""
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        report.add(False, f"no pyproject.toml in {folder}: a plugin is a pip-installable package "
                          f"(`mousescore new-plugin NAME` creates one)")
        return None
    try:
        project = tomllib.loads(pyproject.read_text()).get("project", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        report.add(False, f"pyproject.toml is not valid TOML ({error})")
        return None
    declared = project.get("entry-points", {}).get(ENTRY_POINT_GROUP)
    if not project.get("name") or not isinstance(declared, dict) or not declared:
        report.add(False, f"pyproject.toml needs [project] name and an entry point in group "
                          f"'{ENTRY_POINT_GROUP}' ([project.entry-points.{ENTRY_POINT_GROUP}] "
                          f"NAME = \"your_module\")")
        return None
    listed = ", ".join(f"{name} = {value}" for name, value in declared.items())
    report.add(True, f"pyproject.toml declares {project['name']} with entry point(s) "
                     f"{ENTRY_POINT_GROUP}: {listed}")
    return project["name"], {str(name): str(value) for name, value in declared.items()}


def judge_plugin(observed: dict, declared: Mapping[str, str], seconds: float) -> List[Check]:
    """Steps 3-5 from the probe's observations; an answer of the wrong shape fails the plugin."""
    try:
        return judge_observations(observed, declared, seconds)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        return [(False, f"the probe's answer is malformed ({type(error).__name__}: {error}): the plugin's "
                        f"code interfered with the probe")]


def judge_observations(observed: dict, declared: Mapping[str, str], seconds: float) -> List[Check]:
    problem = entry_point_problem(observed, declared)
    if problem:
        return [(False, problem)]
    own = [model for name in declared for model in observed["models"].get(name, [])]
    if not own:
        return [(False, f"plugin {', '.join(declared)} registers no model (its mousescore_models hook "
                        f"returns none)")]
    identifiers = [str(model["identifier"]) for model in own]
    checks = [(True, f"plugin {', '.join(declared)} loads and registers {len(own)} model(s): "
                     f"{', '.join(identifiers)} (probed in {seconds:.1f} s)")]
    checks += [judge_model(model) for model in own]
    taken_by = {str(identifier): name for name, others in observed["other_identifiers"].items()
                for identifier in others}
    return checks + identifier_checks(identifiers, taken_by)


def entry_point_problem(observed: dict, declared: Mapping[str, str]) -> Optional[str]:
    if observed.get("registry_error"):
        return f"loading the installed plugins failed ({observed['registry_error']})"
    installed = observed["entry_points"]
    for name, value in declared.items():
        same_name = [ep for ep in installed if ep["name"] == name]
        if not any(ep["value"] == value for ep in same_name):
            return f"entry point '{name} = {value}' is not installed in group '{ENTRY_POINT_GROUP}'"
        others = sorted({ep["distribution"] for ep in same_name if ep["value"] != value})
        if others:   # mousescore would load only one of the plugins under this name
            return f"entry point name '{name}' is also used by {', '.join(others)}: rename it"
        if name in observed["problems"]:
            return f"plugin '{name}' {observed['problems'][name]}"
    return None


# ---- one model: a verdict per conformance-kit check, from what the probe saw ---------------------

def metadata_verdict(model: dict) -> Optional[str]:
    identifier = model["identifier"]
    if not model["is_model_spec"]:
        return f"{identifier}: the mousescore_models hook returned something that is not a ModelSpec"
    metadata = model["metadata"]
    missing = [key for key in MODEL_METADATA if key not in metadata]
    if missing:
        return f"{identifier}: metadata lacks {missing}"
    if metadata.get("architecture_class") != "non-network" and \
            metadata["trained"] != (not identifier.endswith("-random")):
        return f"{identifier}: random-init variants end in '-random' and say trained=False"
    return None


def builds_verdict(model: dict) -> Optional[str]:
    identifier, built = model["identifier"], model.get("built")
    if model.get("error") and not (built and built.get("is_loaded_model")):
        return f"{identifier}: {model['error']}"
    if not built or not built["is_loaded_model"]:
        return f"{identifier}: factory must return a LoadedModel, not {(built or {}).get('type', 'nothing')}"
    if built["training"]:
        return f"{identifier}: the module must be in eval mode"
    provenance = built["provenance"]
    if not (provenance.get("weights_sha256") or "seed" in provenance):
        return f"{identifier}: provenance needs the weights' sha256 or the random seed"
    metadata = model["metadata"]
    if "input_size" in metadata and metadata["input_size"] != built["input_size"]:
        return (f"{identifier}: metadata says input_size {metadata['input_size']}, but the model takes "
                f"{built['input_size']}x{built['input_size']} images")
    return None


def runs_or_error(model: dict) -> Tuple[Optional[str], list]:
    """The two probe runs, or the error that stopped the model before or between them."""
    runs = model.get("runs") or []
    if len(runs) < 2:
        return f"{model['identifier']}: {model.get('error') or 'the probe did not run the model twice'}", []
    return None, runs


def layers_verdict(model: dict) -> Optional[str]:
    problem, runs = runs_or_error(model)
    if problem:
        return problem
    first, second = runs[0]["layers"], runs[1]["layers"]
    if not first:
        return f"{model['identifier']}: no layers recorded"
    if len(set(first)) != len(first):
        return f"{model['identifier']}: duplicate layer names"
    if second != first:
        return f"{model['identifier']}: layer order changes between runs"
    return None


def features_finite_verdict(model: dict) -> Optional[str]:
    problem, runs = runs_or_error(model)
    if problem:
        return problem
    for layer in runs[0]["layers"]:
        if layer in runs[0]["nonfinite"]:   # the extraction saw NaN or inf and kept no features
            return f"{model['identifier']}: layer {layer} gives non-finite features"
        features = decoded_features(runs[0], layer)
        if isinstance(features, str):
            return f"{model['identifier']}: layer {layer} {features}"
        if not np.isfinite(features).all():
            return f"{model['identifier']}: layer {layer} gives non-finite features"
    return None


def deterministic_verdict(model: dict) -> Optional[str]:
    problem, runs = runs_or_error(model)
    if problem:
        return problem
    for layer in runs[0]["layers"]:
        second = decoded_features(runs[1], layer)
        if isinstance(second, str) or not np.array_equal(decoded_features(runs[0], layer), second):
            return f"{model['identifier']}: layer {layer} is not deterministic"
    return None


def random_init_verdict(model: dict) -> Optional[str]:
    if model["metadata"].get("trained"):
        return None
    if model.get("error"):   # the second build failed
        return f"{model['identifier']}: {model['error']}"
    weights, rebuilt = model["weights"], model["rebuilt_weights"]
    for (name, digest), (_, other) in zip(weights, rebuilt):
        if digest != other:
            return f"{model['identifier']}: random init is not reproducible ({name} differs)"
    if [name for name, _ in weights] != [name for name, _ in rebuilt]:
        return f"{model['identifier']}: random init is not reproducible (the rebuilt model has other weights)"
    return None


#: The parent's verdict for each check of the conformance kit (``mousescore.testing.MODEL_CHECKS``), by
#: the kit check's name and in its order; a test keeps the two lists the same.
MODEL_VERDICTS: Dict[str, Callable[[dict], Optional[str]]] = {
    "check_model_metadata": metadata_verdict,
    "check_model_builds": builds_verdict,
    "check_model_layers": layers_verdict,
    "check_model_features_finite": features_finite_verdict,
    "check_model_deterministic": deterministic_verdict,
    "check_model_random_init_reproducible": random_init_verdict,
}


def judge_model(model: dict) -> Check:
    for verdict in MODEL_VERDICTS.values():
        problem = verdict(model)
        if problem:
            return False, problem
    random_init = "" if model["metadata"].get("trained") else ", reproducible random init"
    return True, (f"{model['identifier']}: metadata complete, builds, named layers in a stable order, finite "
                  f"and deterministic features{random_init}")


def decoded_features(run: dict, layer: str):
    """A layer's features as a numeric array, or what is wrong with them (a string)."""
    encoded = run["features"].get(layer)
    if encoded is None:
        return "gives no features"
    try:
        array = np.load(io.BytesIO(base64.b64decode(encoded, validate=True)), allow_pickle=False)
    except (ValueError, OSError, EOFError):
        return "gives features that are not a readable array"
    if array.dtype.kind not in "biuf":
        return f"gives features of dtype {array.dtype}, not numbers"
    if array.ndim != 2 or array.shape[0] != PROBE_IMAGES:
        return f"gives features of shape {array.shape}, not one row per probe image ({PROBE_IMAGES})"
    return array


# ---- imports of mousescore internals, read from the source ------------------------------------

IMPORT_FUNCTIONS = {"import_module", "__import__", "run_module"}   # importlib, builtins, runpy


def literal_string(node: ast.AST) -> Optional[str]:
    """The value of a string literal, a sum of them or an f-string without fields; else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_string(node.left), literal_string(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = [literal_string(value) for value in node.values]
        known = [part for part in parts if part is not None]
        return "".join(known) if len(known) == len(parts) else None
    return None


def called_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Name):
        return function.id
    return function.attr if isinstance(function, ast.Attribute) else ""


def package_aliases(tree: ast.AST) -> set:
    """Names the ``mousescore`` package itself is bound to (``import mousescore [as ms]``)."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "mousescore" or (alias.name.startswith("mousescore.") and not alias.asname):
                    aliases.add(alias.asname or "mousescore")
    return aliases


def import_function_names(tree: ast.AST) -> set:
    """Names that call an import function: its own name, or what ``from importlib import
    import_module as im`` binds it to."""
    names = set(IMPORT_FUNCTIONS)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.asname for alias in node.names if alias.name in IMPORT_FUNCTIONS and alias.asname}
    return names


def modules_named(node: ast.AST, aliases: set,
                  import_functions: AbstractSet[str] = frozenset(IMPORT_FUNCTIONS)) -> List[str]:
    """The mousescore modules (or package attributes, as ``mousescore.NAME``) this node reaches."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        if node.module != "mousescore":
            return [node.module]
        return [f"mousescore.{alias.name}" for alias in node.names if alias.name not in mousescore.__all__]
    if isinstance(node, ast.Call) and called_name(node) in import_functions and node.args:
        name = literal_string(node.args[0])
        package = literal_string(node.args[1]) if len(node.args) > 1 else None
        if name and name.startswith(".") and package:   # import_module(".x", "mousescore")
            name = importlib.util.resolve_name(name, package)
        return [name] if name else []
    if isinstance(node, ast.Call) and called_name(node) == "getattr" and len(node.args) >= 2 and \
            isinstance(node.args[0], ast.Name) and node.args[0].id in aliases:
        attribute = literal_string(node.args[1])
        return [f"mousescore.{attribute}"] if attribute and attribute not in mousescore.__all__ else []
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "modules":
        name = literal_string(node.slice)
        return [name] if name else []
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
        return [] if node.attr in mousescore.__all__ else [f"mousescore.{node.attr}"]
    return []


def is_private(module: str) -> bool:
    return module.split(".")[0] == "mousescore" and module not in PUBLIC_MODULES

def private_imports(folder: Path) -> List[str]:
    """``file:line module`` for every reach into a mousescore module outside the public API."""
    found = []
    for path in sorted(Path(folder).rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue   # a file that does not parse fails the install or the probe with its own message
        aliases, import_functions = package_aliases(tree), import_function_names(tree)
        for node in ast.walk(tree):
            found += [f"{path.relative_to(folder)}:{getattr(node, 'lineno', '?')} {module}"
                      for module in dict.fromkeys(modules_named(node, aliases, import_functions))
                      if is_private(module)]
    return sorted(found, key=lambda entry: (entry.split(":")[0], int(entry.split(":")[1].split()[0])))


def public_api_check(folder: Path) -> Check:
    private = private_imports(folder)
    if private:
        return False, (f"imports mousescore internals, which may move in any release: {', '.join(private[:5])}; "
                       f"import from {', '.join(PUBLIC_MODULES)}")
    return True, f"imports mousescore only through its public API ({', '.join(PUBLIC_MODULES)})"


def identifier_checks(own: List[str], taken_by: Mapping[str, str]) -> List[Check]:
    """The plugin's identifiers must be unique and new: a clash would make both models unusable."""
    repeated = sorted(identifier for identifier, count in Counter(own).items() if count > 1)
    checks = [(False, f"{identifier}: registered more than once by this plugin") for identifier in repeated]
    checks += [(False, f"{identifier}: already registered by plugin '{taken_by[identifier]}'; rename the "
                       f"model") for identifier in dict.fromkeys(own) if identifier in taken_by]
    return checks or [(True, f"identifiers are new: no other plugin registers {', '.join(own)}")]
