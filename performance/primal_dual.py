#!/usr/bin/env python
"""Primal against dual ridge, in one process on the same inputs: when a layer has fewer features than
stimuli (p < n: a 512-wide layer on thousands of macaque images), mousescore keeps the centred features
and decomposes their p × p covariance instead of the n × n Gram matrix. Prints both times, the ratio
and the largest difference of the leave-one-out predictions (must be below --tolerance).

    python performance/primal_dual.py --threads 1
"""
import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from mousescore.numerics.ridge import centered_gram, complement_eigh, decompose, loo_predictions, ridge_summary


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["3200x512", "3200x1000", "2000x1500"],
                        help="stimuli x features, features < stimuli")
    parser.add_argument("--targets", type=int, default=200, help="neurons (targets)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: the library's)")
    parser.add_argument("--tolerance", type=float, default=1e-8)
    arguments = parser.parse_args()
    failed = False
    with threadpool_limits(arguments.threads):
        print(f"{'shape':>12} {'dual s':>8} {'primal s':>9} {'dual/primal':>12} {'max |diff|':>11}")
        for shape in arguments.shapes:
            n, p = map(int, shape.split("x"))
            rng = np.random.default_rng(0)
            features = rng.normal(size=(n, p)) + 1.0   # float64, as the projected rows are
            targets = features[:, :10] @ rng.normal(size=(10, arguments.targets)) \
                + rng.normal(size=(n, arguments.targets)) * 5
            # Each path from the layer's features to the predictions (one α, as srp_ridge uses).
            dual, dual_seconds = timed(lambda: loo_predictions(
                None, targets, [1.0], decomposition=complement_eigh(centered_gram(features)))[0])
            primal, primal_seconds = timed(lambda: loo_predictions(
                None, targets, [1.0], decomposition=decompose(ridge_summary(features)))[0])
            difference = float(np.abs(dual - primal).max())
            failed |= not difference < arguments.tolerance
            print(f"{shape:>12} {dual_seconds:8.2f} {primal_seconds:9.3f} {dual_seconds / primal_seconds:11.1f}x"
                  f" {difference:11.1e}")
    print("AGREEMENT:", "FAIL" if failed else "PASS", f"(tolerance {arguments.tolerance:g})")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
