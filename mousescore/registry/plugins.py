"""Find plugins through the ``mousescore`` entry-point group and resolve identifiers to specs.

One broken plugin (import error, hook that raises, malformed specs) is recorded in ``problems`` under
its name and left out; every other plugin keeps working. That includes a plugin that calls
``sys.exit()`` or raises another ``BaseException`` (``GeneratorExit``...) at import or in a hook: only
``KeyboardInterrupt`` (the user's Ctrl-C) goes through. An identifier claimed by several plugins (a
plugin re-registering a built-in's) is a conflict: :meth:`Registry.conflicts` names the claimants,
listing shows it, and :meth:`Registry.get` refuses it rather than pick one.
"""
from __future__ import annotations

import difflib
import fnmatch
from importlib.metadata import entry_points
from typing import Any, Dict, Iterable, List, Optional

import pluggy

import mousescore.registry.hookspecs as hookspecs  # the module: pluggy reads its hooks

from ..errors import DuplicateIdentifier, MousescoreError, UnknownIdentifier
from .specs import BenchmarkSpec, DatasetSpec, MetricSpec, ModelSpec

ENTRY_POINT_GROUP = "mousescore"
KINDS = {"model": ModelSpec, "benchmark": BenchmarkSpec, "metric": MetricSpec, "dataset": DatasetSpec}


class Registry:
    def __init__(self, extra_plugins: Iterable = (), load_entry_points: bool = True):
        self.pm = pluggy.PluginManager("mousescore")
        self.pm.add_hookspecs(hookspecs)
        self.problems: Dict[str, str] = {}   # plugin name -> what went wrong
        if load_entry_points:
            for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
                try:
                    self._register(ep.load(), ep.name)
                except KeyboardInterrupt:
                    raise
                except BaseException as error:  # a plugin's import may fail in any way, sys.exit() too
                    self.problems[ep.name] = f"failed to load ({_describe(error)})"
        for plugin in extra_plugins:
            self._register(plugin, None)
        self._specs: Dict[str, Dict[str, object]] = {}
        self._owners: Dict[str, Dict[str, List[str]]] = {}

    def _register(self, plugin, name: Optional[str]) -> None:
        """Register a plugin; a hook implementation that matches no hook (a misspelling, which
        pluggy's ``check_pending`` would raise on for the whole process) is this plugin's problem."""
        name = self.pm.register(plugin, name=name)
        if name is None:      # blocked by pluggy: nothing of it is called
            return
        unknown = [caller.name for caller in self.pm.get_hookcallers(plugin) or () if not caller.has_spec()]
        if unknown:
            hooks = [h for h in dir(hookspecs) if h.startswith("mousescore_")]
            hints = [difflib.get_close_matches(u, hooks, n=1) for u in unknown]
            self.problems[name] = "implements unknown hook(s) " + ", ".join(
                f"'{u}'" + (f" (did you mean '{hint[0]}'?)" if hint else "") for u, hint in zip(unknown, hints))

    def _collect(self, kind: str) -> None:
        if kind in self._specs:
            return
        spec_class = KINDS[kind]
        specs: Dict[str, Any] = {}
        owners: Dict[str, List[str]] = {}
        hook = getattr(self.pm.hook, f"mousescore_{kind}s")
        for impl in hook.get_hookimpls():
            name = impl.plugin_name
            try:
                returned: List[Any] = list(impl.function() or [])
                for spec in returned:
                    identifier = getattr(spec, "identifier", None)
                    if not isinstance(spec, spec_class) or not isinstance(identifier, str) \
                            or not identifier or not callable(getattr(spec, "factory", None)
                                                                   or getattr(spec, "packager", None)):
                        raise TypeError(f"returned {spec!r}, not a valid {spec_class.__name__}")
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # sys.exit() in a hook is that plugin's failure, not the process's
                self.problems[name] = f"mousescore_{kind}s hook failed ({_describe(error)})"
                continue
            for spec in returned:
                owners.setdefault(spec.identifier, []).append(name)
                specs.setdefault(spec.identifier, spec)
        self._specs[kind], self._owners[kind] = specs, owners

    def identifiers(self, kind: str) -> List[str]:
        self._collect(kind)
        return sorted(self._specs[kind])

    def entries(self, kind: str):
        """(identifier, spec, plugin) for listing, duplicates included (first registration's spec)."""
        self._collect(kind)
        return [(i, self._specs[kind][i], self._owners[kind][i][0]) for i in sorted(self._specs[kind])]

    def conflicts(self, kind: str) -> Dict[str, List[str]]:
        """identifier -> the plugins that all register it, for every identifier claimed more than once."""
        self._collect(kind)
        return {i: list(owners) for i, owners in sorted(self._owners[kind].items()) if len(owners) > 1}

    def owner(self, kind: str, identifier: str) -> str:
        self._collect(kind)
        return self._owners[kind][identifier][0]

    def get(self, kind: str, identifier: str):
        self._collect(kind)
        if identifier not in self._specs[kind]:
            raise UnknownIdentifier(kind, identifier, self._specs[kind])
        owners = self._owners[kind][identifier]
        if len(owners) > 1:
            raise DuplicateIdentifier(f"{kind} '{identifier}' is registered by several plugins "
                                      f"({', '.join(sorted(owners))}), so it is not clear which one is meant: "
                                      f"uninstall all but one of them")
        return self._specs[kind][identifier]

    def match(self, kind: str, patterns: Iterable[str]) -> List[str]:
        """Expand identifiers and shell globs (``'allen.*-rsa'``) in order, without repeats."""
        found: List[str] = []
        for pattern in patterns:
            if any(c in pattern for c in "*?["):
                hits = fnmatch.filter(self.identifiers(kind), pattern)
                if not hits:
                    raise MousescoreError(f"no {kind} matches '{pattern}' "
                                          f"(`mousescore list {kind}s` shows all)")
            else:
                self.get(kind, pattern)
                hits = [pattern]
            found.extend(h for h in hits if h not in found)
        return found


def _describe(error: BaseException) -> str:
    """An exception as one phrase; ``sys.exit(3)`` reads as what it is, not as a bare ``SystemExit: 3``."""
    if isinstance(error, SystemExit):
        return f"called sys.exit({error.code!r})"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


_default: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry over installed plugins (built on first use)."""
    global _default
    if _default is None:
        _default = Registry()
    return _default
