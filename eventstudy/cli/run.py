"""``eventstudy run``: run a study and write its results folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from eventstudy.cli.options import (
    Verbosity,
    add_format_option,
    add_jobs_option,
    add_output_options,
    add_setting_arguments,
    detail,
    flag_layer,
    info,
    jobs,
    print_table,
    show_progress,
    verbosity,
)

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
    parser.add_argument("--title", help="title of the report (default: 'Event study report: <events file>')")
    add_jobs_option(parser)
    parser.add_argument("--scheduler", metavar="ADDRESS|local:N", help="run the estimation partitioned by "
                        "asset on a Dask cluster: a scheduler address (tcp://host:8786) or local:N worker "
                        "processes on this machine; needs eventstudy[distributed] (docs/distributed.md)")
    parser.add_argument("--tables", choices=["parquet"], help="also write abnormal_returns and car as "
                        "Parquet partitioned by asset, with aggregate and skipped, into OUT/parquet/")
    add_format_option(parser, extra={"parquet": "print the summary and write the tables as with "
                                                "--tables parquet"})
    add_output_options(parser)
    parser.set_defaults(handler=run)


def add_study_arguments(parser: argparse.ArgumentParser) -> None:
    """The events file, the data options and a flag for every study setting."""
    parser.add_argument("events", help="events file (.csv or .xlsx), or - for standard input")
    parser.add_argument("--prices", type=Path, help="folder of <ASSET>.csv/.parquet/.xlsx files, or one "
                        "wide file, or a Parquet dataset of asset=<ASSET>/ folders (read lazily)")
    parser.add_argument("--config", type=Path, help="TOML study file (assets, files, options)")
    add_setting_arguments(parser)


def build_study(args: argparse.Namespace) -> Any:
    """The :class:`EventStudy` described by the command line and the study file."""
    from eventstudy.study import EventStudy

    return EventStudy.from_file(args.config, args.events, prices=args.prices, layer=flag_layer(args))


def run(args: argparse.Namespace) -> int:
    """Run the study, save it atomically, print the summary (or the CAR table with ``--format``).

    The destination is checked before anything is computed. ``--quiet`` prints only the
    data asked for with ``--format`` and the skipped pairs (as warnings); ``--verbose``
    adds the resolved settings and each series' provenance. The processes that will draw
    the figures start first, so that they get ready while the study runs.
    """
    from eventstudy.output.figures.drawing import workers_started

    with workers_started(jobs(args) if args.figures != "none" else 1):
        return run_and_save(args)


def run_and_save(args: argparse.Namespace) -> int:
    """:func:`run` once the figure workers are starting."""
    from eventstudy.cli.progress import fitting_progress, stage_progress
    from eventstudy.output.summary import skipped_lines
    from eventstudy.results.folder import check_destination

    study = build_study(args)
    out = args.out or Path("eventstudy-results") / default_folder_name(args.events)
    check_destination(out, study.input_paths() + ([args.config] if args.config else []))
    detail(args, f"settings: {study.spec.to_dict()}")
    scheduler = {"scheduler": args.scheduler} if args.scheduler else {}
    if study.prices is not None:  # live prices show their own fetching bar
        with fitting_progress(args):
            results = study.run(**scheduler)
    else:
        results = study.run(**scheduler, progress=show_progress(args))
    for record in results.provenance:
        detail(args, f"{record.asset}: {record.source} {record.symbol} {record.first} to {record.last} "
                     f"({record.path or record.base_url or ''}), sha256 {record.sha256[:16]}")
    with stage_progress(args) as progress:
        results.save(out, figures=args.figures, figure_formats=args.figure_formats or ["png"],
                     title=args.title, jobs=jobs(args), progress=progress)
    if "parquet" in (args.tables, args.format):
        from eventstudy.distributed.parquet_tables import write_parquet_tables

        detail(args, f"wrote {write_parquet_tables(results, out)}/")
    if args.format in ("csv", "json"):
        print_table(results.car, args.format)
    elif verbosity(args) is not Verbosity.QUIET:
        print(results.summary())
    listed, left = skipped_lines(results.skipped)
    for line in listed:
        print(f"eventstudy: skipped {line}", file=sys.stderr)
    if left:
        print(f"eventstudy: skipped {left:,} more pairs, each with its reason in {out / 'skipped.csv'}",
              file=sys.stderr)
    info(args, f"wrote {out}/ (report: {out / 'report.html'})")
    return 0


def default_folder_name(events: str) -> str:
    """``eventstudy-results/<name>``'s name: the events file's stem, ``stdin`` for ``-``."""
    from eventstudy.sources.excel import split_sheet

    return "stdin" if events == "-" else split_sheet(events)[0].stem
