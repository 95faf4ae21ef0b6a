"""The reliability suite: every test records the bad inputs it tries and the faults it injects; the
summary at the end counts them and how many were handled (their test passed)."""
import os

import pytest
from hypothesis import settings

# CI replays the same examples every run (no flaky red); developers explore new ones each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

_tally = {"bad inputs": {}, "faults injected": {}}   # kind -> {(test id, what): test id}


def _recorder(kind, request):
    def record(what: str):
        _tally[kind][(request.node.nodeid, what)] = request.node.nodeid
    return record


@pytest.fixture
def bad_input(request):
    """Call ``bad_input("what")`` for each malformed input a test feeds in."""
    return _recorder("bad inputs", request)


@pytest.fixture
def fault(request):
    """Call ``fault("what")`` for each fault (kill, corruption, race) a test injects."""
    return _recorder("faults injected", request)


def pytest_terminal_summary(terminalreporter):
    if not any(_tally.values()):
        return
    failures = terminalreporter.stats.get("failed", [])
    failed = {report.nodeid for report in failures}
    # a CLI run that ends in "internal error" (exit 1) is a bug, whatever the test expected
    internal = sum(1 for report in failures if "internal error" in str(report.longrepr))
    parts = []
    for kind, items in _tally.items():
        handled = sum(1 for test in items.values() if test not in failed)
        parts.append(f"{kind}: {len(items)} tried, {handled} handled")
    terminalreporter.write_line("reliability suite: " + "; ".join(parts) + f"; internal errors: {internal}")
    by_file = {}
    for kind, items in _tally.items():
        for test in items.values():
            counts = by_file.setdefault(test.split("::")[0].rsplit("/", 1)[-1], {k: 0 for k in _tally})
            counts[kind] += 1
    for name, counts in sorted(by_file.items()):
        terminalreporter.write_line(f"    {name}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
