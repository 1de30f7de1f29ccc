"""What every renderer says about a study: its model, sources, caption, units, windows, flags.

The renderers read a study's results through :class:`StudyResults`, the attributes that
:class:`eventstudy.results.Results` has, so this layer never imports the results
module (nor anything above it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from eventstudy.events import Events
from eventstudy.models.registry import MODELS
from eventstudy.output.format import event_numbers, percent_unit, window_label
from eventstudy.sources.base import SeriesProvenance
from eventstudy.spec import StudySpec
from eventstudy.timing.assets import BUILTIN_ASSETS

SOURCE_NAMES = {"moex": "MOEX ISS", "cbr": "Bank of Russia", "yahoo": "Yahoo Finance", "file": "local file"}


class StudyResults(Protocol):
    """The study results as the renderers read them (:class:`eventstudy.results.Results`)."""

    @property
    def spec(self) -> StudySpec: ...
    @property
    def events(self) -> Events: ...
    @property
    def provenance(self) -> Sequence[SeriesProvenance]: ...
    @property
    def prices(self) -> Mapping[str, pd.Series]: ...
    @property
    def version(self) -> str: ...
    @property
    def abnormal_returns(self) -> pd.DataFrame: ...
    @property
    def car(self) -> pd.DataFrame: ...
    @property
    def aggregate(self) -> pd.DataFrame: ...
    @property
    def skipped(self) -> pd.DataFrame: ...
    @property
    def diagnostics(self) -> Mapping[str, Any]: ...
    @property
    def extra_tables(self) -> Mapping[str, pd.DataFrame]: ...


#: Where bar 0 falls in an intraday study (``docs/intraday.md``).
BAR0_RULE = ("the bar containing the announcement, else the next bar; a bare date means that day's "
             "opening bar")


def intraday(results: StudyResults) -> bool:
    """Whether the study counts bars (an ``interval`` other than ``1d``) rather than trading days."""
    return results.spec.interval != "1d"


def day0_label(results: StudyResults) -> str:
    """``day 0``, or ``bar 0`` in an intraday study."""
    return "bar 0" if intraday(results) else "day 0"


def span_unit(results: StudyResults) -> str:
    """What windows count: ``trading days``, or ``bars of 1h`` in an intraday study."""
    return f"bars of {results.spec.interval}" if intraday(results) else "trading days"


def t_test_text(results: StudyResults) -> str:
    """How a pair's t is formed, in a few words."""
    if intraday(results):
        return "t with each bar's time-of-day variance"
    return "t with the model's residual degrees of freedom"


def empirical_text(results: StudyResults) -> str:
    """What the empirical p-value ranks the CAR among, in a few words."""
    if intraday(results):
        return "rank among the estimation CARs starting at the same clock time"
    return "rank among the estimation window's CARs"


def numbers(results: StudyResults) -> dict[str, int]:
    """Event number (1-based, events-file order) by id, as in the timeline."""
    return event_numbers(results.events.frame["id"])


def units(results: StudyResults) -> dict[str, str]:
    """Units of each asset's price (the study's asset definitions, else the catalogue's)."""
    names = list(results.prices) or list(dict.fromkeys(results.car.get("asset", [])))
    known = {**BUILTIN_ASSETS, **results.spec.asset_overrides}
    return {n: known[n].units for n in names if n in known and known[n].units}


def descriptions(results: StudyResults) -> dict[str, str]:
    """One-line description of each asset (the study's definitions, else the catalogue's)."""
    known = {**BUILTIN_ASSETS, **results.spec.asset_overrides}
    return {n: a.description for n, a in known.items()}


def unit(results: StudyResults) -> str:
    """How the study's percentages are labelled: ``log %`` for log returns, else ``%``."""
    return percent_unit(results.spec.returns, results.spec.measure)


def timeline_span(results: StudyResults) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last date of the study's prices."""
    starts = [s.index.min() for s in results.prices.values() if len(s)]
    ends = [s.index.max() for s in results.prices.values() if len(s)]
    return pd.Timestamp(min(starts)), pd.Timestamp(max(ends))


def model_text(results: StudyResults) -> str:
    """``market model on EEM, log returns, estimation [-250,-11]``."""
    spec = results.spec
    label = MODELS[spec.model].label
    model = f"{label} model" + (f" on {', '.join(spec.benchmark)}" if spec.benchmark else "")
    series = "daily log volume" if spec.measure == "volume" else f"{spec.returns} returns"
    return f"{measure_text(spec)}{model}, {series}, estimation {window_label(*spec.estimation)}"


def measure_text(spec: StudySpec) -> str:
    """``abnormal log volume, `` or ``abnormal volatility (variance ratio), `` before the model;
    nothing for abnormal returns (the default)."""
    return {"volume": "abnormal log volume, ",
            "volatility": "abnormal returns and volatility (Beaver variance ratio), "}.get(spec.measure, "")


#: Series whose sources are named one by one at most; a larger study counts them by source.
MAX_LISTED_SOURCES = 12


def source_text(results: StudyResults) -> str:
    """``IMOEX: MOEX ISS; RUBUSD: Bank of Russia`` (file names for local files); above
    :data:`MAX_LISTED_SOURCES` series, ``200 series: file prices.csv`` per source."""
    sources = []
    for record in results.provenance:
        source = SOURCE_NAMES.get(record.source, record.source)
        if record.source == "file" and record.path:
            source = f"file {Path(record.path).name}"
        sources.append((record.asset, source))
    if len(sources) > MAX_LISTED_SOURCES:
        counts = Counter(source for _, source in sources)  # in the order first met
        return "; ".join(f"{n} series: {source}" for source, n in counts.items()) + " (each in study.json)"
    return "; ".join(f"{asset}: {source}" for asset, source in sources) or "not recorded"


def caption(results: StudyResults) -> str:
    """The caption line of every figure."""
    version = f"; eventstudy {results.version}" if results.version else ""
    model = model_text(results)
    return f"Source: {source_text(results)}. {model[0].upper()}{model[1:]}{version}."


def windows(results: StudyResults) -> list[tuple[int, int]]:
    """CAR windows in table order."""
    car = results.car
    if not len(car):
        return list(results.spec.windows)
    return [(int(a), int(b)) for a, b in car[["start", "end"]].drop_duplicates().itertuples(index=False)]


def flagged(results: StudyResults) -> pd.DataFrame:
    """Pairs with overlap flags: ``event_id``, ``asset``, ``flags``."""
    flags = results.car[["event_id", "asset", "flags"]].drop_duplicates(["event_id", "asset"])
    return flags[flags["flags"].fillna("").astype(str).str.len() > 0].reset_index(drop=True)


def title(results: StudyResults) -> str:
    """``Event study report: events`` (the events file's name)."""
    text = "Event study report"
    if results.events.path:
        text += f": {Path(str(results.events.path)).stem}"
    return text
