"""The hooks a mousescore plugin can implement.

Every hook returns *lazy specs*: an identifier, metadata and a factory. Listing specs must never build a
network, load weights or read neural data; that happens only when a spec's factory is called.

A plugin is any importable module or object with functions decorated by ``mousescore.hookimpl`` and
named like the hooks below, registered under the entry-point group ``mousescore``::

    [project.entry-points.mousescore]
    myplugin = "my_package"

The built-in plugins (torchvision and timm models, Allen and Cowley benchmarks, the standard metrics)
register exactly this way. A function named ``mousescore_...`` that is not one of these hooks (a
misspelling) is reported as that plugin's problem.
"""
from __future__ import annotations

from typing import Iterable

import pluggy

from .specs import BenchmarkSpec, DatasetSpec, MetricSpec, ModelSpec

hookspec = pluggy.HookspecMarker("mousescore")


@hookspec
def mousescore_models() -> Iterable[ModelSpec]:
    """Return an iterable of :class:`mousescore.ModelSpec`.

    Each spec's ``factory()`` builds a :class:`mousescore.LoadedModel` (torch module in eval mode,
    input size, normalisation, provenance). Give the trained variant the architecture name
    (``alexnet``) and the seeded random-init variant the suffix ``-random`` (``alexnet-random``);
    :func:`mousescore.trained_and_random` makes both. The metadata holds every key of
    :data:`mousescore.MODEL_METADATA`. A model that needs files (trained weights) declares them with
    ``weights=``: a cheap function returning their local path or None (:func:`mousescore.locate_weights`
    looks where :func:`mousescore.resolve_weights` would), so ``mousescore list models --available``
    can tell what builds offline.
    """


@hookspec
def mousescore_datasets() -> Iterable[DatasetSpec]:
    """Return an iterable of :class:`mousescore.DatasetSpec`.

    A dataset names its upstream files (:class:`mousescore.RemoteFile`: URL + checksum) and a
    ``packager(files)`` that turns the verified local files into named products (stimuli,
    assemblies); :func:`mousescore.load_dataset` runs it once and caches the products as netCDF.
    """


@hookspec
def mousescore_metrics() -> Iterable[MetricSpec]:
    """Return an iterable of :class:`mousescore.MetricSpec`.

    ``factory(**options)`` returns an object implementing :class:`mousescore.Metric`: ``identifier``,
    ``options``, ``reductions()`` (what it needs of each layer's activations),
    ``layer_scores(reduced, target)`` (one score per neuron or site; ``reduced`` is the layer's
    :class:`mousescore.LayerReductions`, read-only, whose ``derive`` keeps what the metric derives) and
    ``error(reduced, target, unit_scores)`` (the error at the committed layer and how it was estimated).
    A metric that is also a :class:`mousescore.ResamplableMetric` (all the built-in ones) exposes its
    evidence, and its scores get a cross-validated value and bootstrap draws.
    """


@hookspec
def mousescore_benchmarks() -> Iterable[BenchmarkSpec]:
    """Return an iterable of :class:`mousescore.BenchmarkSpec`.

    Identifiers follow ``<dataset>.<site>-<metric>``, e.g. ``allen.VISp-rsa``; the metadata holds
    every key of :data:`mousescore.BENCHMARK_METADATA`. ``factory()`` returns a
    :class:`mousescore.Benchmark`, usually made by :func:`mousescore.neural_benchmark` or
    :func:`mousescore.rdm_benchmark`.
    """
