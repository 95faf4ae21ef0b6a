"""Fault injection for the reliability tests.

With ``MOUSESCORE_INJECT_FAULT=<point>`` the process kills itself with SIGKILL when it reaches that
point, as a crash, a cluster's pre-emption or the OOM killer would: no cleanup code runs. Points:
``extraction`` (after the first batch), ``store-write`` (inside the results transaction, before it
commits), ``package-write`` (while a dataset package is half written).
"""
import os
import signal

from .config import settings


def checkpoint(point: str) -> None:
    if settings().inject_fault == point:
        os.kill(os.getpid(), signal.SIGKILL)
