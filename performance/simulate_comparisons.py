#!/usr/bin/env python
"""Error rates of the board's comparisons on simulated data, at more replicates than CI runs.

    python performance/simulate_comparisons.py --replicates 1000 --neuron-replicates 300
    python performance/simulate_comparisons.py --regimes neurons --neuron-replicates 300
    python performance/simulate_comparisons.py --calibrate

Prints, per noise regime of mousescore.scoring.simulated_comparisons (RSA on 118 stimuli, and per
neuron by ridge on 50 stimuli and 103 neurons), the family-wise rate of a false "differs" among equal
models of 1, 10 and 150 layers, the coverage of their paired 95% intervals, the power for a true
difference of 0.03 (0.06 in "neurons, +0.06"), how often the Max ranks the 150-layer model above the
1-layer one, with binomial standard errors, and per equal pair the empirical SD of its CV difference
beside the RMS of its standard errors. A per-neuron replicate costs ~2.5 s on one core (its 150-layer
model 90% of it: 100 ridge fits per layer), an RSA one ~0.25 s. The replicates' seeds start after those
tests/scoring/test_comparisons.py uses, so the two are independent measurements.

``--calibrate`` measures what each regime's extra signal adds to the better model on single layers
(mean difference of CV values and of Max, 200 replicates): the constants' documented +0.03.
"""
from __future__ import annotations

import argparse
import json
import time

from mousescore.scoring.simulated_comparisons import NEURON_REGIMES, REGIMES, calibrate, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    every = list(REGIMES) + list(NEURON_REGIMES)
    parser.add_argument("--replicates", type=int, default=1000, help="per RSA regime")
    parser.add_argument("--neuron-replicates", type=int, default=300, help="per per-neuron regime")
    parser.add_argument("--regimes", nargs="+", default=every, choices=every)
    parser.add_argument("--first-seed", type=int, default=10_000)
    parser.add_argument("--calibrate", action="store_true", help="measure the extra signal's difference instead")
    args = parser.parse_args()
    for regime in args.regimes:
        begun = time.perf_counter()
        if args.calibrate:
            measured = calibrate(200, regime, first_seed=50_000)
        else:
            replicates = args.neuron_replicates if regime in NEURON_REGIMES else args.replicates
            measured = simulate(replicates, regime, args.first_seed)
        measured["seconds"] = round(time.perf_counter() - begun, 1)
        noise = NEURON_REGIMES.get(regime, REGIMES.get(regime))
        print(json.dumps({"regime": regime, "noise": noise, **measured}), flush=True)


if __name__ == "__main__":
    main()
