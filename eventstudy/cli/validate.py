"""``eventstudy validate``: check an events file (and study settings) without running."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from eventstudy.cli.options import Verbosity, add_output_options, verbosity

EPILOG = """\
examples:
  eventstudy validate seeds/events.csv
  eventstudy validate events.xlsx#Summer     (a named sheet; default the first)
  cat events.csv | eventstudy validate -     (the events from standard input)"""


def add_parser(subparsers: Any) -> None:
    """Register ``validate``."""
    parser = subparsers.add_parser(
        "validate", help="check an events file without running",
        description="Check EVENTS (CSV, Excel, or '-' for CSV on standard input) and list every "
                    "problem with its line (or sheet and row) and column. Exit 0 when the file is "
                    "valid, 2 otherwise. Format: docs/events-file.md.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("events", metavar="EVENTS",
                        help="events file: .csv, .xlsx (file.xlsx#Sheet for a sheet), or - for stdin")
    parser.add_argument("--assets", help="comma-separated asset names the events may name")
    add_output_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print all problems (exit 2) or a short description of the valid file (exit 0).

    ``--quiet`` prints only the problems; ``--verbose`` also lists each event with its
    announcement instant in UTC and the assets it applies to.
    """
    import pandas as pd

    from eventstudy.events import check_events, unknown_assets
    from eventstudy.output.format import format_table

    events, problems = check_events(args.events)
    if events is not None and args.assets:
        problem = unknown_assets(events, [a.strip() for a in args.assets.split(",")])
        problems = [problem] if problem else []
    for problem in problems:
        print(f"eventstudy: error: {problem}", file=sys.stderr)
    if problems or events is None:
        return 2
    level = verbosity(args)
    if level is Verbosity.QUIET:
        return 0
    frame = events.frame
    groups = ", ".join(sorted(frame["group"].dropna().unique())) or "none"
    print(f"{events.path}: {len(frame)} events, {frame['date'].min():%Y-%m-%d} to "
          f"{frame['date'].max():%Y-%m-%d}; groups: {groups}; "
          f"{int(frame['announced'].notna().sum())} with an announcement time")
    if level is Verbosity.VERBOSE:
        rows = [("id", "date", "announced (UTC)", "assets", "group", "event")]
        for record in frame.to_dict("records"):
            announced = record["announced"]
            rows.append((str(record["id"]), f"{record['date']:%Y-%m-%d}",
                         "" if pd.isna(announced) else f"{announced:%Y-%m-%d %H:%M}",
                         ";".join(record["assets"]) if record["assets"] else "all",
                         str(record["group"] or ""), str(record["event"])))
        print(format_table(rows))
    return 0
