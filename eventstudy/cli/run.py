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
    """The events file, the data options and a flag for every study setting (:data:`spec.SETTINGS`)."""
    from eventstudy.spec import SETTINGS

    parser.add_argument("events", type=Path, help="events CSV file")
    parser.add_argument("--prices", type=Path, help="folder of <ASSET>.csv/.parquet files, or one wide CSV")
    parser.add_argument("--config", type=Path, help="TOML study file (assets, files, options)")
    for name, setting in SETTINGS.items():
        if setting.default is False:
            parser.add_argument(setting.flag, action="store_true", default=None, help=setting.help)
        elif name == "windows":
            parser.add_argument("--window", action="append", dest="windows", metavar=setting.metavar,
                                help=setting.help + "; repeatable")
        else:
            parser.add_argument(setting.flag, dest=name, metavar=setting.metavar, help=setting.help)


def flag_layer(args: argparse.Namespace) -> Any:
    """The settings given on the command line, as a spec layer labelled by flag."""
    from eventstudy.spec import SETTINGS, Layer

    values = {name: getattr(args, name) for name in SETTINGS if getattr(args, name, None) is not None}
    return Layer(values, lambda name: "--window" if name == "windows" else SETTINGS[name].flag)


def build_study(args: argparse.Namespace) -> Any:
    """The :class:`EventStudy` described by the command line and the study file."""
    from eventstudy.study import EventStudy

    return EventStudy.from_file(args.config, args.events, prices=args.prices, layer=flag_layer(args))


def run(args: argparse.Namespace) -> int:
    """Run the study, save it atomically, print the summary."""
    from eventstudy.folder import check_destination

    study = build_study(args)
    out = args.out or Path("eventstudy-results") / args.events.stem
    inputs = study.input_paths() + ([args.config] if args.config else [])
    check_destination(out, inputs)
    results = study.run()
    results.save(out, figures=args.figures, figure_formats=args.figure_formats or ["png"])
    if not args.quiet:
        print(results.summary())
    for row in results.skipped.itertuples(index=False):
        print(f"eventstudy: skipped {row.event_id} {row.asset}: {row.reason}", file=sys.stderr)
    print(f"eventstudy: wrote {out}/ (report: {out / 'report.html'})", file=sys.stderr)
    return 0
