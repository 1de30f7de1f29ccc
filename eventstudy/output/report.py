"""Render a study's report files: figures, ``report.html``, ``report.md`` and ``tables/*.tex``."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from eventstudy.output.describe import StudyResults
from eventstudy.output.figures.plan import FigureSet, save_figures
from eventstudy.output.html import html_report_builder
from eventstudy.output.latex import aggregate_latex, car_latex
from eventstudy.output.markdown import markdown_report


def render(results: StudyResults, folder: Path, *, figures: str = "all",
           figure_formats: Sequence[str] = ("png",), skip_existing: bool = False,
           title: str | None = None, jobs: int = 1,
           progress: Callable[[str, int, int], None] | None = None,
           meanwhile: Callable[[], None] | None = None) -> FigureSet:
    """Draw the figures and write ``report.html``, ``report.md`` and ``tables/*.tex``.

    While the worker processes draw their first figures, this process runs ``meanwhile``
    (writing the folder's tables, which the HTML report may embed), writes the reports
    that need no figure file (:func:`write_text_reports`) and builds all of
    ``report.html`` but its figures (:func:`~eventstudy.output.html.html_report_builder`);
    the page is completed with the figures once they are all drawn.

    ``title`` replaces the reports' default title (``Event study report: <events file>``).
    ``jobs`` processes draw the figures (:func:`~eventstudy.output.figures.plan.save_figures`);
    ``progress`` is called with ``(stage, done, total)``: ``figures`` after each figure,
    ``report`` before (0 of 1) and after (1 of 1) the HTML report.
    """
    formats = list(dict.fromkeys(figure_formats)) or ["png"]
    if figures != "none" and not {"png", "svg"} & set(formats):
        formats.append("png")  # the HTML report embeds PNG (or SVG); PDF cannot be embedded

    finish_html: list[Callable[[], str]] = []

    def before_the_figures_end(planned: FigureSet) -> None:
        if meanwhile is not None:
            meanwhile()
        write_text_reports(results, folder, planned, title=title)
        finish_html.append(html_report_builder(results, planned, folder, title=title))

    figure_set = save_figures(results, folder / "figures", figures, formats, skip_existing=skip_existing,
                              jobs=jobs, progress=progress, meanwhile=before_the_figures_end)
    if progress is not None:
        progress("report", 0, 1)
    (finish,) = finish_html  # save_figures runs its meanwhile exactly once
    _write_text(folder / "report.html", finish())
    if progress is not None:
        progress("report", 1, 1)
    return figure_set


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_text_reports(results: StudyResults, folder: Path, figures: FigureSet | None = None,
                       title: str | None = None) -> None:
    """Write ``report.md`` (linking the figures of ``figures``, drawn or not yet) and
    ``tables/car.tex``, ``tables/aggregate.tex``."""
    (folder / "tables").mkdir(exist_ok=True)
    _write_text(folder / "tables" / "car.tex", car_latex(results))
    _write_text(folder / "tables" / "aggregate.tex", aggregate_latex(results))
    _write_text(folder / "report.md", markdown_report(results, figures, folder, title=title))
