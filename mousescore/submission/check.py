"""``mousescore submission check PATH``: is a model plugin ready for the leaderboard?

Each check prints one checklist line, ``[ok] ...`` or ``[FAIL] <reason>``; the first failure is the
report's reason. In order:

1. ``pyproject.toml`` declares an entry point in the group ``mousescore``;
2. the plugin installs: ``pip install --no-build-isolation --no-deps -e PATH`` (it stays installed,
   as the last line says);
3. in a fresh interpreter, which sees the plugin the way ``mousescore`` will (this process may have
   imported stale modules), the registry loads the plugin's entry points without a problem and the
   plugin registers at least one model;
4. for each model, every model check of the conformance kit (:data:`mousescore.testing.MODEL_CHECKS`):
   metadata has every key of :data:`mousescore.MODEL_METADATA`, it builds at the metadata's
   ``input_size``, layers are named, unique and in a stable order, features are finite and
   deterministic, random init is reproducible;
5. its model identifiers are unique and registered by no other installed plugin;
6. its code imports mousescore only through the public API (:data:`mousescore.PUBLIC_MODULES`),
   which is what keeps it working when mousescore's internals move.

Steps 1-3 are gates (nothing after a failed gate can be checked); every model is checked.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import mousescore

from ..registry.contracts import PUBLIC_MODULES
from ..registry.plugins import ENTRY_POINT_GROUP, Registry
from ..testing import MODEL_CHECKS

PIP_TIMEOUT_S = 600
PROBE_TIMEOUT_S = 600
PIP_ERROR_CODE = re.compile(r"error: [a-z-]+$")

Check = Tuple[bool, str]   # (passed, checklist text); a failed check's text is its reason


@dataclass
class SubmissionReport:
    lines: List[str] = field(default_factory=list)
    reason: str = ""   # the first failure; empty when every check passed

    @property
    def ok(self) -> bool:
        return not self.reason

    def add(self, passed: bool, text: str) -> None:
        self.lines.append(f"[ok] {text}" if passed else f"[FAIL] {text}")
        if not passed and not self.reason:
            self.reason = text


def check_submission(path) -> SubmissionReport:
    report = SubmissionReport()
    folder = Path(path).resolve()
    project = read_project(folder, report)
    if project is None:
        return report
    distribution, declared = project
    if not install(folder, report):
        return report
    for passed, text in probe_in_fresh_interpreter(declared):
        report.add(passed, text)
    report.add(*public_api_check(folder))
    report.lines.append(f"note: {distribution} stays installed (editable); remove it with "
                        f"`python -m pip uninstall -y {distribution}`")
    return report


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


def install(folder: Path, report: SubmissionReport) -> bool:
    command = [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
               "--disable-pip-version-check", "-e", str(folder)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        report.add(False, f"pip install did not finish within {PIP_TIMEOUT_S} s")
        return False
    if result.returncode != 0:
        report.add(False, f"does not install (pip: {last_error_line(result.stderr + result.stdout)})")
        return False
    report.add(True, "installs (pip install -e, editable)")
    return True


def last_error_line(output: str) -> str:
    """The last line of pip's output starting with 'error' that says more than one of pip's summary
    codes ('error: metadata-generation-failed'): usually the build backend's own message."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    specific = [line for line in errors if not PIP_ERROR_CODE.match(line)]
    return (specific or errors or lines or ["no output"])[-1]


def probe_in_fresh_interpreter(declared: Mapping[str, str]) -> List[Check]:
    """Steps 3-5, run by ``python -m mousescore.submission.check`` and reported back as JSON."""
    with tempfile.TemporaryDirectory(prefix="mousescore-submission-") as scratch:
        answer = Path(scratch) / "checks.json"
        command = [sys.executable, "-m", "mousescore.submission.check", str(answer), json.dumps(dict(declared))]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return [(False, f"loading and checking the models took more than {PROBE_TIMEOUT_S} s "
                            f"(a model must build and run on a few images well within that)")]
        if not answer.is_file():
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            return [(False, f"the check process failed (exit status {result.returncode}): {last}")]
        return [(passed, text) for passed, text in json.loads(answer.read_text())]


def probe_plugin(declared: Mapping[str, str]) -> List[Check]:
    """Load every installed plugin, find this one, check its models; stops at a failed gate."""
    registry = Registry()
    problem = entry_point_problem(registry, declared)
    if problem:
        return [(False, problem)]
    models = models_by_plugin(registry)
    own = [spec for name in declared for spec in models.get(name, [])]
    if not own:
        return [(False, f"plugin {', '.join(declared)} registers no model (its mousescore_models hook "
                        f"returns none)")]
    checks = [(True, f"plugin {', '.join(declared)} loads and registers {len(own)} model(s): "
                     f"{', '.join(spec.identifier for spec in own)}")]
    checks += [check_one_model(spec) for spec in own]
    taken_by = {spec.identifier: name for name, specs in models.items() if name not in declared
                for spec in specs}
    return checks + identifier_checks([spec.identifier for spec in own], taken_by)


def entry_point_problem(registry: Registry, declared: Mapping[str, str]) -> Optional[str]:
    installed = entry_points(group=ENTRY_POINT_GROUP)
    for name, value in declared.items():
        same_name = [ep for ep in installed if ep.name == name]
        if not any(ep.value == value for ep in same_name):
            return f"entry point '{name} = {value}' is not installed in group '{ENTRY_POINT_GROUP}'"
        others = sorted({ep.dist.name for ep in same_name if ep.value != value})
        if others:   # mousescore would load only one of the plugins under this name
            return f"entry point name '{name}' is also used by {', '.join(others)}: rename it"
        if name in registry.problems:
            return f"plugin '{name}' {registry.problems[name]}"
    return None


def models_by_plugin(registry: Registry) -> Dict[str, list]:
    """Each healthy plugin's model specs as its hook returns them, repeats kept (the registry keeps one
    spec per identifier, which would hide a clash)."""
    registry.identifiers("model")   # runs every model hook: a failing one lands in registry.problems
    hook = registry.pm.hook.mousescore_models
    return {impl.plugin_name: list(impl.function() or []) for impl in hook.get_hookimpls()
            if impl.plugin_name not in registry.problems}


def check_one_model(spec) -> Check:
    started = time.perf_counter()
    try:
        for check in MODEL_CHECKS:
            check(spec)
    except AssertionError as error:   # the kit's message names the model and the problem
        return False, str(error)
    except Exception as error:   # building or running the model failed in its own way
        message = (str(error).strip().splitlines() or [""])[0]
        return False, f"{spec.identifier}: {type(error).__name__}: {message}"
    random_init = "" if spec.metadata["trained"] else ", reproducible random init"
    return True, (f"{spec.identifier}: metadata complete, builds, named layers in a stable order, finite "
                  f"and deterministic features{random_init} ({time.perf_counter() - started:.1f} s)")


def private_imports(folder: Path) -> List[str]:
    """``file:line module`` for every import of a mousescore module outside the public API."""
    found = []
    for path in sorted(Path(folder).rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
        except (SyntaxError, UnicodeDecodeError):
            continue   # a file that does not parse fails the install or the probe with its own message
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                modules = [node.module]
                if node.module == "mousescore":   # a name, or an old module under the package
                    modules += [f"mousescore.{alias.name}" for alias in node.names
                                if alias.name not in mousescore.__all__]
            else:
                continue
            found += [f"{path.relative_to(folder)}:{node.lineno} {module}" for module in modules
                      if module.split(".")[0] == "mousescore" and module not in PUBLIC_MODULES]
    return found


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


def main(argv: List[str]) -> None:
    """``python -m mousescore.submission.check ANSWER_FILE DECLARED_JSON``: the fresh-interpreter probe."""
    answer, declared = argv
    Path(answer).write_text(json.dumps(probe_plugin(json.loads(declared))))


if __name__ == "__main__":
    main(sys.argv[1:])
