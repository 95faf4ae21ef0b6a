"""Argument types shared by the commands: counts within the machine's bounds, tolerances."""
from __future__ import annotations

import argparse
import math
import os

MAX_BATCH_SIZE = 4096   # images per forward pass; more is a typo, not a batch any accelerator holds


def cpus() -> int:
    return os.cpu_count() or 1


def count(what: str, maximum=None):
    """An argparse type: a whole number from 1 to ``maximum()`` (``what`` names the upper bound)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{value} is not a positive count (at least 1)")
        if maximum is not None and value > maximum():
            raise argparse.ArgumentTypeError(f"{value} is more than {what} ({maximum()})")
        return value
    return parse


def tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or value < 0:   # nan would pass every comparison: nothing could fail
        raise argparse.ArgumentTypeError(f"{text} is not a finite number >= 0")
    return value
