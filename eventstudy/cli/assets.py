"""``eventstudy assets``: the built-in assets, their sources and observation times."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "list built-in assets with their source, symbol and observation time"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``assets``."""
    parser = subparsers.add_parser(
        "assets", help=HELP, description=HELP.capitalize() + ".",
        epilog="Any other series: moex:SECID (MOEX shares, board TQBR) or yahoo:SYMBOL.",
    )
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the catalogue as a table on stdout; return 0."""
    from eventstudy.assets import BUILTIN_ASSETS, DEFAULT_ASSETS
    from eventstudy.output.format import format_table

    rows = [("asset", "source", "symbol", "observed", "units", "description")]
    for asset in BUILTIN_ASSETS.values():
        observed = (f"{asset.observed_at:%H:%M} {asset.timezone}" if asset.observed_at
                    else f"end of day {asset.timezone}")
        symbol = asset.symbol
        if asset.options.get("board"):
            symbol += f" ({asset.options['board']})"
        if asset.invert:
            symbol = f"1/{symbol}"
        name = asset.name + (" *" if asset.name in DEFAULT_ASSETS else "")
        rows.append((name, asset.source, symbol, observed, asset.units, asset.description))
    print(format_table(rows))
    print("\n* default universe when no asset is named; others: moex:SECID, yahoo:SYMBOL")
    return 0
