"""``eventstudy export``: write the prices a study needs, and where they came from, to a CSV."""

from __future__ import annotations

import argparse
import shlex
from datetime import date
from pathlib import Path
from typing import Any

from eventstudy.cli.options import add_output_options, add_setting_arguments, flag_layer

# The settings that decide which prices a study reads.
EXPORT_SETTINGS = ("assets", "benchmark", "estimation", "windows", "event_window", "cache_dir", "offline",
                   "refresh")

HELP = "write the prices a study needs (and their provenance) to a CSV"
DESCRIPTION = """\
Write the prices the study needs, only over the span it reads, as one wide CSV (a
date column and one column per asset and benchmark), from whatever source the study
uses: the files of --config, a --prices folder or file, or the live sources through
the cache. The span runs from the earliest estimation-window start to the latest
event-window end over the events, in each asset's own sessions, plus a margin. A
sidecar OUT_STEM.provenance.json records the command, the source files and their
SHA-256, and each series' range. 'eventstudy run EVENTS --prices OUT' then gives the
same numbers as the study on the full series."""
EPILOG = """\
examples:
  eventstudy export --config examples/summer-2025.toml --events seeds/events.csv --out seeds/prices.csv
  eventstudy export --events events.csv --assets IMOEX,RUBUSD --out prices.csv   (live sources)"""


def add_parser(subparsers: Any) -> None:
    """Register ``export``."""
    parser = subparsers.add_parser("export", help=HELP, description=DESCRIPTION, epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", required=True, metavar="EVENTS",
                        help="events file (.csv, .xlsx, or - for standard input)")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE", help="CSV file to write")
    parser.add_argument("--config", type=Path, metavar="TOML", help="TOML study file")
    parser.add_argument("--prices", type=Path, metavar="PATH",
                        help="folder of <ASSET>.csv files, or one wide CSV")
    add_setting_arguments(parser, EXPORT_SETTINGS)
    add_output_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the study, cut its prices to the span it reads, write the CSV and the sidecar."""
    from eventstudy.cli.options import detail, info
    from eventstudy.sources.export import (
        cut_prices,
        provenance,
        study_date_range,
        write_prices_csv,
        write_provenance,
    )
    from eventstudy.study import EventStudy
    from eventstudy.studyfile import load_study_file

    study = EventStudy.from_file(args.config, args.events, prices=args.prices, layer=flag_layer(args))
    spec = study.spec
    names = [*spec.assets, *spec.benchmark]
    reach = (min(spec.estimation[0], spec.span[0]), spec.span[1])
    detail(args, f"assets {', '.join(spec.assets)}; benchmarks {', '.join(spec.benchmark) or 'none'}; "
                 f"estimation {list(spec.estimation)}; relative days read {list(reach)}")
    assets = {name: study.asset(name) for name in spec.assets}
    prices, records = _study_prices(study, names, reach, args)
    first, last = study_date_range(prices, assets, study.events, reach)
    exported = cut_prices(prices[names], first, last)
    write_prices_csv(exported, args.out)
    files = load_study_file(args.config).files if args.config is not None else {}
    record = provenance(exported, [r for r in records if r.asset in names], files,
                        command=command_line(args),
                        inputs={"events": args.events, "study file": args.config}, reach=reach)
    sidecar = args.out.with_name(f"{args.out.stem}.provenance.json")
    write_provenance(record, sidecar)
    for entry in record["series"]:
        detail(args, f"{entry['asset']}: {entry.get('file', entry['source'])} "
                     f"{entry['first']} to {entry['last']}, {entry['rows']} prices")
    info(args, f"wrote {args.out} ({len(exported)} dates x {len(names)} series, "
               f"{exported.index.min():%Y-%m-%d} to {exported.index.max():%Y-%m-%d}) and {sidecar}")
    return 0


def _study_prices(study: Any, names: list[str], reach: tuple[int, int],
                  args: argparse.Namespace) -> tuple[Any, list[Any]]:
    """The study's local prices and their provenance, or the live prices over a calendar range."""
    import pandas as pd

    from eventstudy.cli.options import show_progress
    from eventstudy.sources.live import load_live_prices
    from eventstudy.sources.local import table_provenance

    if study.prices is not None:
        records = study.provenance or table_provenance(study.prices, names)
        return study.prices, records
    dates = pd.to_datetime(study.events.frame["date"])
    lo, hi = reach
    # Calendar days that surely hold the sessions needed: 1.5 per session plus a month.
    start = (dates.min() - pd.Timedelta(days=int((-lo + 1) * 1.5) + 30)).date()
    end = min((dates.max() + pd.Timedelta(days=int(max(hi, 0) * 1.5) + 30)).date(), date.today())
    spec = study.spec
    return load_live_prices([study.asset(n) for n in names], start, end, cache_dir=spec.cache_dir,
                            offline=spec.offline, refresh=spec.refresh, progress=show_progress(args))


def command_line(args: argparse.Namespace) -> str:
    """The ``eventstudy export`` command that reproduces this export, options as given."""
    tokens = ["--config", str(args.config)] if args.config is not None else []
    tokens += ["--events", str(args.events)]
    if args.prices is not None:
        tokens += ["--prices", str(args.prices)]
    for option, value in (("--assets", args.assets), ("--benchmark", args.benchmark)):
        if value:
            tokens += [option, value]
    for option, window in (("--estimation", args.estimation), ("--event-window", args.event_window)):
        if window is not None:
            tokens.append(f"{option}={window}")
    tokens += [f"--window={w}" for w in args.windows or ()]
    tokens += ["--out", str(args.out)]
    tokens += ["--offline"] if args.offline else []
    return "eventstudy export " + shlex.join(tokens)
