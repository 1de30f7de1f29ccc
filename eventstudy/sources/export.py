"""The prices a study needs, cut to the span its windows reach, in the tool's wide CSV format.

``eventstudy export`` (and ``eventstudy fetch --csv``) write prices with
:func:`write_prices_csv`: a ``date`` column (``YYYY-MM-DD``) and one column per asset,
every value with the shortest text that reads back as the same float, an empty cell
where an asset has no price that day. :func:`study_date_range` finds the dates a study
reads: for each studied asset, from the earliest estimation-window start to the latest
event-window end over all events (counted in that asset's own sessions, as the study
counts them), widened by a margin; :func:`cut_prices` keeps those dates of every
series, benchmarks included, so a study on the exported file gives the same numbers
as on the full series. :func:`provenance` describes where each exported series came
from. The format and the command: ``docs/outputs.md`` and ``seeds/README.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from eventstudy import __version__
from eventstudy.errors import InputError
from eventstudy.events import Events
from eventstudy.sources.base import SeriesProvenance, series_sha256
from eventstudy.sources.local import AssetFile
from eventstudy.timing.assets import Asset
from eventstudy.timing.calendars import day0_positions, observation_instants

# Extra sessions kept on each side of what the windows reach, and extra calendar days
# before the first kept date, so a benchmark has its last value at or before the
# first session of every studied asset (holidays and time zones differ).
MARGIN_SESSIONS = 5
MARGIN_DAYS = pd.Timedelta(days=14)


def write_prices_csv(prices: pd.DataFrame, path: str | Path) -> None:
    """Write wide prices as the tool's CSV: ``date`` + one column per asset.

    Parameters
    ----------
    prices
        Dates (``DatetimeIndex``) by assets, NaN where an asset has no price.
    path
        The file to write.

    Raises
    ------
    InputError
        When the file cannot be written (naming it and the reason).
    """
    try:
        prices.to_csv(path, index_label="date", date_format="%Y-%m-%d", lineterminator="\n")
    except OSError as error:
        raise InputError(f"cannot write the file: {error.strerror or error}", path=path,
                         fix="choose a folder that exists and that you may write to") from None


def study_date_range(prices: pd.DataFrame, assets: Mapping[str, Asset], events: Events,
                     reach: tuple[int, int],
                     margin_sessions: int = MARGIN_SESSIONS) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last price dates a study reads, over its studied assets.

    Parameters
    ----------
    prices
        Wide prices with a column per studied asset.
    assets
        The studied assets by name (their observation times place day 0).
    events
        The events; each event's day 0 is found on each asset's own sessions, by the
        rule of :func:`eventstudy.timing.calendars.day0_positions`.
    reach
        ``(lo, hi)``: the earliest and latest return day relative to day 0 the study
        uses, i.e. ``min(estimation start, event-window and CAR-window starts)`` and
        ``max(event-window and CAR-window ends)``.
    margin_sessions
        Sessions kept beyond that on each side.

    Returns
    -------
    tuple of Timestamp
        ``(first, last)``. A return on session ``q`` needs the prices of sessions
        ``q`` and ``q + 1`` of the price series (returns start at its second price),
        so the range runs from price ``day0 + lo - margin`` to ``day0 + hi + 1 + margin``;
        an event after an asset's last price keeps that asset's series to its end.

    Raises
    ------
    InputError
        When an asset has fewer than two prices.
    """
    lo, hi = reach
    firsts, lasts = [], []
    for name, asset in assets.items():
        observed = prices[name][prices[name].notna() & (prices[name] > 0)]
        if len(observed) < 2:
            raise InputError(f"asset {name} has {len(observed)} price(s); a study needs returns",
                             fix="check the price file and the asset's column")
        days = pd.DatetimeIndex(observed.index)
        instants = observation_instants(days, asset.observed_at, asset.timezone)
        positions = day0_positions(days[1:], instants[1:], events.frame["date"],
                                   events.frame["announced"])
        located = positions[positions >= 0]
        last_return = len(days) - 2
        first_day0 = int(located.min()) if located.size else last_return + 1
        last_day0 = last_return + 1 if (positions < 0).any() else int(located.max())
        start = max(first_day0 + lo - margin_sessions, 0)
        end = min(last_day0 + hi + 1 + margin_sessions, len(days) - 1)
        firsts.append(days[start])
        lasts.append(days[end])
    return min(firsts), max(lasts)


def cut_prices(prices: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp,
               margin: pd.Timedelta = MARGIN_DAYS) -> pd.DataFrame:
    """Every column's prices from ``first - margin`` to ``last``; dates with no price dropped."""
    kept = prices.loc[first - margin: last]
    return kept.dropna(how="all")


def provenance(prices: pd.DataFrame, records: Sequence[SeriesProvenance],
               files: Mapping[str, AssetFile], *, command: str,
               inputs: Mapping[str, str | Path | None], reach: tuple[int, int]) -> dict[str, Any]:
    """The sidecar of an exported price file: what was exported, from what, by which command.

    Parameters
    ----------
    prices
        The exported prices.
    records
        Provenance of the series as the study read them (source, symbol, cache or
        file path).
    files
        The source file of each asset read from a file named in the study file, with
        its options (``column``, ``invert``, ``dated_by``).
    command
        The command line that wrote the export.
    inputs
        Other input files by role (``events``, ``study file``), hashed too.
    reach
        The ``(lo, hi)`` relative days of :func:`study_date_range`.

    Returns
    -------
    dict
        JSON-ready: command, package version, creation time (UTC), the inputs with
        their SHA-256, the margins, and per series: source, symbol, file name and
        SHA-256 of the whole source file, its options, the exported range, row count
        and the SHA-256 of the exported values (:func:`~eventstudy.sources.base.series_sha256`,
        as in a results folder's ``study.json``).
    """
    series = []
    for record in records:
        values = prices[record.asset].dropna()
        entry: dict[str, Any] = {"asset": record.asset, "source": record.source,
                                 "symbol": record.symbol}
        origin = files.get(record.asset)
        path = origin.path if origin is not None else (Path(record.path) if record.path else None)
        if path is not None and path.is_file():
            entry.update(file=path.name, file_sha256=file_sha256(path))
        if origin is not None:
            entry.update(column=origin.column, invert=origin.invert, dated_by=origin.dated_by)
        if record.base_url:
            entry["base_url"] = record.base_url
        if record.fetched_at:
            entry["fetched_at"] = record.fetched_at
        entry.update(first=f"{values.index.min():%Y-%m-%d}", last=f"{values.index.max():%Y-%m-%d}",
                     rows=len(values), values_sha256=series_sha256(values))
        series.append(entry)
    return {
        "command": command,
        "eventstudy_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": {role: {"file": Path(path).name, "sha256": file_sha256(Path(path))}
                   for role, path in inputs.items() if path is not None and Path(path).is_file()},
        "reach": {"relative_days": list(reach), "margin_sessions": MARGIN_SESSIONS,
                  "margin_days_before": MARGIN_DAYS.days},
        "series": series,
    }


def write_provenance(record: Mapping[str, Any], path: str | Path) -> None:
    """Write the sidecar as indented JSON (UTF-8)."""
    try:
        Path(path).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write the file: {error.strerror or error}", path=path,
                         fix="choose a folder that exists and that you may write to") from None


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()
