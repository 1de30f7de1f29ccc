"""``eventstudy run``: run a study and write its results folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DESCRIPTION = """\
Run an event study on the announcements in EVENTS (a CSV file) and write
abnormal_returns.csv, car.csv, aggregate.csv, skipped.csv, study.json, events.csv,
prices.csv, figures/, report.html, report.md and tables/*.tex into --out ('eventstudy
report' re-renders the report from that folder). Prices come from --prices (local
files), from the files named in --config, or, without either, from the live sources
(MOEX ISS, Bank of Russia, Yahoo) through the on-disk cache."""

EPILOG = """\
examples:
  eventstudy run seeds/events.csv --prices prices/
  eventstudy run seeds/events.csv --config study.toml --out results/summer-2025
  eventstudy run events.csv --prices prices/ --model market --benchmark SP500 \\
      --estimation=-250,-11 --window 0,0 --window=-1,1
windows are in trading days relative to day 0; write negative values with '='
or as the next argument (--estimation -250,-11 works too)."""


def add_parser(subparsers: Any) -> None:
    """Register ``run``."""
    parser = subparsers.add_parser("run", help="run a study and write the results folder",
                                   description=DESCRIPTION, epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    add_study_arguments(parser)
    parser.add_argument("--out", type=Path, help="results folder (default: "
                        "./eventstudy-results/<events file name>)")
    parser.add_argument("--figures", choices=["all", "summary", "none"], default="all",
                        help="summary: timelines, CAAR and forest plots; all (default): also one figure "
                        "per event and per event-asset pair, at most 50 each (the most significant)")
    parser.add_argument("--figure-format", action="append", dest="figure_formats",
                        choices=["png", "svg", "pdf"], help="figure format, repeatable (default: png at "
                        "200 dpi; PNG is also written when only pdf is asked, for the HTML report)")
    parser.add_argument("--quiet", action="store_true", help="do not print the summary")
    parser.set_defaults(handler=run)


def add_study_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``validate``: events, data and model settings."""
    parser.add_argument("events", type=Path, help="events CSV file")
    parser.add_argument("--prices", type=Path, help="folder of <ASSET>.csv/.parquet files, or one wide CSV")
    parser.add_argument("--config", type=Path, help="TOML study file (assets, files, options)")
    parser.add_argument("--assets", help="comma-separated asset names (default: IMOEX,RUBUSD, or "
                        "every price file)")
    parser.add_argument("--model", help="constant-mean (default), market-adjusted, market, factor, garch")
    parser.add_argument("--benchmark", help="benchmark asset(s) for market/factor models, e.g. SP500 "
                        "or BRENT,EEM")
    parser.add_argument("--returns", choices=["log", "simple"], help="return kind (default: log)")
    parser.add_argument("--estimation", metavar="START,END", help="estimation window (default -250,-11)")
    parser.add_argument("--window", action="append", dest="windows", metavar="START,END",
                        help="CAR window, repeatable (default 0,0 -1,1 0,5)")
    parser.add_argument("--event-window", metavar="START,END", help="AR table and chart window "
                        "(default -10,10)")
    parser.add_argument("--min-estimation", type=int, help="minimum estimation returns (default 100)")
    parser.add_argument("--exclude-event-windows", action="store_true", default=None,
                        help="drop other events' windows from estimation windows")
    parser.add_argument("--cache-dir", type=Path, help="cache folder for live data")
    parser.add_argument("--offline", action="store_true", help="use only cached live data")
    parser.add_argument("--refresh", action="store_true", help="refetch live data")


def build_study(args: argparse.Namespace) -> Any:
    """The :class:`EventStudy` described by the command line and the study file."""
    from eventstudy.build import build_study as build

    return build(
        args.config, args.events, prices=args.prices, cache_dir=args.cache_dir, offline=args.offline,
        refresh=args.refresh, assets=args.assets, model=args.model, benchmark=args.benchmark,
        returns=args.returns, estimation=_pair(args.estimation, "--estimation"),
        event_window=_pair(args.event_window, "--event-window"),
        windows=[_pair(w, "--window") for w in args.windows] if args.windows else None,
        min_estimation=args.min_estimation, exclude_event_windows=args.exclude_event_windows,
    )


def run(args: argparse.Namespace) -> int:
    """Run the study, save it atomically, print the summary."""
    study = build_study(args)
    results = study.run()
    out = args.out or Path("eventstudy-results") / args.events.stem
    results.save(out, figures=args.figures, figure_formats=args.figure_formats or ["png"])
    if not args.quiet:
        print(results.summary())
    for row in results.skipped.itertuples(index=False):
        print(f"eventstudy: skipped {row.event_id} {row.asset}: {row.reason}", file=sys.stderr)
    print(f"eventstudy: wrote {out}/ (report: {out / 'report.html'})", file=sys.stderr)
    return 0


def _pair(text: str | None, option: str) -> tuple[int, int] | None:
    from eventstudy.errors import ConfigError

    if text is None:
        return None
    parts = text.replace(":", ",").split(",")
    try:
        start, end = (int(p) for p in parts)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not START,END", fix=f"write e.g. {option}=-1,1") from None
    return start, end
