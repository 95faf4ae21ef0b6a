"""The interfaces plugins implement, as code: what a metric object is, and what metadata a model needs.

The conformance kit (:mod:`mousescore.testing`) checks plugins against these, and the docs test checks
that the hook documentation names them as they are.
"""
from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Collection,
    Hashable,
    Mapping,
    Optional,
    Protocol,
    Tuple,
    runtime_checkable,
)

from .layer_reductions import LayerReductions

if TYPE_CHECKING:   # listing plugins must not import numpy
    import numpy as np

Reduction = Tuple[Hashable, ...]   # a key made by mousescore.numerics.reductions

#: What plugins and users may import: the public API and its documented namespaces. Everything else
#: is internal and may move in any release (checked by import-linter for the built-in plugins and by
#: ``submission check`` for submitted ones).
PUBLIC_MODULES = ("mousescore", "mousescore.config", "mousescore.numerics", "mousescore.numerics.reductions",
                  "mousescore.testing")
#: Metadata every model spec carries: the leaderboard shows how a model was trained and the image
#: size it saw without building it. The conformance kit and ``submission check`` require the same.
MODEL_METADATA = ("family", "architecture_class", "trained", "training", "input_size")
#: Metadata every benchmark spec carries (its identifier is ``<dataset>.<site>-<metric>``).
BENCHMARK_METADATA = ("dataset", "site", "metric")


@runtime_checkable
class Metric(Protocol):
    """A mapping from a layer's reduced features to neural data, scored per unit (neuron or site).

    ``reductions()`` names what the metric needs of each layer's activations (keys made by
    :mod:`mousescore.numerics.reductions`); extraction computes them and nothing else.
    ``layer_scores(reduced, target)`` scores one layer: ``reduced`` is a :class:`LayerReductions`, a
    read-only mapping of those keys to arrays whose ``derive`` method computes once what the metric
    derives from the layer (a decomposition, say), shared between the benchmarks on the same features;
    ``target`` is what the benchmark holds (responses, stimuli × neurons, or RDMs, sites × stimuli ×
    stimuli); it returns one score per unit, NaN where a unit cannot be scored.
    ``error(reduced, target, unit_scores)`` returns ``(error, how it was estimated)`` at the committed
    layer. ``identifier`` and ``options`` say what was computed; they
    go into every score's provenance and into the disk memo's keys. A layer's score is the mean over
    its units (see :class:`AggregatingMetric` for a metric that aggregates otherwise).

    ``independent_units`` (a class attribute, False where a metric leaves it out) says whether each
    unit's score depends on that unit's data alone (each neuron's ridge on its own responses, each
    site's RSA on its own RDM; not PLS, fitted to all neurons at once): then benchmarks sharing units
    (an Allen area and its layers) score each unit once, with the numbers each gets alone. It is also
    what makes resampling units in bootstrap draws sound (whether draws do is the evidence's
    ``resample_units``). Read it with :func:`units_are_independent`.
    """

    identifier: str
    options: Mapping[str, Any]
    if TYPE_CHECKING:   # declared for type checkers only: a runtime isinstance check would otherwise
        independent_units: ClassVar[bool]   # refuse every metric written before it existed

    def reductions(self) -> Collection[Reduction]:
        ...

    def layer_scores(self, reduced: LayerReductions, target: Any) -> np.ndarray:
        ...

    def error(self, reduced: LayerReductions, target: Any,
              unit_scores: np.ndarray) -> Tuple[float, str]:
        ...


def units_are_independent(metric: object) -> bool:
    """Whether ``metric`` scores each unit from that unit's data alone (its ``independent_units``; False
    where it does not say), so that benchmarks sharing units may score them once."""
    return bool(getattr(metric, "independent_units", False))


@runtime_checkable
class Evidence(Protocol):
    """What a layer's per-unit scores come from (``layer_evidence`` returns it): out-of-sample
    predictions beside the responses (:class:`mousescore.numerics.PredictionEvidence`), or the layer's
    RDM beside the sites' (:class:`mousescore.numerics.RDMEvidence`).

    ``scores(weights)`` gives per-unit scores (rows × units) under each row of stimulus weights (bootstrap
    counts, 0/1 halves: a :class:`mousescore.numerics.StimulusWeights` or an array); with None, one row on
    all stimuli, equal to the metric's ``layer_scores``. ``resample_units``: whether bootstrap draws
    resample the units too (neurons sampled from a population; not a benchmark's fixed sites). Evidence
    may add ``subset_scores(subsets)`` (every 0/1 subset's scores and each without one stimulus, in
    closed form) and ``pair_sketch(key)`` (the pair-specific influence of an RDM's pairs), which the
    cross-validated value's uncertainty uses where they are there.
    """

    resample_units: bool

    def scores(self, weights: Optional[Any] = None) -> np.ndarray:
        ...


@runtime_checkable
class ResamplableMetric(Metric, Protocol):
    """A Metric that also exposes the evidence its per-unit scores come from, so that a benchmark
    can give every score a cross-validated layer selection and bootstrap draws (without it, a score
    has the Max alone).

    ``layer_evidence(reduced, target)`` returns its :class:`Evidence`: a
    :class:`mousescore.numerics.PredictionEvidence` (out-of-sample predictions beside the responses),
    a :class:`mousescore.numerics.RDMEvidence` (the layer's RDM beside the sites'), or any object with
    their ``scores(weights)`` and ``resample_units``. A metric whose units are scored independently of
    each other says ``independent_units = True`` (see :class:`Metric`).

    The cross-validated value needs the mapping fitted within each half of the stimuli: a metric that
    fits anything to the stimuli takes ``stimuli`` (indices) in ``layer_evidence(reduced, target,
    stimuli=...)`` and returns the evidence fitted on those stimuli alone (``target`` then holds their
    rows), and may add ``halves_evidence(reduced, target, halves)`` giving every half's at once. A
    metric without ``stimuli`` is taken to fit nothing (as RSA): its halves are its evidence on all
    stimuli, weighted by the half.
    """

    def layer_evidence(self, reduced: LayerReductions, target: Any) -> Evidence:
        ...


@runtime_checkable
class AggregatingMetric(Metric, Protocol):
    """A Metric whose layer score is not the mean over its units: ``layer_value(reduced, target)``
    returns ``(score, unit_scores)``, and the benchmark takes that score as the layer's (Brain-Score's
    PLS convention: the median over neurons per split, then the mean over splits). Such a metric has
    the Max alone: no cross-validated value, no bootstrap draws.
    """

    def layer_value(self, reduced: LayerReductions, target: Any) -> Tuple[float, np.ndarray]:
        ...
