"""``eventstudy assets``: the built-in assets, their sources and observation times."""

from __future__ import annotations

import argparse
from typing import Any

from eventstudy.cli.options import Verbosity, add_output_options, verbosity

HELP = "list built-in assets with their source, symbol and observation time"
FOOTNOTE = "* default universe when no asset is named; others: moex:SECID, yahoo:SYMBOL"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``assets``."""
    parser = subparsers.add_parser(
        "assets", help=HELP, description=HELP.capitalize() + ".",
        epilog="Any other series: moex:SECID (MOEX shares, board TQBR) or yahoo:SYMBOL.",
    )
    add_output_options(parser)
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the catalogue as a table on stdout; return 0.

    ``--quiet`` leaves out the footnote; ``--verbose`` adds the source options
    (MOEX board, market, engine) and whether the value is inverted.
    """
    from eventstudy.output.format import format_table
    from eventstudy.timing.assets import BUILTIN_ASSETS, DEFAULT_ASSETS

    level = verbosity(args)
    header = ("asset", "source", "symbol", "observed", "units", "description")
    rows: list[tuple[str, ...]] = [header + (("options",) if level is Verbosity.VERBOSE else ())]
    for asset in BUILTIN_ASSETS.values():
        observed = (f"{asset.observed_at:%H:%M} {asset.timezone}" if asset.observed_at
                    else f"end of day {asset.timezone}")
        symbol = asset.symbol
        if asset.options.get("board"):
            symbol += f" ({asset.options['board']})"
        if asset.invert:
            symbol = f"1/{symbol}"
        name = asset.name + (" *" if asset.name in DEFAULT_ASSETS else "")
        row: tuple[str, ...] = (name, asset.source, symbol, observed, asset.units, asset.description)
        if level is Verbosity.VERBOSE:
            options = [f"{key}={value}" for key, value in sorted(asset.options.items())]
            options += ["invert=true"] if asset.invert else []
            row += (" ".join(options),)
        rows.append(row)
    print(format_table(rows))
    if level is not Verbosity.QUIET:
        print("\n" + FOOTNOTE)
    return 0
