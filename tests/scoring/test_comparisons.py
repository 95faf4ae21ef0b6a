"""The board's comparisons hold their error rates on simulated data where the truth is known (issue 32).

Equal true scores, models of 1, 10 and 150 correlated layers and a 10-layer model 0.03 better, each
scored by the real benchmark code and compared as the board does
(mousescore.scoring.simulated_comparisons). RSA: 118 stimuli, a site RDM from 160 neurons. Per neuron:
antolik2016 V1_region1's 50 stimuli and 103 neurons, ridge fitted within each half. Seeded: the same
replicates every run. The larger runs behind the numbers in the docs: ``python
performance/simulate_comparisons.py`` (seeds from 10,000).

Per neuron ("neurons", 300 replicates, seeds from 10,000), with the delete-one jackknife of the CV
value (each half's ridge refitted without each stimulus): no false "differs" (0/300), the paired 95%
intervals of equal models cover 99.8% (898/900), power for 0.03 95% (SE 1.3%); the Max ranks the
150-layer model above the 1-layer one in 91%, the CV values of the equal models agree to 0.0006. The
intervals are still wider than they need be: an equal pair's CV difference has an empirical SD of
0.0050-0.0052 against an RMS standard error of 0.0080-0.0084 (ratio 0.61-0.64). A leave-one-out
prediction depends on every other stimulus of its half, so the score has a pair part, which a
delete-one jackknife counts twice (as for RSA, where it is corrected; here it is not yet): the claims
err on the safe side. "neurons, independent" (100 replicates): 0/100, coverage 99.7%, power 0% (SD
0.012-0.015 against SE 0.021-0.023: 0.03 is below what 50 stimuli resolve between unrelated models).
Before, bootstrap draws of the first split (stimuli and neurons resampled
together, less the split noise) gave 0/300, 100% and 45% at a ratio of 0.43-0.47: the draws counted the
neuron-by-stimulus spread twice, and subtracting the split noise tripled that error. The xfail below
records the remaining miscalibration.
"""
import json

import pytest

from mousescore.scoring.simulated_comparisons import simulate

NEURON_REPLICATES = 14     # ~3 s of CPU each on one core: ~45 s with the imports


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
    assert max(_sd_over_se(rates)) < 1                      # the SEs are not too small (0.61-0.64 at 300)
    assert rates["power"] >= 0.6                            # 0.03 found in 95% (SE 1.3%) at 300
    # the Max follows the number of layers (91% at 300); the CV value does not
    assert rates["max_ranks_150_above_1"] > 0.6
    assert abs(rates["mean_cv"][2] - rates["mean_cv"][0]) < 0.005 < rates["mean_max"][2] - rates["mean_max"][0]


@pytest.mark.xfail(strict=True, reason="per-neuron SEs are ~1.6x too large: the delete-one jackknife counts "
                                       "the pair part of a leave-one-out score twice (see the module docstring)")
def test_per_neuron_intervals_are_calibrated(per_neuron_rates):
    assert 0.93 <= per_neuron_rates["coverage"] <= 0.97
    assert all(0.8 <= ratio <= 1.25 for ratio in _sd_over_se(per_neuron_rates))
