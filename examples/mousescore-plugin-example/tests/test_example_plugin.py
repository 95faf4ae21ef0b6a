from mousescore.testing import check_model

import mousescore_plugin_example


def test_every_model_passes_the_conformance_kit():
    for spec in mousescore_plugin_example.mousescore_models():
        loaded = check_model(spec)
        assert loaded.input_size == 64
