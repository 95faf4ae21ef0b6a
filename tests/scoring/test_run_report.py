"""RunReport: a run's progress as bars on a terminal and as lines elsewhere, even for one batch."""
import io
import sys
import time

import pytest

from mousescore import RunOptions
from mousescore.scoring.run_report import RunReport


class Terminal(io.StringIO):
    def isatty(self):
        return True


def a_run(report):
    with report.extraction("net on allen.natural_scenes", 118, 1) as advance:
        time.sleep(0.15)             # a bar is redrawn at most every 0.1 s
        advance(118, 185)            # the one batch of the 118 scenes
    with report.scoring("net on allen.natural_scenes"):
        report.scored_one("allen.VISp-rsa", 0.25)
        report.scored_one("allen.VISl-rsa", 0.125)


def test_elsewhere_the_progress_is_told_in_lines(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    messages = []
    a_run(RunReport(RunOptions(log=messages.append), 2))
    assert messages == ["extracting net on allen.natural_scenes: 118 images in 1 batch",
                        "scored allen.VISp-rsa: 0.2500 (1/2)", "scored allen.VISl-rsa: 0.1250 (2/2)"]
    assert sys.stderr.getvalue() == ""


@pytest.mark.parametrize("progress", [True, False])
def test_on_a_terminal_as_bars_unless_progress_is_off(monkeypatch, progress):
    monkeypatch.setattr(sys, "stderr", Terminal())
    messages = []
    a_run(RunReport(RunOptions(log=messages.append, progress=progress), 2))
    bars = sys.stderr.getvalue()
    assert ("extracting net on allen.natural_scenes: 100%" in bars) == progress
    assert ("118/118" in bars and "185 layers" in bars and "scoring net on allen" in bars) == progress
    assert messages[-2:] == ["scored allen.VISp-rsa: 0.2500 (1/2)", "scored allen.VISl-rsa: 0.1250 (2/2)"]
    assert (messages[0].startswith("extracting")) != progress    # the bar tells it instead of a line
