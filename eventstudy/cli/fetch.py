"""``eventstudy fetch``: fill the price cache from the live sources, optionally export."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from eventstudy.cli.options import Verbosity, add_output_options, detail, info, show_progress, verbosity

HELP = "download prices into the cache (and optionally a CSV)"
DESCRIPTION = """\
Fetch daily prices of ASSET(s) from their live sources (MOEX ISS, Bank of Russia,
Yahoo Finance) into the on-disk cache, so later runs can work --offline. Built-in
assets: see 'eventstudy assets'; any other series as moex:SECID or yahoo:SYMBOL.
Without ASSET, fetches the default universe (IMOEX RUBUSD)."""
EPILOG = """\
examples:
  eventstudy fetch IMOEX RUBUSD --start 2024-06-01 --end 2025-09-30
  eventstudy fetch IMOEX CNYRUB --start 2025-01-01 --end 2025-12-31 --csv prices.csv
  eventstudy fetch SP500 --start 2025-01-01 --end 2025-12-31 --offline --csv sp.csv

environment: EVENTSTUDY_MOEX_URL, EVENTSTUDY_CBR_URL (scheme and host of the
services), EVENTSTUDY_CACHE_DIR (default cache directory)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``fetch``."""
    parser = subparsers.add_parser(
        "fetch", help=HELP, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("assets", nargs="*", metavar="ASSET",
                        help="asset names (default: IMOEX RUBUSD)")
    parser.add_argument("--start", required=True, type=iso_date, metavar="YYYY-MM-DD",
                        help="first observation date")
    parser.add_argument("--end", type=iso_date, metavar="YYYY-MM-DD",
                        help="last observation date (default: today)")
    parser.add_argument("--csv", metavar="FILE",
                        help="also write the prices as a wide CSV (date + one column per asset)")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="cache directory (default: the user cache directory)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--offline", action="store_true",
                      help="use only the cache; fail naming what is missing")
    mode.add_argument("--refresh", action="store_true",
                      help="fetch everything again, replacing cached values")
    add_output_options(parser)
    parser.set_defaults(handler=run)
    return parser


def iso_date(text: str) -> date:
    """argparse type: a ``YYYY-MM-DD`` date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def run(args: argparse.Namespace) -> int:
    """Fetch, report one line per asset on stdout, write ``--csv``; return 0.

    ``--quiet`` prints nothing but errors and warnings (no table, no progress bar);
    ``--verbose`` also prints the resolved request and each series' base URL, fetch
    time and SHA-256.
    """
    from eventstudy.errors import InputError
    from eventstudy.output.format import format_table
    from eventstudy.sources.export import write_prices_csv
    from eventstudy.sources.live import load_live_prices
    from eventstudy.timing.assets import DEFAULT_ASSETS, resolve_asset

    end = args.end or date.today()
    if args.start > end:
        raise InputError(f"--start {args.start} is after --end {end}",
                         fix="give --start before --end")
    assets = [resolve_asset(name) for name in (args.assets or DEFAULT_ASSETS)]
    mode = "offline (cache only)" if args.offline else "refresh" if args.refresh else "cache, then live"
    detail(args, f"assets {', '.join(a.name for a in assets)}; {args.start} to {end}; {mode}; "
                 f"cache {args.cache_dir or 'default (EVENTSTUDY_CACHE_DIR or the user cache folder)'}")
    prices, provenance = load_live_prices(
        assets, args.start, end, cache_dir=args.cache_dir, offline=args.offline,
        refresh=args.refresh, progress=show_progress(args),
    )
    rows = [("asset", "source", "symbol", "first", "last", "days", "cache file")]
    for asset, record in zip(assets, provenance, strict=True):
        count = int(prices[asset.name].notna().sum())
        rows.append((asset.name, record.source, record.symbol, record.first, record.last,
                     str(count), record.path or ""))
    if verbosity(args) is not Verbosity.QUIET:
        print(format_table(rows))
    for record in provenance:
        detail(args, f"{record.asset}: {record.source} {record.symbol} from {record.base_url or '-'}, "
                     f"fetched {record.fetched_at or '-'}, sha256 {record.sha256[:16]}")
    if args.csv:
        write_prices_csv(prices, args.csv)
        info(args, f"wrote {args.csv} ({len(prices)} dates x {prices.shape[1]} assets)")
    return 0
