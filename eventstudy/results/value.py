"""Results of an event study: one value holding the spec, the tables, the arrays and the provenance.

:meth:`EventStudy.run <eventstudy.study.EventStudy.run>` returns it, and
:meth:`Results.from_folder` reads a saved results folder back into it, so the report,
figures and summary are drawn the same way from both. The renderers in
:mod:`eventstudy.output` read it and never import it (arch's results objects and
statsmodels' ``Summary`` work this way).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy import __version__
from eventstudy.events import Events
from eventstudy.inference.regression import default_cov_type, regress
from eventstudy.models.pairs import PairArrays
from eventstudy.output import figures as fig
from eventstudy.output.describe import caption, timeline_span, units
from eventstudy.output.format import percent_unit
from eventstudy.output.report import render
from eventstudy.output.summary import Summary, study_summary
from eventstudy.results.folder import FolderContents, input_paths, read_folder, study_record, write_folder
from eventstudy.sources.base import SeriesProvenance
from eventstudy.spec import StudySpec

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class Results:
    """What :meth:`EventStudy.run` returns, or :meth:`Results.from_folder` reads back.

    Attributes
    ----------
    spec
        The study's :class:`~eventstudy.spec.StudySpec`.
    events
        The validated :class:`~eventstudy.events.Events`.
    provenance
        Where each price series came from.
    prices
        Each asset's prices over the study span (earliest estimation start to latest
        event-window end).
    car
        One row per event, asset and CAR window, with the pair's tests (``docs/outputs.md``).
    aggregate
        One row per scope, window and test.
    skipped
        Pairs (and windows) that could not be computed, with the reason.
    abnormal_returns
        One row per event, asset and event-window day; built when first read.
    pairs, arrays
        The computed pairs and their :class:`~eventstudy.models.pairs.PairArrays` (``None`` for
        results read from a folder).
    diagnostics
        Clustering of day 0s and the average cross-correlation of abnormal returns
        (:func:`eventstudy.inference.clustering`).
    version
        The eventstudy version that computed the results.
    extra_tables
        Optional tables by file name (``docs/outputs.md``): ``regression`` (the ``regress``
        setting), ``bhar`` (long-horizon windows), ``synthetic`` (``model = "synthetic"``).
    """

    def __init__(self, *, spec: StudySpec, events: Events, provenance: Sequence[SeriesProvenance],
                 prices: Mapping[str, pd.Series], car: pd.DataFrame, aggregate: pd.DataFrame,
                 skipped: pd.DataFrame, abnormal_returns: pd.DataFrame | Callable[[], pd.DataFrame],
                 pairs: pd.DataFrame | None = None, arrays: PairArrays | None = None,
                 diagnostics: Mapping[str, Any] | None = None, version: str = __version__,
                 extra_tables: Mapping[str, pd.DataFrame] | None = None) -> None:
        self.spec = spec
        self.events = events
        self.provenance = tuple(provenance)
        self.prices = dict(prices)
        self.car = car
        self.aggregate = aggregate
        self.skipped = skipped
        self._abnormal_returns = abnormal_returns
        self.pairs = pairs
        self.arrays = arrays
        self.diagnostics = dict(diagnostics or {})
        self.version = version
        self.extra_tables = dict(extra_tables or {})

    @cached_property
    def abnormal_returns(self) -> pd.DataFrame:
        """One row per event, asset and event-window day (built on first use)."""
        table = self._abnormal_returns
        return table() if callable(table) else table

    @classmethod
    def from_folder(cls, folder: str | Path) -> Results:
        """Read a results folder written by :meth:`save` (tables, ``study.json``, events, prices).

        Raises
        ------
        InputError
            If ``folder`` is not a complete results folder.
        """
        return cls.from_contents(read_folder(Path(folder)))

    @classmethod
    def from_contents(cls, contents: FolderContents) -> Results:
        """The results held by a read results folder (:func:`eventstudy.results.folder.read_folder`)."""
        return cls(spec=contents.spec, events=contents.events, provenance=contents.provenance,
                   prices=contents.prices, car=contents.car, aggregate=contents.aggregate,
                   skipped=contents.skipped, abnormal_returns=contents.abnormal_returns,
                   diagnostics=contents.diagnostics, version=contents.version,
                   extra_tables=contents.extra_tables)

    # -- reading -----------------------------------------------------------------------------

    def summary(self) -> Summary:
        """The summary tables: per-pair CARs with p-values, the aggregate tests, notes.

        ``print(res.summary())``, ``.as_text()``, ``.as_html()``, ``.as_latex()``.
        """
        return study_summary(self)

    def __str__(self) -> str:
        return self.summary().as_text()

    def __repr__(self) -> str:
        n_pairs = self.car[["event_id", "asset"]].drop_duplicates().shape[0] if len(self.car) else 0
        return (f"<Results: {len(self.events)} events x {', '.join(self.spec.assets)}, {self.spec.model} "
                f"model; {n_pairs} pairs, {len(self.skipped)} skipped; print() or .summary() for the "
                "tables>")

    def regress(self, formula: str, window: tuple[int, int] = (0, 0), cov_type: str | None = None) -> Any:
        """Cross-sectional OLS of one window's CARs on the events' own columns.

        The CAR table (``car.csv``) is joined with the events (e.g. a ``surprise`` or
        ``group`` column) and fitted with the statsmodels formula API
        (:func:`eventstudy.inference.regression.regress`).

        Parameters
        ----------
        formula
            A patsy formula, e.g. ``"car ~ C(group)"`` or ``"car ~ surprise"``.
        window
            The CAR window whose rows are regressed (one of the study's windows).
        cov_type
            ``HC3`` (MacKinnon & White 1985), ``HC0``-``HC2``, ``nonrobust`` or ``cluster``
            (by day 0). Default: ``cluster`` when some pairs of the window share a day 0
            (Cameron & Miller 2015), else ``HC3``.

        Returns
        -------
        statsmodels.regression.linear_model.RegressionResultsWrapper
            ``.params``, ``.bse``, ``.pvalues``, ``.summary()``.

        Raises
        ------
        InputError
            For an unknown column, a window the study does not have, or too few rows.

        Examples
        --------
        >>> fit = res.regress("car ~ C(group)", window=(-1, 1))  # doctest: +SKIP
        """
        return regress(self.car, self.events.frame, formula, window,
                       cov_type or default_cov_type(self.car, window))

    @property
    def unit(self) -> str:
        """How the tables' and figures' percentages are labelled: ``log %`` or ``%``."""
        return percent_unit(self.spec.returns, self.spec.measure)

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    # -- figures -----------------------------------------------------------------------------

    def plot_car(self, event_id: str, asset: str, ax: Any = None) -> Figure:
        """Daily ARs and the CAR with its 95% band for one event and asset (``output.figures``)."""
        ar = self.abnormal_returns
        rows = ar[(ar["event_id"] == event_id) & (ar["asset"] == asset)]
        if rows.empty:
            raise KeyError(f"no abnormal returns for event {event_id!r} and asset {asset!r}")
        car = self.car[(self.car["event_id"] == event_id) & (self.car["asset"] == asset)]
        return fig.plot_car(rows, car, caption=caption(self), ax=ax, unit=self.unit)

    def plot_event(self, event_id: str, ax: Any = None) -> Figure:
        """Every asset's CAR around one event on a common event-time axis (``output.figures``)."""
        rows = self.abnormal_returns[self.abnormal_returns["event_id"] == event_id]
        if rows.empty:
            raise KeyError(f"no abnormal returns for event {event_id!r}")
        first = self.car[self.car["event_id"] == event_id]
        first = first[(first["start"] == first["start"].iloc[0]) & (first["end"] == first["end"].iloc[0])]
        return fig.plot_event(rows, first, caption=caption(self), ax=ax, unit=self.unit)

    def plot_caar(self, by: str = "asset", ax: Any = None) -> Figure:
        """CAAR by ``asset`` or ``group`` with 95% bands (``output.figures``)."""
        groups = dict(zip(self.events.frame["id"], self.events.frame["group"], strict=True))
        return fig.plot_caar(self.abnormal_returns, by, groups=groups, caption=caption(self), ax=ax,
                             unit=self.unit)

    def plot_forest(self, window: tuple[int, int] | None = None, ax: Any = None) -> Figure:
        """Each event's CAR over ``window`` with its 95% interval, sorted (``output.figures``)."""
        return fig.plot_forest(self.car, window, caption=caption(self), ax=ax, unit=self.unit)

    def plot_timeline(self, ax: Any = None) -> Figure:
        """Every asset's price over the study span, events numbered (``output.figures``)."""
        start, end = timeline_span(self)
        return fig.plot_timeline(self.prices, self.events.frame, day0=self.car, start=start, end=end,
                                 units=units(self), caption=caption(self), ax=ax)

    def plot_prices(self, asset: str, ax: Any = None) -> Figure:
        """The asset's price over the study span with its events' day 0 marked."""
        return fig.plot_prices(self.prices[asset], self.car[self.car["asset"] == asset], ax=ax)

    # -- saving ------------------------------------------------------------------------------

    def study_record(self) -> dict[str, Any]:
        """The content of ``study.json``."""
        return study_record(self._contents())

    def save(self, out: str | Path, *, figures: str = "all", figure_formats: Sequence[str] = ("png",),
             title: str | None = None, jobs: int = 1,
             progress: Callable[[str, int, int], None] | None = None) -> Path:
        """Write every output file (``docs/outputs.md``) into ``out``, atomically.

        The files are written to a staging folder beside ``out`` and moved into place
        only when complete. ``out`` may be new, empty, or a previous results folder
        (which is replaced only by a complete one); anything else is refused.

        Parameters
        ----------
        out
            Destination folder.
        figures
            ``all`` (every pair), ``summary`` (overview figures only) or ``none``.
        figure_formats
            Any of ``png``, ``svg``, ``pdf``.
        title
            The report's title (default: ``Event study report: <events file>``).
        jobs
            Processes drawing the figures (1: this one only; see
            :func:`eventstudy.output.figures.plan.save_figures`).
        progress
            Called with ``(stage, done, total)`` while the figures and reports are written.

        Returns
        -------
        Path
            The destination folder.

        Raises
        ------
        InputError
            If ``out`` is a file, a folder that is not ours, contains an input, or cannot
            be written.
        """
        options = {"figures": figures, "figure_formats": list(figure_formats), "title": title}

        def render_into(folder: Path, write_tables: Callable[[], None]) -> None:
            render(self, folder, figures=figures, figure_formats=figure_formats, title=title, jobs=jobs,
                   progress=progress, meanwhile=write_tables)

        return write_folder(Path(out), self._contents(), options, render_into, inputs=self.input_paths())

    def input_paths(self) -> list[Path]:
        """The files this study read: the events file and local price files."""
        return input_paths(self.events, self.provenance)

    def _contents(self) -> FolderContents:
        return FolderContents(spec=self.spec, events=self.events, provenance=self.provenance,
                              prices=self.prices, car=self.car, aggregate=self.aggregate,
                              skipped=self.skipped, abnormal_returns=self.abnormal_returns,
                              diagnostics=self.diagnostics, version=self.version,
                              extra_tables=self.extra_tables)
