"""``eventstudy convert-events``: turn a published event list into an events file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from eventstudy.cli.options import add_output_options, info

DESCRIPTION = """\
Convert a published list of announcements, read as it is, into an events file that
'eventstudy run' reads: cbr = Bank of Russia key-rate decisions (Russian dates, direction
and basis points; columns change_bp, key_rate, surprise_bp are kept), dividends =
board dividend recommendations from e-disclosure (one event per company, assets = its
ticker). Writes CSV to --out, or to standard output."""

EPILOG = """\
examples:
  eventstudy convert-events cbr cbr_key_rate_decisions_2020-03_2025-10.csv --out cbr.csv
  eventstudy convert-events dividends dividend_announcements_e-disclosure_2020_2025.csv > div.csv"""


def add_parser(subparsers: Any) -> None:
    """Register ``convert-events``."""
    parser = subparsers.add_parser("convert-events",
                                   help="convert a published event list into an events file",
                                   description=DESCRIPTION, epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["cbr", "dividends"], help="which list the file is")
    parser.add_argument("source", type=Path, help="the published file")
    parser.add_argument("--out", type=Path, help="events file to write (default: standard output)")
    add_output_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Read, convert and write the events as CSV (dates ``YYYY-MM-DD``)."""
    from eventstudy.events_panel import read_cbr_decisions, read_dividend_announcements

    reader = read_cbr_decisions if args.kind == "cbr" else read_dividend_announcements
    frame = reader(args.source)
    text = frame.to_csv(index=False, lineterminator="\n")
    if args.out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        args.out.write_text(text, encoding="utf-8")
        info(args, f"wrote {len(frame)} events to {args.out}")
    return 0
