"""On-disk Parquet cache of intraday bars, one namespace per interval.

One file per (source, interval, symbol, variant)::

    <cache_dir>/<source>-bars-<interval>/<symbol, %-quoted>@<variant>.parquet

holding the bars (``time``: the bar's start as a UTC instant; ``value``: its close)
and, in the Parquet metadata, the **local dates** (in the source's zone, Moscow for
ISS) that were asked for and when. A local date is the unit a source is asked for
(ISS ``from``/``till``), so a date without bars (a holiday) is still known to be
covered. As for daily data (:mod:`eventstudy.sources.cache`): only uncovered dates
are fetched; the last :data:`~eventstudy.sources.cache.REFRESH_DAYS` days before a
fetch (a session still trading, late corrections) are fetched again; ``offline=True``
never touches the source and raises :class:`~eventstudy.errors.CacheMissError` naming
what is missing; ``refresh=True`` fetches the whole request again. Writes are atomic
and hold the file's ``flock`` while merging into the file as it is at that moment.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import pandas as pd

from eventstudy.errors import CacheMissError
from eventstudy.sources.base import NoDataError
from eventstudy.sources.cache import REFRESH_DAYS, default_cache_dir
from eventstudy.sources.cache_file import (
    Piece,
    Segment,
    merge_pieces,
    ranges_text,
    read_cache_file,
    settled,
    subtract,
    write_cache_file,
)

FORMAT_VERSION = 1
_META_KEY = b"eventstudy-bars"


class BarSource(Protocol):
    """A source of intraday closes indexed by UTC bar start (e.g. ``MoexBarSource``)."""

    name: str
    interval: str

    @property
    def base_url(self) -> str: ...

    @property
    def cache_key(self) -> str: ...

    def url(self, symbol: str, start: date, end: date) -> str: ...

    def fetch(self, symbol: str, start: date, end: date) -> pd.Series: ...


@dataclass(frozen=True)
class CachedBars:
    """Bars read through the cache, with what provenance needs."""

    series: pd.Series
    path: Path
    fetched_at: datetime | None
    fetched_ranges: tuple[tuple[date, date], ...]
    base_url: str | None = None


class BarCache:
    """An intraday source behind the on-disk cache.

    Parameters
    ----------
    source
        The wrapped source (its ``name``, ``interval`` and ``cache_key`` name the file).
    timezone
        The zone of the local dates the source is asked for.
    cache_dir
        Root directory; default :func:`~eventstudy.sources.cache.default_cache_dir`.
    offline, refresh
        As for :class:`~eventstudy.sources.cache.CachedSource`.
    label
        Asset name used in messages (default: the symbol).
    clock
        Returns the current UTC time (tests pass a fixed one).
    """

    def __init__(self, source: BarSource, timezone: str, *, cache_dir: str | os.PathLike[str] | None = None,
                 offline: bool = False, refresh: bool = False, label: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.source = source
        self.timezone = timezone
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.offline = offline
        self.refresh = refresh
        self.label = label
        self.clock = clock or (lambda: datetime.now(UTC))

    def path(self, symbol: str) -> Path:
        """The cache file of ``symbol``'s bars of this source's interval."""
        stem = quote(symbol, safe="") + "@" + quote(self.source.cache_key, safe=".")
        return self.cache_dir / f"{self.source.name}-bars-{self.source.interval}" / f"{stem}.parquet"

    def fetch_cached(self, symbol: str, start: date, end: date) -> CachedBars:
        """Bars of ``symbol`` on the local dates ``start`` .. ``end``, from the cache where possible.

        Raises
        ------
        CacheMissError
            Offline, when the cache does not cover the whole range.
        NoDataError
            No bar in the range.
        DataUnavailableError
            The source failed.
        """
        path = self.path(symbol)
        values, segments = self._load(path)
        fetched: list[tuple[date, date]] = []
        if self.offline:
            missing = subtract((start, end), [(a, b) for a, b, _ in segments])
            if missing:
                raise CacheMissError(self._offline_message(symbol, path, missing))
        else:
            gaps = [(start, end)] if self.refresh else subtract((start, end), settled(segments, REFRESH_DAYS))
            pieces: list[Piece] = []
            try:
                for a, b in gaps:
                    now = self.clock()
                    try:
                        new = self.source.fetch(symbol, a, b)
                    except NoDataError:
                        new = pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
                    pieces.append((a, b, new, now))
                    fetched.append((a, b))
            finally:
                if pieces:
                    values, segments = self._save(path, pieces, symbol)
        window = values[self._inside(pd.DatetimeIndex(values.index), start, end)].copy()
        if window.empty:
            raise NoDataError(self.source.name, symbol, start, end,
                              f"no {self.source.interval} bar from {self.source.url(symbol, start, end)}")
        times = [t for a, b, t in segments if a <= end and b >= start]
        window.name = symbol
        window.index.name = "time"
        return CachedBars(window, path, max(times) if times else None, tuple(fetched),
                          self.source.base_url)

    # -- internals ------------------------------------------------------------------

    def _inside(self, index: pd.DatetimeIndex, start: date, end: date) -> Any:
        local = index.tz_convert(self.timezone).tz_localize(None).normalize()
        return (local >= pd.Timestamp(start)) & (local <= pd.Timestamp(end))

    def _splice(self, old: pd.Series, new: pd.Series, start: date, end: date) -> pd.Series:
        kept = old[~self._inside(pd.DatetimeIndex(old.index), start, end)]
        new = new[self._inside(pd.DatetimeIndex(new.index), start, end)].astype(float)
        if new.empty:
            return kept
        return new.sort_index() if kept.empty else pd.concat([kept, new]).sort_index()

    def _offline_message(self, symbol: str, path: Path, missing: list[tuple[date, date]]) -> str:
        label = self.label or symbol
        what = "has no file" if not path.exists() else "lacks"
        return (f"offline: the cache {what} {label} ({self.source.name} {symbol}, "
                f"{self.source.interval} bars) for {ranges_text(missing)} ({self.timezone} dates) [{path}]; "
                "fill it by running the study once online with the same cache folder, "
                "or give the bars in a file: [assets.NAME] file = \"bars.csv\"")

    def _save(self, path: Path, pieces: list[Piece], symbol: str) -> tuple[pd.Series, list[Segment]]:
        """Merge fresh ``pieces`` into the file as it is now, under its lock
        (:func:`~eventstudy.sources.cache_file.merge_pieces`)."""
        return merge_pieces(path, pieces, self._load, self._splice,
                            lambda target, values, segments: self._write(target, values, segments, symbol))

    def _load(self, path: Path) -> tuple[pd.Series, list[Segment]]:
        empty = pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC").as_unit("ns"))
        return read_cache_file(path, _META_KEY, offline=self.offline, empty=empty, values_of=_bars_of)

    def _write(self, path: Path, values: pd.Series, segments: list[Segment], symbol: str) -> None:
        import pyarrow as pa

        meta = {"format": FORMAT_VERSION, "source": self.source.name, "symbol": symbol,
                "interval": self.source.interval, "variant": self.source.cache_key,
                "timezone": self.timezone, "base_url": self.source.base_url}
        table = pa.table({
            "time": pa.array(pd.DatetimeIndex(values.index).as_unit("ns").tz_convert("UTC"),
                             type=pa.timestamp("ns", tz="UTC")),
            "value": pa.array(values.to_numpy(dtype=float), type=pa.float64()),
        })
        write_cache_file(path, table, _META_KEY, meta, segments)


def _bars_of(frame: pd.DataFrame) -> pd.Series:
    """The closes of a bar cache file's table, by UTC bar start."""
    index = pd.DatetimeIndex(frame["time"])
    index = (index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")).as_unit("ns")
    return pd.Series(frame["value"].to_numpy(dtype=float), index=index)
