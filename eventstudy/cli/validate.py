"""``eventstudy validate``: check an events file (and study settings) without running."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register ``validate``."""
    parser = subparsers.add_parser(
        "validate", help="check an events file without running",
        description="Check EVENTS and list every problem with its line and column. Exit 0 when the "
                    "file is valid, 2 otherwise.",
        epilog="example:\n  eventstudy validate seeds/events.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("events", type=Path, help="events CSV file")
    parser.add_argument("--assets", help="comma-separated asset names the events may name")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print all problems (exit 2) or a short description of the valid file (exit 0)."""
    from eventstudy.events import check_events, unknown_assets

    events, problems = check_events(args.events)
    if events is not None and args.assets:
        problem = unknown_assets(events, [a.strip() for a in args.assets.split(",")])
        problems = [problem] if problem else []
    for problem in problems:
        print(f"eventstudy: error: {problem}", file=sys.stderr)
    if problems or events is None:
        return 2
    frame = events.frame
    groups = ", ".join(sorted(frame["group"].dropna().unique())) or "none"
    print(f"{args.events}: {len(frame)} events, {frame['date'].min():%Y-%m-%d} to "
          f"{frame['date'].max():%Y-%m-%d}; groups: {groups}; "
          f"{int(frame['announced'].notna().sum())} with an announcement time")
    return 0
