"""Step-by-step progress of a job on stderr (rich), or silence."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


class StepProgress:
    """Step-by-step progress on stderr (rich), or silence.

    Args:
        enabled: show the progress bar (``False``: every step is timed, nothing is shown).
        steps: how many steps the job has (the bar's total).
        title: what the bar is counting.
    """

    def __init__(self, enabled: bool, steps: int, title: str = "training") -> None:
        self.enabled = enabled
        self.steps = steps
        self.title = title
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> StepProgress:
        if self.enabled:
            self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                                      console=Console(stderr=True), transient=False)
            self._progress.start()
            self._task = self._progress.add_task(self.title, total=self.steps)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    @contextmanager
    def step(self, name: str, description: str, timings: dict[str, float]) -> Iterator[None]:
        """Show ``description`` while the block runs; record its seconds under ``name``."""
        if self._progress is not None:
            self._progress.update(self._task, description=description)
        start = time.perf_counter()
        yield
        timings[name] = time.perf_counter() - start
        if self._progress is not None:
            self._progress.advance(self._task)
