"""What a run tells while it goes: each extraction (its images, then its layers and seconds) and each
benchmark as it is scored. On a terminal (stderr) with ``progress`` on, as bars; elsewhere (a log
file, a notebook, a pipe) as lines through the run's ``log``."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from .run_options import RunOptions

Advance = Callable[[int, int], None]    # (images just done, layers recorded so far)


def _stderr_is_a_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):   # a replaced or closed stderr
        return False


class RunReport:
    """The progress of one run, told through ``options.log`` and, on a terminal, bars."""

    def __init__(self, options: RunOptions, n_benchmarks: int):
        self.log = options.log
        self.bars = options.progress and _stderr_is_a_terminal()
        self.n_benchmarks = n_benchmarks
        self.scored = 0
        self._bar = None

    @contextmanager
    def extraction(self, title: str, n_images: int, n_batches: Optional[int]) -> Iterator[Advance]:
        """Around one extraction of ``title`` ('model on stimulus set'): a bar over its images on a
        terminal, else a line before it starts (a set of images is often one batch: nothing would be
        told until it ends)."""
        batches = "" if n_batches is None else f" in {n_batches} batch{'es' if n_batches > 1 else ''}"
        if not self.bars:
            self.log(f"extracting {title}: {n_images} images{batches}")
            yield lambda images, layers: None
            return
        from tqdm import tqdm
        with tqdm(total=n_images, unit="image", desc=f"extracting {title}", file=sys.stderr, leave=False) as bar:
            def advance(images: int, layers: int) -> None:
                bar.set_postfix_str(f"{layers} layers", refresh=False)
                bar.update(images)
            yield advance

    @contextmanager
    def scoring(self, title: str) -> Iterator[None]:
        """Around the scoring of benchmarks that share one extraction (``title``: of what): a bar over
        the run's benchmarks on a terminal."""
        if not self.bars:
            yield
            return
        from tqdm import tqdm
        with tqdm(total=self.n_benchmarks, initial=self.scored, unit="benchmark", desc=f"scoring {title}",
                  file=sys.stderr, leave=False) as bar:
            self._bar = bar
            try:
                yield
            finally:
                self._bar = None

    def scored_one(self, benchmark: str, value: float) -> None:
        """One benchmark scored: its line, told as soon as it is known."""
        self.scored += 1
        line = f"scored {benchmark}: {value:.4f} ({self.scored}/{self.n_benchmarks})"
        if self._bar is None:
            self.log(line)
            return
        with self._bar.external_write_mode(file=sys.stderr):
            self.log(line)
        self._bar.update(1)
