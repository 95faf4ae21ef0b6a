"""RunOptions: one object for how a run computes and reports, built from keywords or given whole, to
the same numbers."""
import numpy as np
import pytest

import mousescore
from mousescore import ResultStore, RunOptions, get_registry
from mousescore.scoring.run_options import log_to_stderr

BENCHMARKS = ["allen.VISp-rsa", "allen.VISl_layer4-rsa"]


def test_the_defaults_leave_every_choice_to_the_run():
    options = RunOptions()
    assert (options.batch_size, options.device, options.threads, options.registry, options.store) == (None,) * 5
    assert options.progress is True and options.force is False and options.log is log_to_stderr
    assert options.plugins() is get_registry()
    with pytest.raises(AttributeError):
        options.batch_size = 8            # frozen: a run's options do not change under it


def test_keywords_build_options_over_the_given_ones():
    messages = []
    base = RunOptions(batch_size=16, device="cpu")
    built = RunOptions.build(base, log=messages.append, force=True)
    assert built == RunOptions(batch_size=16, device="cpu", log=messages.append, force=True)
    assert base.force is False                          # the given options are left alone
    assert RunOptions.build(None, log=None).log is log_to_stderr   # log=None: the default, as before
    with pytest.raises(TypeError, match="score_model.. got an unexpected keyword argument 'batchsize'"):
        RunOptions.build(None, "score_model", batchsize=8)
    with pytest.raises(TypeError, match="options must be a RunOptions, not a Registry"):
        mousescore.score_benchmarks("pixels", [], get_registry())


def test_threads_are_set_for_the_run_and_restored():
    import torch
    before = torch.get_num_threads()
    with RunOptions(threads=1).threads_set():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def same(a, b):
    assert (a.model, a.benchmark, a.best_layer) == (b.model, b.benchmark, b.best_layer)
    np.testing.assert_array_equal([a.value, a.error, a.cv_value, a.ceiling], [b.value, b.error, b.cv_value, b.ceiling])
    np.testing.assert_array_equal(a.draws, b.draws)
    assert a.layer_profile == b.layer_profile


def test_keywords_and_options_give_the_same_numbers(real_data, fresh_home):
    messages = []
    by_keywords = mousescore.score_model("pixels", BENCHMARKS, force=True, batch_size=50, progress=False,
                                         log=messages.append, store=ResultStore(fresh_home / "a.sqlite"))
    options = RunOptions(force=True, batch_size=50, progress=False, log=messages.append,
                         store=ResultStore(fresh_home / "b.sqlite"))
    whole = mousescore.score_model("pixels", BENCHMARKS, options)
    through_score = mousescore.score("pixels", BENCHMARKS, options=options)
    assert len(by_keywords) == len(whole) == len(through_score) == 2
    for a, b, c in zip(by_keywords, whole, through_score):
        same(a, b)
        same(a, c)
    # the store given in the options is the one written; the run told its progress through log
    assert ResultStore(fresh_home / "b.sqlite").get("pixels", BENCHMARKS[0]).value == whole[0].value
    assert any(m.startswith("extracting pixels on allen.natural_scenes: 118 images in 3 batches")
               for m in messages), messages
    assert [m.split(":")[0] for m in messages if m.startswith("scored ")][:2] == \
        [f"scored {b}" for b in BENCHMARKS]
