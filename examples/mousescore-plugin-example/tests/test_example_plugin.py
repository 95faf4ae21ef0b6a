"""mousescore's conformance kit on every model of the plugin: one test per model and check."""
import mousescore_plugin_example

from mousescore.testing import parametrize_with_checks


@parametrize_with_checks(mousescore_plugin_example.mousescore_models())
def test_conformance(spec, check):
    check(spec)
