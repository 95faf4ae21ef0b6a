"""The interfaces plugins implement, as code: what a metric object is, and what metadata a model needs.

The conformance kit (:mod:`mousescore.testing`) checks plugins against these, and the docs test checks
that the hook documentation names them as they are.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Collection, Hashable, Mapping, Protocol, Tuple, runtime_checkable

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
    ``layer_scores(reduced, target)`` scores one layer: ``reduced`` maps those keys to arrays (the
    metric may add keys made by :func:`~mousescore.numerics.reductions.decomposition` to share work
    between benchmarks on the same features), ``target`` is what the benchmark holds (responses,
    stimuli × neurons, or RDMs, sites × stimuli × stimuli); it returns one score per unit, NaN where a
    unit cannot be scored. ``error(reduced, target, unit_scores)`` returns ``(error, how it was
    estimated)`` at the committed layer. ``identifier`` and ``options`` say what was computed; they
    go into every score's provenance and into the disk memo's keys. A layer's score is the mean over
    its units (see :class:`AggregatingMetric` for a metric that aggregates otherwise).
    """

    identifier: str
    options: Mapping[str, Any]

    def reductions(self) -> Collection[Reduction]:
        ...

    def layer_scores(self, reduced: Mapping[Reduction, np.ndarray], target: Any) -> np.ndarray:
        ...

    def error(self, reduced: Mapping[Reduction, np.ndarray], target: Any,
              unit_scores: np.ndarray) -> Tuple[float, str]:
        ...


@runtime_checkable
class ResamplableMetric(Metric, Protocol):
    """A Metric that also exposes the evidence its per-unit scores come from, so that a benchmark
    can give every score a cross-validated layer selection and bootstrap draws (without it, a score
    has the Max alone).

    ``layer_evidence(reduced, target)`` returns a :class:`mousescore.numerics.PredictionEvidence`
    (out-of-sample predictions beside the responses) or :class:`mousescore.numerics.RDMEvidence` (the
    layer's RDM beside the sites'), or any object with their ``scores(weights)`` (per-unit scores under
    each row of stimulus weights; all stimuli once for None, equal to ``layer_scores``) and
    ``resample_units`` (whether bootstrap draws resample the units too). A metric whose units are
    scored independently of each other (each neuron's ridge depends on that neuron alone, unlike
    PLS) may say ``independent_units = True``: benchmarks sharing neurons then score each once.

    The cross-validated value needs the mapping fitted within each half of the stimuli: a metric that
    fits anything to the stimuli takes ``stimuli`` (indices) in ``layer_evidence(reduced, target,
    stimuli=...)`` and returns the evidence fitted on those stimuli alone (``target`` then holds their
    rows), and may add ``halves_evidence(reduced, target, halves)`` giving every half's at once. A
    metric without ``stimuli`` is taken to fit nothing (as RSA): its halves are its evidence on all
    stimuli, weighted by the half.
    """

    def layer_evidence(self, reduced: Mapping[Reduction, np.ndarray], target: Any) -> Any:
        ...


@runtime_checkable
class AggregatingMetric(Metric, Protocol):
    """A Metric whose layer score is not the mean over its units: ``layer_value(reduced, target)``
    returns ``(score, unit_scores)``, and the benchmark takes that score as the layer's (Brain-Score's
    PLS convention: the median over neurons per split, then the mean over splits). Such a metric has
    the Max alone: no cross-validated value, no bootstrap draws.
    """

    def layer_value(self, reduced: Mapping[Reduction, np.ndarray], target: Any) -> Tuple[float, np.ndarray]:
        ...
