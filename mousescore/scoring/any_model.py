"""Score any model from Python: a registered identifier, a network file (``.onnx``, ``.tflite``), a
``torch.nn.Module`` or a feature function.

No plugin and no registration: ``mousescore.score(module, "allen.*-rsa", input_size=224)`` builds
what extraction needs around the module, and the feature cache keys it by the sha256 of its weights,
its structure (every submodule's repr and the code of its module classes) and its preprocessing
function's code, where it has one, so a changed module is extracted again.
A feature function ``images -> {layer name: array}`` (JAX, TensorFlow, precomputed features) is called
on every score: what it computes cannot be fingerprinted. Scores of unregistered models are not put in
the result store (they would be exported with the leaderboard's records) unless a ``store`` is given.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, List, Optional, Sequence, Set, Union

from ..errors import MousescoreError
from ..extraction.feature_cache import model_digest
from ..extraction.functions import FeatureFunction, select_layers
from ..extraction.layers import recorded_modules
from ..registry.plugins import Registry
from ..registry.specs import LoadedModel
from ..results.score import Score
from ..results.store import ResultStore
from ..results.table import Results
from .benchmark import Benchmark
from .benchmark_cache import built_benchmark, data_state
from .model_files import IMAGENET_MEAN, IMAGENET_STD, is_model_file, load_model_file, model_file_id
from .run_options import RunOptions
from .score_model import plugin_identity, score_built, score_model

BenchmarksArgument = Union[str, Benchmark, Sequence[Union[str, Benchmark]]]


def score(model: Any, benchmarks: BenchmarksArgument, *, name: Optional[str] = None,
          layers: Optional[Union[str, Sequence[str]]] = None, input_size: Optional[int] = None,
          mean: Optional[Sequence[float]] = None, std: Optional[Sequence[float]] = None,
          channel_order: Optional[str] = None, preprocess: Optional[Callable] = None,
          options: Optional[RunOptions] = None, **run: Any) -> Results:
    """Score ``model`` on ``benchmarks`` and return the scores as :class:`Results`.

    ``model``: a registered identifier, the path of a network file (``.onnx``, ``.tflite``: see
    :mod:`mousescore.scoring.model_files`; its input size, layout and type are read from it, and
    ``input_size``, ``mean``, ``std`` and ``channel_order`` override them), a ``torch.nn.Module`` (images
    are resized to ``input_size``, default 224, and normalised with ``mean``/``std``, default ImageNet's,
    or given to ``preprocess(images) -> tensor`` as (n, h, w, c) floats in [0, 1]), or a callable
    ``images -> {layer name: array with one row per image}``.
    ``benchmarks``: identifiers, globs (``"allen.*-rsa"``) or :class:`Benchmark` objects (own data).
    ``layers``: layer names or globs to score (default: every leaf module, or every returned layer).
    ``name``: the model's name in the scores (default: the identifier, the module's class and a digest
    of its weights and structure, or the function's name).
    ``options``: how to run (a :class:`RunOptions`: batch size, device, threads, progress, log,
    registry, store, force); ``run``: the same as keywords, over ``options`` (``force=True``,
    ``store=ResultStore(...)``, ``log=lambda message: None`` for silence...).
    """
    options = RunOptions.build(options, "score", **run)
    options = replace(options, registry=options.plugins())
    chosen, from_registry = _benchmarks(benchmarks, options.plugins())
    if is_model_file(model):
        model_id = name or model_file_id(model)
        loaded = load_model_file(model, input_size, mean, std, channel_order)

        def build():
            return _with_layers(loaded, layers, model_id) if isinstance(loaded, LoadedModel) else \
                replace(loaded, layers=layers)
    elif isinstance(model, str):
        given = [k for k, v in (("input_size", input_size), ("mean", mean), ("std", std),
                                ("channel_order", channel_order)) if v is not None]
        if given:
            raise MousescoreError(f"{', '.join(given)}: for a network file or a module; registered model "
                                  f"{model!r} brings its own input format")
        return Results(_registered(model, chosen, from_registry, layers, options))
    elif _is_module(model):
        if channel_order is not None:
            raise MousescoreError("channel_order is for network files; give a module its own preprocess")
        digest = model_digest(model)
        model_id = name or f"{type(model).__name__}-{digest[:10]}"
        provenance = {"weights": f"unregistered {type(model).__module__}.{type(model).__qualname__}, "
                                 f"weights and structure sha256 {digest}"}

        def build() -> LoadedModel:
            loaded = LoadedModel(module=model.eval(), input_size=input_size or 224, mean=tuple(mean or IMAGENET_MEAN),
                                 std=tuple(std or IMAGENET_STD), provenance=provenance, preprocess=preprocess)
            return _with_layers(loaded, layers, model_id)
    elif callable(model):
        model_id = name or getattr(model, "__name__", type(model).__name__)
        feature_function = FeatureFunction(function=model, layers=layers, provenance={
            "features": f"feature function {getattr(model, '__module__', '')}."
                        f"{getattr(model, '__qualname__', type(model).__name__)}"})

        def build() -> FeatureFunction:
            return feature_function
    else:
        raise MousescoreError(f"cannot score a {type(model).__name__}: pass a registered model identifier, "
                              "a torch.nn.Module, or a function images -> {layer name: array}")
    return Results(score_built(model_id, build, chosen, options))


def _registered(model_id: str, benchmarks: List[Benchmark], from_registry: Set[int], layers,
                options: RunOptions) -> List[Score]:
    """A registered model: stored scores of registered benchmarks are reused and new ones stored,
    unless ``layers`` narrows the model (its scores are then not the model's own: the store is left
    alone)."""
    registry = options.plugins()
    spec = registry.get("model", model_id)
    plugin = plugin_identity(registry, model_id)
    if layers is not None:
        return score_built(model_id, lambda: _with_layers(spec.factory(), layers, model_id), benchmarks,
                           replace(options, store=None), plugin=plugin)
    options = replace(options, store=options.store or ResultStore())
    registered = [b.identifier for b in benchmarks if id(b) in from_registry]
    own = [b for b in benchmarks if id(b) not in from_registry]
    scored = {}
    if registered:
        scored.update({s.benchmark: s for s in score_model(model_id, registered, options)})
    own_scores = score_built(model_id, spec.factory, own, options, plugin=plugin)
    by_object = dict(zip(map(id, own), own_scores))
    return [by_object[id(b)] if id(b) in by_object else scored[b.identifier] for b in benchmarks]


def _benchmarks(benchmarks: BenchmarksArgument, registry: Registry):
    """Benchmark objects for identifiers, globs and objects, in order, without repeats; and the ids
    of those that came from the registry."""
    items = [benchmarks] if isinstance(benchmarks, (str, Benchmark)) else list(benchmarks)
    if not items:
        raise MousescoreError("no benchmarks given")
    state, chosen, from_registry = data_state(), [], set()
    for item in items:
        if isinstance(item, Benchmark):
            found = [item]
        elif isinstance(item, str):
            found = [built_benchmark(registry, identifier, state) for identifier in registry.match("benchmark", [item])]
            from_registry.update(map(id, found))
        else:
            raise MousescoreError(f"a benchmark is an identifier, a glob or a Benchmark, not a {type(item).__name__}")
        chosen.extend(b for b in found if not any(b is c for c in chosen))
    return chosen, from_registry


def _with_layers(loaded: LoadedModel, patterns, model_id: str) -> LoadedModel:
    """The model recording only the layers matching ``patterns``: globs match its default layers
    (leaf modules), an exact name any module (a block, say)."""
    if patterns is None:
        return loaded
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    default = list(recorded_modules(loaded.module, loaded.layers))
    named = [n for n, _ in loaded.module.named_modules() if n]
    exact = [p for p in patterns if p in named and p not in default]
    globs = [p for p in patterns if p not in exact]
    chosen = set(select_layers(default, globs, model_id) if globs else []) | set(exact)
    loaded.layers = [n for n in named if n in chosen]
    return loaded


def _is_module(model) -> bool:
    try:
        import torch
    except ImportError:    # a feature function without torch installed
        return False
    return isinstance(model, torch.nn.Module)

