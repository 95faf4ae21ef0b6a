"""mousescore.score: a hand-written module or a feature function scores like a registered plugin."""
import numpy as np
import pytest

import mousescore
from mousescore import LoadedModel, ModelSpec, MousescoreError, Registry, ResultStore, hookimpl

BENCHMARKS = ["antolik2016.V1-rsa", "antolik2016.V1_region1-srp_ridge"]
MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


def small_net(seed=0):
    import torch
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 6, 5, stride=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(4),
                               torch.nn.Flatten(), torch.nn.Linear(96, 10))


class SmallNetPlugin:
    @hookimpl
    def mousescore_models(self):
        def build():
            return LoadedModel(small_net().eval(), input_size=40, mean=MEAN, std=STD, provenance={"seed": 0})

        return [ModelSpec("smallnet-random", build, {"family": "test", "architecture_class": "convolutional",
                                                     "trained": False})]


def quiet(message):
    pass


def same_numbers(a, b, atol=1e-9):
    assert (a.benchmark, a.best_layer) == (b.benchmark, b.best_layer)
    np.testing.assert_allclose(list(a.layer_profile.values()), list(b.layer_profile.values()), atol=atol)
    np.testing.assert_allclose([a.value, a.cv_value, a.ceiling, a.error], [b.value, b.cv_value, b.ceiling, b.error],
                               atol=atol)
    np.testing.assert_allclose(a.draws, b.draws, atol=atol)


def test_a_module_scores_like_the_same_module_registered_as_a_plugin(real_data, fresh_home):
    registry = Registry([SmallNetPlugin()])
    registered = mousescore.score("smallnet-random", BENCHMARKS, registry=registry, log=quiet)
    module = mousescore.score(small_net(), BENCHMARKS, input_size=40, mean=MEAN, std=STD, registry=registry, log=quiet)
    assert len(module) == len(registered) == 2
    for a, b in zip(module, registered):
        same_numbers(a, b)
    assert module[0].model.startswith("Sequential-") and registered[0].model == "smallnet-random"
    # the registered model's scores are stored and reused; the unregistered module's are not stored
    store = ResultStore()
    assert store.get("smallnet-random", BENCHMARKS[0]) is not None
    assert store.get(module[0].model, BENCHMARKS[0]) is None
    assert "weights and structure sha256" in module[0].provenance["model_provenance"]["weights"]


def test_a_feature_function_scores_like_the_module_it_runs(real_data, fresh_home):
    import torch

    from mousescore.extraction.layers import preprocess
    net = small_net().eval()
    loaded = LoadedModel(net, input_size=40, mean=MEAN, std=STD)

    def features(images):          # every layer's output, computed outside mousescore's hooks
        out, x = {}, preprocess(images, loaded)
        with torch.inference_mode():
            for name, layer in net.named_children():
                x = layer(x)
                out[name] = x.numpy().copy()
        return out

    by_function = mousescore.score(features, BENCHMARKS, log=quiet)
    by_module = mousescore.score(net, BENCHMARKS, input_size=40, mean=MEAN, std=STD, log=quiet)
    for a, b in zip(by_function, by_module):
        same_numbers(a, b, atol=1e-6)
    assert by_function[0].model == "features"


def test_layers_by_name_or_glob_and_a_clear_error_for_none(real_data, fresh_home):
    net = small_net()
    chosen = mousescore.score(net, BENCHMARKS[0], input_size=40, layers=["0", "[24]"], log=quiet)
    assert list(chosen[0].layer_profile) == ["0", "2", "4"]
    with pytest.raises(MousescoreError, match="no layer matching.*'conv1'"):
        mousescore.score(net, BENCHMARKS[0], input_size=40, layers="conv1", log=quiet)
    with pytest.raises(MousescoreError, match="cannot score a int"):
        mousescore.score(3, BENCHMARKS[0], log=quiet)


def test_the_feature_cache_keys_a_module_by_its_weights(real_data, fresh_home):
    import torch
    net = small_net()
    messages = []
    mousescore.score(net, BENCHMARKS[0], input_size=40, log=messages.append)
    again = mousescore.score(net, BENCHMARKS[0], input_size=40, log=messages.append)
    assert sum("from the feature cache" in m for m in messages) == 1
    with torch.no_grad():
        net[0].weight[0, 0, 0, 0] += 1.0                     # an edited module is another model
    changed = mousescore.score(net, BENCHMARKS[0], input_size=40, log=messages.append)
    assert sum("from the feature cache" in m for m in messages) == 1
    assert changed[0].model != again[0].model and changed[0].value != again[0].value


def test_results_as_a_table_profiles_comparisons_and_a_plot(real_data, fresh_home, tmp_path):
    one = mousescore.score(small_net(0), BENCHMARKS, input_size=40, name="net0", log=quiet)
    two = mousescore.score(small_net(1), BENCHMARKS, input_size=40, name="net1", log=quiet)
    both = one + two
    table = both.to_pandas()
    assert list(table["model"]) == ["net0", "net0", "net1", "net1"]
    assert (table["interval_low"] <= table["value"]).all() and (table["value"] <= table["interval_high"]).all()
    assert table.loc[0, "value"] == both.get(BENCHMARKS[0], model="net0").value
    profiles = both.profiles()
    assert profiles.shape == (5, 4) and list(profiles.index) == ["0", "1", "2", "3", "4"]
    itself = both.compare("net0", "net0")
    assert (itself["difference"] == 0).all() and (itself["low"] == 0).all() and not itself["significant"].any()
    assert (itself["cv_difference"] == 0).all() and (itself["cv_p"] == 1).all()
    versus = both.compare("net0", "net1")
    assert list(versus["benchmark"]) == BENCHMARKS and (versus["low"] <= versus["high"]).all()
    assert (versus["cv_low"] < versus["cv_difference"]).all() and (versus["cv_difference"] < versus["cv_high"]).all()
    assert (versus["cv_difference"] == versus["net0 CV"] - versus["net1 CV"]).all()
    assert versus["cv_p"].between(0, 1).all()
    ax = both.plot_profile(BENCHMARKS[0])
    ax.figure.savefig(tmp_path / "profile.png")
    profile_lines = [line for line in ax.get_lines() if " · " in line.get_label()]
    assert (tmp_path / "profile.png").stat().st_size > 1000 and len(profile_lines) == 2
    assert "<table" in both._repr_html_() and "net1" in repr(both)
    with pytest.raises(KeyError, match="2 models scored"):
        both.get(BENCHMARKS[0])
