"""Results of an event study: labelled tables, a summary, figures and saving."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy import __version__
from eventstudy.events import Events
from eventstudy.pairs import PairArrays
from eventstudy.sources.base import SeriesProvenance

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class Results:
    """What :meth:`EventStudy.run` returns.

    Attributes
    ----------
    abnormal_returns
        One row per event, asset and event-window day (DESIGN section 6).
    car
        One row per event, asset and CAR window, with the pair's tests.
    aggregate
        One row per scope, window and test.
    skipped
        Pairs (and windows) that could not be computed, with the reason.
    settings
        The resolved study settings.
    provenance
        Where each price series came from.
    """

    abnormal_returns: pd.DataFrame
    car: pd.DataFrame
    aggregate: pd.DataFrame
    skipped: pd.DataFrame
    settings: dict[str, Any]
    provenance: list[SeriesProvenance]
    events: Events
    prices: dict[str, pd.Series] = field(repr=False)
    pairs: pd.DataFrame = field(repr=False)
    arrays: PairArrays = field(repr=False)

    # -- reading ---------------------------------------------------------------------

    def summary(self) -> str:
        """A plain-text summary: per-pair CARs with p-values, then the aggregate tests."""
        from eventstudy.summary import text_summary

        return text_summary(self)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        s = self.settings
        return (f"<Results: {len(self.events)} events x {', '.join(s['assets'])}, {s['model']} model; "
                f"{len(self.pairs)} pairs, {len(self.skipped)} skipped; print() or .summary() for the "
                "tables>")

    def _repr_html_(self) -> str:
        from eventstudy.summary import html_summary

        return html_summary(self)

    # -- figures -----------------------------------------------------------------------

    def plot_car(self, event_id: str, asset: str, ax: Any = None) -> Figure:
        """Daily ARs and the CAR with its 95% band for one event and asset (:func:`plotting.plot_car`)."""
        from eventstudy.plotting import plot_car
        from eventstudy.report import ReportData

        rows = self.abnormal_returns.query("event_id == @event_id and asset == @asset")
        if rows.empty:
            raise KeyError(f"no abnormal returns for event {event_id!r} and asset {asset!r}")
        car = self.car.query("event_id == @event_id and asset == @asset")
        return plot_car(rows, car, caption=ReportData.from_results(self).caption(), ax=ax)

    def plot_event(self, event_id: str, ax: Any = None) -> Figure:
        """Every asset's CAR around one event on a common event-time axis (:func:`plotting.plot_event`)."""
        from eventstudy.plotting import plot_event
        from eventstudy.report import ReportData

        rows = self.abnormal_returns.query("event_id == @event_id")
        if rows.empty:
            raise KeyError(f"no abnormal returns for event {event_id!r}")
        first = self.car.query("event_id == @event_id")
        first = first[(first["start"] == first["start"].iloc[0]) & (first["end"] == first["end"].iloc[0])]
        return plot_event(rows, first, caption=ReportData.from_results(self).caption(), ax=ax)

    def plot_caar(self, by: str = "asset", ax: Any = None) -> Figure:
        """CAAR by ``asset`` or ``group`` with 95% bands (:func:`plotting.plot_caar`)."""
        from eventstudy.plotting import plot_caar
        from eventstudy.report import ReportData

        groups = dict(zip(self.events.frame["id"], self.events.frame["group"], strict=True))
        return plot_caar(self.abnormal_returns, by, groups=groups,
                         caption=ReportData.from_results(self).caption(), ax=ax)

    def plot_forest(self, window: tuple[int, int] | None = None, ax: Any = None) -> Figure:
        """Each event's CAR over ``window`` with its 95% interval, sorted (:func:`plotting.plot_forest`)."""
        from eventstudy.plotting import plot_forest
        from eventstudy.report import ReportData

        return plot_forest(self.car, window, caption=ReportData.from_results(self).caption(), ax=ax)

    def plot_timeline(self, ax: Any = None) -> Figure:
        """Every asset's price over the study span, events numbered (:func:`plotting.plot_timeline`)."""
        from eventstudy.plotting import plot_timeline
        from eventstudy.report import ReportData

        data = ReportData.from_results(self)
        start, end = data.timeline_span()
        return plot_timeline(data.prices, self.events.frame, day0=self.car, start=start, end=end,
                             units=data.units(), caption=data.caption(), ax=ax)

    def plot_prices(self, asset: str, ax: Any = None) -> Figure:
        """The asset's price over the study span with the events marked."""
        from eventstudy.plotting import plot_prices

        return plot_prices(self.prices[asset], self.pairs.query("asset == @asset"), ax=ax)

    # -- saving ------------------------------------------------------------------------

    def study_record(self) -> dict[str, Any]:
        """The content of ``study.json``."""
        return {
            "eventstudy_version": __version__,
            "settings": self.settings,
            "series": [asdict(p) for p in self.provenance],
            "events": len(self.events),
            "pairs": len(self.pairs),
            "skipped": len(self.skipped),
        }

    def save(self, out: str | Path, *, figures: str = "all",
             figure_formats: Sequence[str] = ("png",)) -> Path:
        """Write every output file of DESIGN section 6 into ``out``.

        The files are written to a temporary folder beside ``out`` and moved into
        place only when complete, so a failed save never leaves half a result and an
        existing folder is replaced only by a complete one.

        Parameters
        ----------
        out
            Destination folder.
        figures
            ``all`` (every pair), ``summary`` (overview figures only) or ``none``.
        figure_formats
            Any of ``png``, ``svg``, ``pdf``.

        Returns
        -------
        Path
            The destination folder.
        """
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            self._write(staging, figures, figure_formats)
            _replace_folder(staging, out)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return out

    def _write(self, folder: Path, figures: str, figure_formats: Sequence[str]) -> None:
        tables = {"abnormal_returns": self.abnormal_returns, "car": self.car,
                  "aggregate": self.aggregate, "skipped": self.skipped}
        for name, table in tables.items():
            table.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
        record = self.study_record()
        record["report"] = {"figures": figures, "figure_formats": list(figure_formats)}
        (folder / "study.json").write_text(json.dumps(record, indent=2, default=_json_default) + "\n",
                                           encoding="utf-8")
        from eventstudy.report import write_outputs

        write_outputs(self, folder, figures=figures, figure_formats=figure_formats)


def _replace_folder(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``; an existing ``out`` is removed only after the move."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, out)


def _json_default(value: object) -> object:
    if isinstance(value, np.integer | np.floating):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)
