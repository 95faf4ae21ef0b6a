#!/usr/bin/env python
"""Error rates of the board's comparisons on simulated data, at more replicates than CI runs.

    python performance/simulate_comparisons.py --replicates 1000

Prints, per noise regime of mousescore.scoring.simulated_comparisons, the family-wise rate of a false
"differs" among equal models of 1, 10 and 150 layers, the coverage of their paired 95% intervals, the
power for a true difference of 0.03, and how often the Max ranks the 150-layer model above the 1-layer
one, with binomial standard errors. The replicates' seeds start after those tests/scoring/
test_comparisons.py uses, so the two are independent measurements.
"""
from __future__ import annotations

import argparse
import json
import time

from mousescore.scoring.simulated_comparisons import REGIMES, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=list(REGIMES))
    parser.add_argument("--first-seed", type=int, default=10_000)
    args = parser.parse_args()
    for regime in args.regimes:
        begun = time.perf_counter()
        rates = simulate(args.replicates, regime, args.first_seed)
        rates["seconds"] = round(time.perf_counter() - begun, 1)
        print(json.dumps({"regime": regime, "noise": REGIMES[regime], **rates}), flush=True)


if __name__ == "__main__":
    main()
