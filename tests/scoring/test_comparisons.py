"""The board's comparisons hold their error rates on simulated data where the truth is known (issue 32).

Equal true scores, models of 1, 10 and 150 correlated layers and a 10-layer model 0.03 better, each
scored by the real benchmark code and compared as the board does
(mousescore.scoring.simulated_comparisons). RSA: 118 stimuli, a site RDM from 160 neurons. Per neuron:
antolik2016 V1_region1's 50 stimuli and 103 neurons, ridge fitted within each half. Seeded: the same
replicates every run. The larger runs behind the numbers in the docs: ``python
performance/simulate_comparisons.py`` (seeds from 10,000).

Per neuron ("neurons", 300 replicates, seeds from 10,000, ~2.6 s each on one core): no false
"differs" (0/300), the paired 95% intervals of equal models cover 100% (900/900), power for 0.03 45%
(SE 3%); the Max ranks the 150-layer model above the 1-layer one in 91%, the CV values of the equal
models agree to 0.0006. "neurons, +0.06" (60): 0/60, 180/180, power 100%. "neurons, independent"
(100): 0/100, 300/300, power 0%. The intervals are too wide: an equal pair's CV difference has an
empirical SD of 0.0050-0.0052 against an RMS standard error of 0.011-0.012 (ratio 0.43-0.47, +-0.02;
independent: 0.012-0.015 against 0.030-0.032), so the claims are safe but 0.03, which 50 stimuli do
resolve (the better model's difference to its twin has SD 0.005), is found in under half the
replicates. Why (models of 1 and 10 layers, 200 replicates; and nested, 12 neuron populations x 16
replicates each): the variance is Var(draws) - (1 - 1/S) Var(splits), where the draws of split 0's
value T0 resample the stimuli and the neurons together. For an equal pair Var(draws) is 1.85e-4 against
a true Var(T0) of 0.9e-4 to 1.1e-4, nearly all of it from the stimuli (8.8e-5 with the neurons held
fixed, 0.3e-5 between neuron populations); the stimuli alone give 7.3e-5 and the neurons alone 8.5e-5:
resampling the neurons adds the neuron-by-stimulus spread a second time. The subtraction of the split
noise (6.2e-5) then leaves 1.2e-4 against a true 2.7e-5 to 3.2e-5: it multiplies any relative error of
Var(draws) by Var(T0) / Var(CV value), ~3, which is also why draws of the stimuli alone would give too
little (1.2e-5). The stored draws cannot be taken apart afterwards, so uncertainty.py is unchanged; the
xfail below records the miscalibration.
"""
import json

import pytest

from mousescore.scoring.simulated_comparisons import simulate

NEURON_REPLICATES = 14     # ~2.2 s of CPU each on one core: ~35 s with the imports


def test_comparisons_hold_their_error_rates_for_models_of_one_family():
    rates = simulate(300, "family")
    print("\nfamily regime:", json.dumps(rates))
    assert rates["false_differs"] <= 0.05                 # family-wise, Holm over the six pairs
    assert 0.93 <= rates["coverage"] <= 0.97               # paired 95% intervals of equal models
    assert rates["power"] >= 0.80                          # a true difference of 0.03 found
    # the Max follows the number of layers; the CV value does not
    assert rates["max_ranks_150_above_1"] > 0.7
    assert abs(rates["mean_cv"][2] - rates["mean_cv"][0]) < 0.005 < rates["mean_max"][2] - rates["mean_max"][0]


def test_comparisons_of_independent_models_make_no_false_claims():
    rates = simulate(40, "independent", first_seed=1000)
    print("\nindependent regime:", json.dumps(rates))
    assert rates["false_differs"] <= 0.05
    assert rates["coverage"] >= 0.93


@pytest.fixture(scope="module")
def per_neuron_rates():
    rates = simulate(NEURON_REPLICATES, "neurons")
    print(f"\nper-neuron regime ({NEURON_REPLICATES} replicates):", json.dumps(rates))
    return rates


def _sd_over_se(rates):
    """Per equal pair, the empirical SD of its CV difference over the RMS of its standard errors."""
    return [sd / se for sd, se in zip(rates["equal_pairs_sd"], rates["equal_pairs_rms_se"])]


def test_per_neuron_comparisons_make_no_false_claims(per_neuron_rates):
    rates = per_neuron_rates
    assert rates["false_differs"] <= 0.05                  # 0 of 300 in the larger run
    assert rates["coverage"] >= 0.93                        # 900 of 900 in the larger run
    assert max(_sd_over_se(rates)) < 1                      # the SEs are not too small (0.45 at 300)
    assert rates["power"] >= 0.2                            # 0.03 found in 45% (SE 3%) at 300
    # the Max follows the number of layers (91% at 300); the CV value does not
    assert rates["max_ranks_150_above_1"] > 0.6
    assert abs(rates["mean_cv"][2] - rates["mean_cv"][0]) < 0.005 < rates["mean_max"][2] - rates["mean_max"][0]


@pytest.mark.xfail(strict=True, reason="per-neuron SEs are ~2.2x too large: the draws resample stimuli and "
                                       "neurons together (see the module docstring)")
def test_per_neuron_intervals_are_calibrated(per_neuron_rates):
    assert 0.93 <= per_neuron_rates["coverage"] <= 0.97
    assert all(0.8 <= ratio <= 1.25 for ratio in _sd_over_se(per_neuron_rates))
