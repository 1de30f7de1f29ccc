"""On-disk Parquet cache wrapping any price source.

One file per (source, symbol[, variant]) under the cache directory::

    <cache_dir>/<source>/<symbol, %-quoted>[@<variant>].parquet

holding the observations (``date``, ``value``) and, in the Parquet metadata, the
date ranges that were *asked for* and when (so a holiday stretch that has no rows is
still known to be covered). A request fetches only the ranges not yet covered; the
last :data:`REFRESH_DAYS` days before each fetch time count as provisional and are
fetched again (late corrections, a close not yet final). An empty answer marks its
range as covered, except an *ambiguous* one (yfinance's empty frame, which may mean a
failure) longer than :data:`MAX_QUIET_DAYS`, which is raised. ``offline=True`` never
touches the source and names what is missing; ``refresh=True`` fetches the whole
request again.

Writes are atomic and concurrent runs on one cache folder are safe
(:mod:`eventstudy.sources.cache_file`: each write holds an exclusive ``flock`` on
``<file>.lock`` and merges its ranges into the file as it is at that moment, so no
run's ranges are lost; a process killed mid-write leaves the previous file intact). A
file without any observation (all NaN) counts as missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from eventstudy.errors import CacheMissError
from eventstudy.sources._dates import as_date, date_index
from eventstudy.sources.base import NoDataError, PriceSource
from eventstudy.sources.cache_file import (
    Piece,
    Segment,
    merge_pieces,
    paint,
    ranges_text,
    read_cache_file,
    settled,
    subtract,
    write_cache_file,
)

#: Days before a fetch's time whose values are refetched on the next request.
REFRESH_DAYS = 5
#: Longest range an *ambiguous* empty answer (yfinance) is believed for: a weekend or
#: holiday stretch; a longer one is taken for a failure and not cached.
MAX_QUIET_DAYS = 14
CACHE_ENV_VAR = "EVENTSTUDY_CACHE_DIR"
FORMAT_VERSION = 1
_META_KEY = b"eventstudy"



def default_cache_dir() -> Path:
    """``$EVENTSTUDY_CACHE_DIR``, else the user cache directory (``platformdirs``)."""
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("eventstudy"))


@dataclass(frozen=True)
class CachedSeries:
    """A series read through the cache, with what provenance needs."""

    series: pd.Series
    path: Path
    fetched_at: datetime | None
    fetched_ranges: tuple[tuple[date, date], ...]
    base_url: str | None = None


class CachedSource:
    """A price source behind the on-disk cache (it has the same ``fetch``).

    Parameters
    ----------
    source
        The wrapped source. Its ``name`` and optional ``cache_key`` (a variant such
        as the MOEX board) name the file.
    cache_dir
        Root directory; default :func:`default_cache_dir`.
    offline
        Read only the cache; raise :class:`DataUnavailableError` naming what is
        missing instead of fetching.
    refresh
        Fetch the whole request again and overwrite the cached values in it.
    refresh_days
        Provisional tail, see the module docstring.
    label
        Asset name used in messages (default: the symbol).
    clock
        Returns the current UTC time (tests pass a fixed one).
    """

    def __init__(
        self,
        source: PriceSource,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        offline: bool = False,
        refresh: bool = False,
        refresh_days: int = REFRESH_DAYS,
        label: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.source = source
        self.name = source.name
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.offline = offline
        self.refresh = refresh
        self.refresh_days = refresh_days
        self.label = label
        self.clock = clock or (lambda: datetime.now(UTC))

    @property
    def base_url(self) -> str | None:
        """The wrapped source's base URL, if it has one."""
        return getattr(self.source, "base_url", None)

    def path(self, symbol: str) -> Path:
        """The cache file of ``symbol``."""
        stem = quote(symbol, safe="")
        variant = getattr(self.source, "cache_key", "")
        if variant:
            stem += "@" + quote(str(variant), safe=".")
        return self.cache_dir / self.name / f"{stem}.parquet"

    def fetch(self, symbol: str, start: date, end: date) -> pd.Series:
        """Prices of ``symbol`` from ``start`` to ``end``, from the cache where possible."""
        return self.fetch_cached(symbol, start, end).series

    def fetch_cached(self, symbol: str, start: date, end: date) -> CachedSeries:
        """Like :meth:`fetch`, also returning the file, fetch time and ranges fetched."""
        start, end = as_date(start), as_date(end)
        path = self.path(symbol)
        values, segments = self._load(path)
        fetched: list[tuple[date, date]] = []
        pieces: list[Piece] = []
        nothing: NoDataError | None = None
        if self.offline:
            missing = subtract((start, end), [(a, b) for a, b, _ in segments])
            if missing:
                raise CacheMissError(self._offline_message(symbol, path, missing, start, end))
        else:
            final = settled(segments, self.refresh_days)
            gaps = [(start, end)] if self.refresh else subtract((start, end), final)
            try:
                for a, b in gaps:
                    now = self.clock()
                    try:
                        new = self.source.fetch(symbol, a, b)
                    except NoDataError as error:
                        if error.ambiguous and (b - a).days + 1 > MAX_QUIET_DAYS:
                            raise
                        nothing = error
                        new = pd.Series(dtype=float)
                    values = _splice(values, new, a, b)
                    segments = paint(segments, a, b, now)
                    fetched.append((a, b))
                    pieces.append((a, b, new, now))
            finally:
                if pieces:
                    values, segments = self._save(path, pieces, symbol)
        window = values[(values.index >= pd.Timestamp(start)) & (values.index <= pd.Timestamp(end))]
        if window.empty:
            if nothing is not None and fetched == [(start, end)]:
                raise nothing
            raise NoDataError(self.name, symbol, start, end, f"none in the cache at {path}")
        times = [t for a, b, t in segments if a <= end and b >= start]
        window = window.copy()
        window.name = symbol
        window.index.name = "date"
        return CachedSeries(
            window, path, max(times) if times else None, tuple(fetched), self.base_url
        )

    def coverage(self, symbol: str) -> list[Segment]:
        """The covered ranges of ``symbol`` with their fetch times."""
        return self._load(self.path(symbol))[1]

    # -- internals ------------------------------------------------------------------

    def _offline_message(
        self, symbol: str, path: Path, missing: list[tuple[date, date]], start: date, end: date
    ) -> str:
        label = self.label or symbol
        what = "has no file" if not path.exists() else "lacks"
        return (
            f"offline: the cache {what} {label} ({self.name} {symbol}) for {ranges_text(missing)} "
            f"[{path}]; fill it while online with "
            f"'eventstudy fetch {label} --start {start:%Y-%m-%d} --end {end:%Y-%m-%d}"
            f"{'' if self.cache_dir == default_cache_dir() else f' --cache-dir {self.cache_dir}'}'"
            ", or give the prices with --prices"
        )

    def _save(self, path: Path, pieces: list[Piece], symbol: str) -> tuple[pd.Series, list[Segment]]:
        """Merge freshly fetched ``pieces`` into the file as it is now, under its lock
        (:func:`~eventstudy.sources.cache_file.merge_pieces`)."""
        return merge_pieces(path, pieces, self._load, _splice,
                            lambda target, values, segments: self._write(target, values, segments, symbol))

    def _load(self, path: Path) -> tuple[pd.Series, list[Segment]]:
        return read_cache_file(path, _META_KEY, offline=self.offline,
                               empty=pd.Series(dtype=float, index=date_index([])),
                               values_of=lambda frame: pd.Series(frame["value"].to_numpy(dtype=float),
                                                                 index=date_index(frame["date"])))

    def _write(self, path: Path, values: pd.Series, segments: list[Segment], symbol: str) -> None:
        import pyarrow as pa

        meta = {"format": FORMAT_VERSION, "source": self.name, "symbol": symbol,
                "variant": str(getattr(self.source, "cache_key", "")), "base_url": self.base_url}
        table = pa.table({
            "date": pa.array(date_index(values.index).to_numpy(), type=pa.timestamp("ns")),
            "value": pa.array(values.to_numpy(dtype=float), type=pa.float64()),
        })
        write_cache_file(path, table, _META_KEY, meta, segments)


def _splice(old: pd.Series, new: pd.Series, start: date, end: date) -> pd.Series:
    """``old`` with its values in [start, end] replaced by ``new``'s."""
    inside = (old.index >= pd.Timestamp(start)) & (old.index <= pd.Timestamp(end))
    kept = old[~inside]
    if new.empty:
        return kept
    new = pd.Series(new.to_numpy(dtype=float), index=date_index(new.index))
    new = new[(new.index >= pd.Timestamp(start)) & (new.index <= pd.Timestamp(end))]
    if kept.empty:
        return new.sort_index()
    return pd.concat([kept, new]).sort_index()
