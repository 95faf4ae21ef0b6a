"""The hooks a mousescore plugin can implement.

Every hook returns *lazy specs*: an identifier, metadata and a factory. Listing specs must never build a
network, load weights or read neural data; that happens only when a spec's factory is called.

A plugin is any importable module or object with functions decorated by ``mousescore.hookimpl`` and
named like the hooks below, registered under the entry-point group ``mousescore``::

    [options.entry_points]
    mousescore =
        myplugin = my_package.plugin_module

The built-in plugins (torchvision and timm models, Allen and Cowley benchmarks, the standard metrics)
register exactly this way.
"""
import pluggy

hookspec = pluggy.HookspecMarker("mousescore")


@hookspec
def mousescore_models():
    """Return an iterable of :class:`mousescore.specs.ModelSpec`.

    Each spec's ``factory()`` builds a :class:`mousescore.specs.LoadedModel` (torch module,
    preprocessing, provenance). Give the trained variant the architecture name (``alexnet``) and the
    seeded random-init variant the suffix ``-random`` (``alexnet-random``).
    """


@hookspec
def mousescore_datasets():
    """Return an iterable of :class:`mousescore.specs.DatasetSpec`.

    A dataset names its upstream files (URL + checksum) and a packager that turns the verified files into
    stimuli and assemblies; see :mod:`mousescore.data`.
    """


@hookspec
def mousescore_metrics():
    """Return an iterable of :class:`mousescore.specs.MetricSpec`.

    ``factory(**options)`` returns a metric object with ``reductions()`` (what it needs from each
    layer's activations) and ``score_layer(reduced, target)`` (raw scores per neuroid or site).
    """


@hookspec
def mousescore_benchmarks():
    """Return an iterable of :class:`mousescore.specs.BenchmarkSpec`.

    Identifiers follow ``<dataset>.<site>-<metric>``, e.g. ``allen.VISp-rsa``. ``factory()`` returns a
    :class:`mousescore.benchmark.Benchmark`.
    """
