"""``eventstudy report``: re-render a saved results folder's report without recomputing."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from eventstudy.cli.options import add_jobs_option, add_output_options, info, jobs

DESCRIPTION = """\
Re-render report.html, report.md and tables/car.tex, tables/aggregate.tex of a results
folder written by 'eventstudy run', from its CSV files and study.json, without
recomputing anything. Figures that are missing are drawn again (the timeline from the
folder's prices.csv); existing figure files are kept unless --redraw is given."""

EPILOG = """\
examples:
  eventstudy report eventstudy-results/events
  eventstudy report results/summer-2025 --figures summary --figure-format svg --redraw"""


def add_parser(subparsers: Any) -> None:
    """Register ``report``."""
    parser = subparsers.add_parser("report", help="re-render the report of a results folder",
                                   description=DESCRIPTION, epilog=EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="results folder of 'eventstudy run'")
    parser.add_argument("--figures", choices=["all", "summary", "none"],
                        help="which figures to include (default: as the folder was run)")
    parser.add_argument("--figure-format", action="append", dest="figure_formats",
                        choices=["png", "svg", "pdf"],
                        help="figure format, repeatable (default: as the folder was run)")
    parser.add_argument("--redraw", action="store_true", help="redraw figures that already exist")
    parser.add_argument("--title", help="title of the report (default: as the folder was run)")
    add_jobs_option(parser)
    add_output_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Read the folder, draw missing figures, write the report files."""
    from eventstudy.cli.progress import stage_progress
    from eventstudy.output.report import render
    from eventstudy.results import Results
    from eventstudy.results.folder import read_folder

    folder: Path = args.out_dir
    contents = read_folder(folder)
    saved = contents.report_options or {}
    figures = args.figures or saved.get("figures", "all")
    formats = args.figure_formats or saved.get("figure_formats") or ["png"]
    with stage_progress(args) as progress:
        figure_set = render(Results.from_contents(contents), folder, figures=figures, figure_formats=formats,
                            skip_existing=not args.redraw, title=args.title or saved.get("title"),
                            jobs=jobs(args), progress=progress)
    drawn = len(figure_set.records)
    info(args, f"wrote {folder / 'report.html'}, report.md and tables/ "
               f"({drawn} figure{'s' if drawn != 1 else ''})")
    return 0
