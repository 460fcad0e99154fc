"""Stopping a training cleanly: SIGTERM (and Ctrl-C) become :class:`TrainingInterrupted`."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TrainingInterrupted(BaseException):
    """Training stopped by SIGTERM or SIGINT: its open runs were ended KILLED, its workers stopped.

    Attributes:
        signum: the signal's number.
        exit_code: ``128 + signum`` (143 for SIGTERM, 130 for SIGINT), as a shell reports it.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"training stopped by {signal.Signals(signum).name}: open runs ended KILLED, "
                         "workers stopped")


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM into :class:`TrainingInterrupted` in this process (from the main thread only).

    The first signal raises; later ones are ignored while the stop is under way. A forked worker
    process that inherited the handler dies of the signal as it would without one.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()
    raised = False

    def handler(signum: int, frame: object) -> None:
        nonlocal raised
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if not raised:
            raised = True
            raise TrainingInterrupted(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
