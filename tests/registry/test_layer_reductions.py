"""LayerReductions: a read-only mapping of a layer's reductions, and derive() that computes once."""
import numpy as np
import pytest

from mousescore import LayerReductions
from mousescore.numerics import reductions

GRAM, CORRELATION = reductions.centered_gram(), reductions.correlation()


def layer():
    return LayerReductions({GRAM: np.eye(3), CORRELATION: np.ones((3, 3))})


def test_it_is_a_mapping_of_the_reductions_and_nothing_else():
    reduced = layer()
    assert len(reduced) == 2 and set(reduced) == {GRAM, CORRELATION}
    assert GRAM in reduced and reductions.srp(64, 0) not in reduced
    np.testing.assert_array_equal(reduced[GRAM], np.eye(3))
    assert reduced.get(reductions.srp(64, 0)) is None
    reduced.derive("triangle", lambda: 1.0)
    assert "triangle" not in reduced and len(reduced) == 2     # derived values are not among its items
    assert dict(reduced).keys() == {GRAM, CORRELATION}
    with pytest.raises(KeyError):
        reduced["triangle"]


def test_writing_into_it_raises_type_error():
    reduced = layer()
    with pytest.raises(TypeError):
        reduced[GRAM] = np.zeros((3, 3))
    with pytest.raises(TypeError):
        reduced["derived"] = 1.0
    with pytest.raises(TypeError):
        del reduced[GRAM]
    assert not hasattr(reduced, "__setitem__") and not hasattr(reduced, "update")
    np.testing.assert_array_equal(reduced[GRAM], np.eye(3))


def test_derive_computes_once_per_key():
    reduced, calls = layer(), []

    def compute():
        calls.append(1)
        return np.linalg.eigh(reduced[GRAM])

    first = reduced.derive("eigh", compute)
    assert reduced.derive("eigh", compute) is first and len(calls) == 1
    assert reduced.derive("other", lambda: 2) == 2
    assert reduced.derive("other", lambda: 3) == 2     # kept: the second compute is never called


def test_derive_of_an_object_keeps_the_value_for_that_object_alone():
    reduced, calls = layer(), []
    target, equal = np.arange(3.0), np.arange(3.0)

    def compute(value):
        def run():
            calls.append(value)
            return value
        return run

    assert reduced.derive("fit", compute("first"), of=target) == "first"
    assert reduced.derive("fit", compute("again"), of=target) == "first"         # same object: kept
    assert reduced.derive("fit", compute("equal"), of=equal) == "equal"          # equal is not the same
    assert reduced.derive("fit", compute("back"), of=target) == "back"           # the latest object only
    assert calls == ["first", "equal", "back"]
    assert reduced.derive("fit", compute("unscoped")) == "unscoped"              # its own slot


def test_wrap_wraps_a_plain_mapping_and_returns_a_layer_reductions_itself():
    reduced = layer()
    assert LayerReductions.wrap(reduced) is reduced
    plain = {GRAM: np.eye(2)}
    wrapped = LayerReductions.wrap(plain)
    assert isinstance(wrapped, LayerReductions) and wrapped[GRAM] is plain[GRAM]
    assert plain == {GRAM: plain[GRAM]}          # deriving from the wrapper leaves the dict as it was
    wrapped.derive("x", lambda: 1)
    assert list(plain) == [GRAM]


@pytest.mark.parametrize("identifier, derives", [("srp_ridge", True), ("ridge_gcv", True), ("rsa", True),
                                                 ("pls", False), ("pls_brainscore", True)])
def test_built_in_metrics_score_the_same_from_a_dict_and_share_what_they_derive(identifier, derives):
    """A plain dict (a caller outside scoring) and a LayerReductions give the same numbers; the second
    call on the same LayerReductions reads what the first derived, to the bit."""
    from mousescore import get_registry
    metric = get_registry().get("metric", identifier).factory()
    rng = np.random.default_rng(0)
    features = rng.standard_normal((30, 40)).astype(np.float32)
    responses = features[:, :5].astype(np.float64) @ rng.standard_normal((5, 6)) + rng.standard_normal((30, 6))
    target = (np.stack([1 - np.corrcoef(responses[:, :3]), 1 - np.corrcoef(responses[:, 3:])])
              if identifier == "rsa" else responses)
    plain = {key: reductions.reduce_all(key, features) for key in metric.reductions()}
    reduced = LayerReductions(dict(plain))
    from_dict = metric.layer_scores(plain, target)
    first = metric.layer_scores(reduced, target)
    second = metric.layer_scores(reduced, target)
    np.testing.assert_array_equal(from_dict, first)
    np.testing.assert_array_equal(first, second)
    assert metric.error(reduced, target, first) == metric.error(plain, target, from_dict)
    assert list(plain) == list(metric.reductions())      # nothing was written into the caller's dict
    assert repr(reduced).endswith(" derived)") and ("(1 reductions, 0 derived)" not in repr(reduced)) == derives
