"""What a metric receives of one layer: the reductions extraction computed (read-only), and a memo of
what metrics derive from them, each derivation computed once for every benchmark on those features."""
from __future__ import annotations

from typing import Any, Callable, Dict, Hashable, Iterator, Mapping, Optional, Tuple, TypeVar

T = TypeVar("T")


class LayerReductions(Mapping):
    """A read-only mapping from reduction keys (:mod:`mousescore.numerics.reductions`) to one layer's
    arrays, as extraction computed them, with ``derive`` for what a metric computes from them.

    A metric reads ``reduced[key]`` as from any mapping and never writes into it (assignment raises
    ``TypeError``): what it derives (an eigendecomposition, an RDM's triangle) it asks for with
    ``reduced.derive(key, compute)``, which calls ``compute()`` the first time and returns the kept value
    after, so that every benchmark scored on the same features (27 Allen sites, say) shares it. Keys are
    the metric's own (include its identifier and options where they change the value); derived values
    are not among the mapping's items.
    """

    def __init__(self, reductions: Mapping[Any, Any]):
        self._reductions = reductions
        self._derived: Dict[Hashable, Any] = {}
        self._scoped: Dict[Hashable, Tuple[object, Any]] = {}

    @classmethod
    def wrap(cls, reduced: Mapping[Any, Any]) -> "LayerReductions":
        """``reduced`` itself where it is one, else one over that plain mapping (a test's dict, a caller
        of a metric outside scoring): what is derived from it then lasts as long as that object."""
        return reduced if isinstance(reduced, LayerReductions) else cls(reduced)

    def __getitem__(self, key: Hashable) -> Any:
        return self._reductions[key]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._reductions)

    def __len__(self) -> int:
        return len(self._reductions)

    def __repr__(self) -> str:
        return (f"LayerReductions({len(self)} reductions, "
                f"{len(self._derived) + len(self._scoped)} derived)")

    def derive(self, key: Hashable, compute: Callable[[], T], of: Optional[object] = None) -> T:
        """``compute()``, computed once for ``key`` and kept with the layer. ``of``: the value also depends
        on that object (the benchmark's target, say) and is kept for it, the latest such object only: with
        another object (even an equal one) under the same key it is computed again and replaces the
        first, so that a layer keeps one value per key however many targets are scored on it."""
        if of is None:
            if key not in self._derived:
                self._derived[key] = compute()
            return self._derived[key]
        kept = self._scoped.get(key)
        if kept is None or kept[0] is not of:
            kept = self._scoped[key] = (of, compute())
        return kept[1]
