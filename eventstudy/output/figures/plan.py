"""Which figures a study gets, and drawing them into files (PNG, SVG, PDF)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from eventstudy.output.describe import StudyResults, caption, timeline_span, units
from eventstudy.output.figures.caar import plot_caar
from eventstudy.output.figures.drawing import DrawTask, draw_figures
from eventstudy.output.figures.forest import plot_forest
from eventstudy.output.figures.intraday import intraday_plan
from eventstudy.output.figures.pair import plot_car, plot_event
from eventstudy.output.figures.style import figure_window
from eventstudy.output.figures.timeline import densest_cluster, plot_timeline
from eventstudy.output.format import percent_unit
from eventstudy.output.rows import TOP_SCOPES, ShownScopes, most_significant_first, ranked_pairs, shown_scopes

# -- writing the study's figures ----------------------------------------------------------

MAX_PAIR_FIGURES = 50  # per-pair and per-event figures drawn at most (most significant first)
DAY0_COLUMNS = ["event_id", "asset", "start", "end", "day0", "pvalue"]  # what the timelines read of car
FOREST_COLUMNS = ["event_id", "asset", "start", "end", "day0", "car", "se", "pvalue"]
CAAR_COLUMNS = ["event_id", "asset", "day", "car"]  # what the CAAR figures read of abnormal_returns


@dataclass
class FigureRecord:
    """A written figure: its kind, title, caption and file per format."""

    name: str
    kind: str
    title: str
    files: dict[str, Path] = field(default_factory=dict)
    description: str = ""


@dataclass
class FigureSet:
    """The figures of a study and the notes about what was left out."""

    records: list[FigureRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


PlannedFigure = tuple[str, str, str, Callable[[], "Figure"]]


def figure_plan(results: StudyResults, figures: str) -> tuple[list[PlannedFigure], list[str]]:
    """What to draw: ``(name, kind, title, draw)`` per figure, and notes on caps.

    ``figures`` is ``summary`` (timelines, CAAR, forest plots) or ``all`` (also one
    figure per event-asset pair and per event with several assets, at most
    :data:`MAX_PAIR_FIGURES` each, the most significant first).
    """
    if figures not in ("summary", "all"):
        raise ValueError(f"figures must be 'none', 'summary' or 'all', not {figures!r}")
    if results.spec.interval != "1d":
        return intraday_plan(results, figures)  # type: ignore[return-value]
    line = caption(results)
    unit = percent_unit(results.spec.returns, results.spec.measure)
    ar, car = results.abnormal_returns, results.car
    # each drawing task carries only the columns its figure reads (tasks are sent to workers)
    car_dots = car[[c for c in DAY0_COLUMNS if c in car.columns]]
    car_bars = car[[c for c in FOREST_COLUMNS if c in car.columns]]
    ar_paths = ar[[c for c in CAAR_COLUMNS if c in ar.columns]]
    plan: list[PlannedFigure] = []
    notes: list[str] = []
    events = results.events.frame
    numbers = {str(i): n + 1 for n, i in enumerate(events["id"])}
    # isin on the distinct ids: pandas converts an Arrow-string argument value by value
    studied = events["id"].isin(car["event_id"].unique()) | events["id"].isin(ar["event_id"].unique())
    used = events[studied] if len(car) else events
    scopes = shown_scopes(results, [str(name) for name in results.prices] or None)
    few, few_groups = scopes.assets, scopes.groups
    notes += _left_out(scopes)
    if few is not None:
        car_bars = car_bars[car_bars["asset"].astype(str).isin(few)]
    if results.prices:
        start, end = timeline_span(results)
        prices = results.prices if few is None else {asset: results.prices[asset] for asset in few}
        shown = ", ".join(results.prices) if few is None else f"{len(few)} of {len(results.prices)} assets"
        title = f"{shown} and the announcements, {start.year}\u2013{end.year}" \
            if start.year != end.year else f"{shown} and the announcements, {start.year}"
        plan.append(("timeline", "timeline", title, functools.partial(
            plot_timeline, prices, used, day0=car_dots, start=start, end=end, units=units(results),
            numbers=numbers, title=title, caption=line)))
        cluster = densest_cluster(used["date"])
        if cluster is not None:
            c0 = cluster[0] - pd.Timedelta(days=12)
            c1 = cluster[1] + pd.Timedelta(days=12)
            zoom_title = (f"{shown}, {c0.day} {c0:%b} \u2013 {c1.day} {c1:%b %Y}: "
                          "the cluster of announcements")
            plan.append(("timeline_zoom", "timeline", zoom_title, functools.partial(
                plot_timeline, prices, used, day0=car_dots, start=c0, end=c1, units=units(results),
                numbers=numbers, title=zoom_title, caption=line)))
        if len(results.prices) > 1:
            for asset, series in prices.items():
                single = f"{asset} and the announcements"
                plan.append((f"prices_{asset}", "asset_timeline", single, functools.partial(
                    plot_timeline, {asset: series}, used, day0=car_dots, start=start, end=end,
                    units=units(results), numbers=numbers, title=single, caption=line)))
    else:
        notes.append("The timeline needs the prices (prices.csv), which this results folder lacks.")
    if len(ar):
        plan.append(("caar_by_asset", "caar", "Cumulative average abnormal return by asset",
                     functools.partial(plot_caar, ar_paths, "asset", caption=line, unit=unit, scopes=few)))
        groups = dict(zip(events["id"].astype(str), events["group"], strict=True))
        if any(pd.notna(g) and g for g in groups.values()):
            plan.append(("caar_by_group", "caar", "Cumulative average abnormal return by event group",
                         functools.partial(plot_caar, ar_paths, "group", groups=groups, caption=line,
                                           unit=unit, scopes=few_groups)))
    if len(car):
        for start_day, end_day in car[["start", "end"]].drop_duplicates().itertuples(index=False):
            w = (int(start_day), int(end_day))
            plan.append((f"forest_{w[0]}_{w[1]}", "forest", f"CAR over {figure_window(*w)} by event",
                         functools.partial(plot_forest, car_bars, w, caption=line, unit=unit)))
    if figures == "all" and len(ar):
        ranking = _pair_ranking(results, ar)
        chosen = set(ranking[:MAX_PAIR_FIGURES])
        if len(ranking) > MAX_PAIR_FIGURES:
            notes.append(f"Per-pair figures were drawn for {MAX_PAIR_FIGURES} of {len(ranking)} event-asset "
                         "pairs (those with the smallest p-value over the first CAR window); draw any "
                         "other with Results.plot_car(event_id, asset).")
        # each event's rows and assets, found once (not one pass over the table per event)
        by_event = ar.groupby(ar["event_id"].astype(str), sort=False).indices
        event_rows = {str(event): np.asarray(rows) for event, rows in by_event.items()}
        asset_names = ar["asset"].astype(str).to_numpy()
        event_assets = {event: list(dict.fromkeys(asset_names[rows])) for event, rows in event_rows.items()}
        multi = [e for e in dict.fromkeys(p[0] for p in ranking) if len(event_assets.get(e, [])) > 1]
        if len(multi) > MAX_PAIR_FIGURES:
            notes.append(f"Multi-asset event figures were drawn for {MAX_PAIR_FIGURES} of {len(multi)} "
                         "events (most significant first).")
        chosen_events = set(multi[:MAX_PAIR_FIGURES])
        first_window = _first_window(car)
        # in events-file order: each event's multi-asset figure, then its per-pair figures
        for event_id, assets in event_assets.items():
            if event_id in chosen_events:
                rows = ar.iloc[event_rows[event_id]]
                mine = car[(car["event_id"] == event_id) & (car["start"] == first_window[0])
                           & (car["end"] == first_window[1])] if first_window else None
                title = f"{event_id}: {rows['event'].iloc[0]}"
                rows, mine, which = _event_assets(rows, mine)
                plan.append((f"event_{event_id}", "event", f"{title} ({which})",
                             functools.partial(plot_event, rows, mine, title=title + _which_suffix(which),
                                               caption=line, unit=unit)))
            for asset in assets:
                if (event_id, asset) not in chosen:
                    continue
                rows = ar.iloc[event_rows[event_id]]
                rows = rows[rows["asset"].astype(str) == asset]
                mine = car[(car["event_id"] == event_id) & (car["asset"] == asset)]
                title = f"{event_id}: {rows['event'].iloc[0]}"
                plan.append((f"car_{event_id}_{asset}", "pair", f"{title} ({asset})",
                             functools.partial(plot_car, rows, mine, title=title, caption=line, unit=unit)))
    return plan, notes


def _left_out(scopes: ShownScopes) -> list[str]:
    """The notes on the assets and groups the figures leave out (:func:`shown_scopes`)."""
    notes = []
    if scopes.assets is not None:
        notes.append("The timelines, the forest plots and the CAAR by asset show "
                     f"{len(scopes.assets)} of the {scopes.n_assets} assets (those whose pairs are the most "
                     "significant: smallest p over the first CAR window); every asset is in car.csv, "
                     "aggregate.csv and prices.csv; draw any other with Results.plot_prices(asset).")
    if scopes.groups is not None:
        notes.append(f"The CAAR by event group shows {len(scopes.groups)} of the {scopes.n_groups} groups "
                     "(those whose pairs are the most significant); every group is in aggregate.csv.")
    return notes


def _event_assets(rows: pd.DataFrame, car: pd.DataFrame | None,
                  ) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """One event's abnormal-return and first-window CAR rows for its figure: every asset, or,
    above :data:`~eventstudy.output.rows.TOP_SCOPES` assets, the most significant (smallest
    p, then the larger |CAR|) in the study's order; and which assets they are, in words."""
    assets = rows["asset"].astype(str).unique().tolist()
    if len(assets) <= TOP_SCOPES or car is None:
        return rows, car, "all assets"
    keep = set(most_significant_first(car)["asset"].astype(str).unique().tolist()[:TOP_SCOPES])
    which = f"the {len(keep)} of {len(assets)} assets with the smallest p"
    return rows[rows["asset"].astype(str).isin(keep)], car[car["asset"].astype(str).isin(keep)], which


def _which_suffix(which: str) -> str:
    """The figure title's note on the assets drawn (nothing when every asset is)."""
    return "" if which == "all assets" else f" ({which})"


def _first_window(car: pd.DataFrame) -> tuple[int, int] | None:
    if car.empty:
        return None
    return int(car["start"].iloc[0]), int(car["end"].iloc[0])


def _pair_ranking(results: StudyResults, ar: pd.DataFrame) -> list[tuple[str, str]]:
    """The pairs of the abnormal-return table ``ar``, most significant first as the reports
    rank them (:func:`~eventstudy.output.rows.ranked_pairs`), then those without a CAR over
    the first window, in the table's order."""
    order = list(ar[["event_id", "asset"]].astype(str).drop_duplicates().itertuples(index=False, name=None))
    present = set(order)
    ranked = [pair for pair in ranked_pairs(results) if pair in present]
    listed = set(ranked)
    return ranked + [pair for pair in order if pair not in listed]


def save_figures(results: StudyResults, folder: Path, figures: str, formats: Sequence[str],
                 skip_existing: bool = False, jobs: int = 1,
                 progress: Callable[[str, int, int], None] | None = None,
                 meanwhile: Callable[[FigureSet], None] | None = None) -> FigureSet:
    """Draw the study's figures into ``folder`` in every format (PNG at 200 dpi).

    Parameters
    ----------
    results
        The study's results (:class:`eventstudy.results.Results`).
    folder
        Destination (created).
    figures
        ``none``, ``summary`` or ``all``.
    formats
        Any of ``png``, ``svg``, ``pdf``.
    skip_existing
        Keep figures whose files all exist (``eventstudy report``).
    jobs
        Processes drawing at once (this one included); the command line's ``--jobs``
        defaults to every core, the library to 1 (worker processes are started with
        ``spawn``, which re-imports an unguarded calling script).
    progress
        Called with ``("figures", done, total)`` after each figure drawn.
    meanwhile
        Other work of this process, given the planned figures (their files not yet
        drawn), done while the worker processes draw their first figures
        (:func:`~eventstudy.output.figures.drawing.draw_figures`); run once, also when
        there is nothing to draw.

    Returns
    -------
    FigureSet
    """
    result = FigureSet()
    if figures == "none":
        result.notes.append("No figures: the study was run with --figures none.")
        if meanwhile is not None:
            meanwhile(result)
        return result
    plan, result.notes = figure_plan(results, figures)
    folder.mkdir(parents=True, exist_ok=True)
    tasks: list[DrawTask] = []
    for name, kind, title, draw in plan:
        stem = _safe(name)
        files = {fmt: folder / f"{stem}.{fmt}" for fmt in formats}
        if not (skip_existing and all(p.exists() for p in files.values())):
            tasks.append((draw, files))
        result.records.append(FigureRecord(name=stem, kind=kind, title=title, files=files,
                                           description=DESCRIPTIONS.get(kind, "")))
    on_done = None if progress is None else functools.partial(progress, "figures")
    draw_figures(tasks, jobs=jobs, on_done=on_done,
                 meanwhile=None if meanwhile is None else functools.partial(meanwhile, result))
    return result


DESCRIPTIONS = {
    "timeline": "Prices over the study span; dashed lines mark the announcements (numbered as in the "
                "events table), dots the close of each asset's day 0. With more than 30 events, each is a "
                "tick at the foot of the panels and only the 30 most significant are numbered, lined and "
                "dotted.",
    "caar": "Average CAR across event-asset pairs, cumulated over the event window, with a 95% band from "
            "the cross-section of CARs; pairs that share day 0 are not independent.",
    "forest": "Each event's CAR over the window with its 95% confidence interval, sorted; the value and "
              "significance are printed at the right.",
    "pair": "Daily abnormal returns (bars) and their cumulative sum (line) with a 95% band; the CARs over "
            "the study's windows and their p-values are printed under the title.",
    "event": "The CAR of every asset around the same announcement, on a common event-time axis.",
    "asset_timeline": "One asset's timeline, for use on its own.",
}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)

