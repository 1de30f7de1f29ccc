"""The progress display of ``run`` and ``report``: fitting, figures, report, on a terminal only.

Shown with ``rich`` on standard error when it is a terminal and the command is not
``--quiet``; otherwise nothing is printed. Fetching live prices has its own bar
(:mod:`eventstudy.sources.live`), so a stage here is only active while no other display is.
The fitting stage appears only when fitting takes longer than :data:`FITTING_DELAY` seconds.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventstudy.cli.options import Verbosity, verbosity

FITTING_DELAY = 2.0  # seconds before the fitting spinner appears
STAGE_LABELS = {"figures": "drawing figures", "report": "writing the report"}


def progress_wanted(args: argparse.Namespace) -> bool:
    """A progress display only on a terminal, and never with ``--quiet``."""
    if verbosity(args) is Verbosity.QUIET:
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class StageProgress:
    """One transient rich display with a bar per stage; callable as ``(stage, done, total)``."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._display = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=True)
        self._tasks: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._display.add_task(STAGE_LABELS.get(stage, stage), total=total)
        self._display.update(self._tasks[stage], completed=done, total=total)

    def spinner(self, label: str) -> Any:
        """A task without a total (an indeterminate bar)."""
        return self._display.add_task(label, total=None)

    def __enter__(self) -> StageProgress:
        self._display.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._display.stop()


@contextmanager
def stage_progress(args: argparse.Namespace) -> Iterator[StageProgress | None]:
    """The display for figures and report, or ``None`` when silent."""
    if not progress_wanted(args):
        yield None
        return
    with StageProgress() as display:
        yield display


@contextmanager
def fitting_progress(args: argparse.Namespace, delay: float = FITTING_DELAY) -> Iterator[None]:
    """A spinner labelled 'fitting' that appears only after ``delay`` seconds (and never when silent)."""
    if not progress_wanted(args):
        yield
        return
    display = StageProgress()
    lock = threading.Lock()
    state = {"started": False, "finished": False}

    def appear() -> None:
        with lock:
            if not state["finished"]:
                display.__enter__()
                display.spinner("fitting the models")
                state["started"] = True

    timer = threading.Timer(delay, appear)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["finished"] = True
            if state["started"]:
                display.__exit__()
