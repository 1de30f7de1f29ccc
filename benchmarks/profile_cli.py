"""Where one ``eventstudy run`` spends its wall time: the bench_cli study, in this process.

Run from the repository root (needs ``../shared/data``)::

    python benchmarks/profile_cli.py                 # 1,500 dates x 8 series, --jobs 1
    python benchmarks/profile_cli.py --dates 5000

A copy of this file in another checkout's ``benchmarks/`` profiles that checkout's code
(phases it does not have are left out), for a before/after split.

The study is the scale case of ``bench_cli.py`` (same events file, same price links,
same flags, ``--figures summary``, ``--jobs 1``). The command line runs in this process
(``eventstudy.cli.main.main``) with timers wrapped around the functions of each phase;
the phases nest (the CAR table is inside ``run``), so the printed table is indented like
the calls. Imports are timed first, apart. Nothing is asserted: the machine is shared,
so compare phases within one run, and print the load average with them.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]  # this checkout's eventstudy, and bench_cli
from bench_cli import events_file, price_folder, study_args  # noqa: E402

#: (module, attribute, label, depth): the functions timed, where the caller looks them up.
PHASES = [
    ("eventstudy.cli.run", "build_study", "read events and the 9 price files", 0),
    ("eventstudy.study.EventStudy", "run", "EventStudy.run", 0),
    ("eventstudy.study", "build_results", "build_results (tables)", 1),
    ("eventstudy.results.tables", "_car_table", "CAR table", 2),
    ("eventstudy.results.tables", "aggregate_table", "aggregate table", 2),
    ("eventstudy.results.tables", "extend_tables", "extend_tables (Holm/BH, mde)", 2),
    ("eventstudy.results.tables", "diagnostics", "diagnostics", 2),
    ("eventstudy.results.tables", "_ar_table", "abnormal-return table (lazy)", 0),
    ("eventstudy.results.folder", "_write_contents", "tables, study.json, events, prices", 0),
    ("eventstudy.results.folder", "write_events", "events.csv", 1),
    ("eventstudy.results.folder", "study_record", "study.json record", 1),
    ("eventstudy.output.report", "save_figures", "figures", 0),
    ("eventstudy.output.report", "car_latex", "tables/car.tex", 0),
    ("eventstudy.output.report", "aggregate_latex", "tables/aggregate.tex", 0),
    ("eventstudy.output.report", "markdown_report", "report.md", 0),
    ("eventstudy.output.report", "html_report_builder", "report.html (all but the figures)", 0),
    ("eventstudy.results.value.Results", "summary", "summary (built)", 0),
]

TIMES: dict[str, float] = defaultdict(float)
ORDER: list[tuple[str, int]] = []


def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - start
    return wrapper


def install_timers() -> None:
    for where, attribute, label, depth in PHASES:
        module_name, _, last = where.rpartition(".")
        target: Any = (getattr(importlib.import_module(module_name), last) if last[0].isupper()
                       else importlib.import_module(where))  # a class, or a module
        if not hasattr(target, attribute):  # an older checkout (run a copy of this file there)
            continue
        setattr(target, attribute, timed(label, getattr(target, attribute)))
        ORDER.append((label, depth))
    from eventstudy.results import folder

    for module, name in ((pd.DataFrame, "to_csv"), (folder, "write_csv")):
        if hasattr(module, name):
            _time_by_file(module, name)


def _time_by_file(owner: Any, name: str) -> None:
    """Time ``owner.name(frame_or_table, path, ...)`` per file written."""
    original = getattr(owner, name)

    def writer(first: Any, path: Any = None, *args: Any, **kwargs: Any) -> Any:
        label = f"write {Path(str(path)).name}"
        if label not in TIMES:
            ORDER.append((label, 1))
        return timed(label, original)(first, path, *args, **kwargs)
    setattr(owner, name, writer)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dates", type=int, default=1500)
    options = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    print(f"eventstudy from {Path(importlib.import_module('eventstudy').__file__ or '').parent}")
    start = time.perf_counter()
    from eventstudy.cli.main import main as cli_main
    importlib.import_module("eventstudy.study")
    importlib.import_module("eventstudy.output.report")
    imports = time.perf_counter() - start
    install_timers()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        events = events_file(work / "events.csv", options.dates)
        args = study_args(events, price_folder(work / "prices"), work / "out", 1)
        start = time.perf_counter()
        cli_main([*args])
        total = time.perf_counter() - start
    print(f"\n{'imports (eventstudy.cli, study, output.report)':<48}{imports:7.2f} s")
    print(f"{'eventstudy run, after the imports':<48}{total:7.2f} s")
    for label, depth in ORDER:
        if label in TIMES:
            print(f"{'  ' * (depth + 1) + label:<48}{TIMES[label]:7.2f} s")
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
