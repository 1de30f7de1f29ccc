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

Writes are atomic: a temporary file in the same directory, flushed and fsynced, then
``os.replace``; a process killed mid-write leaves the previous file intact (plus a
stray ``.<name>.*.tmp`` that is ignored and cleaned up later). Concurrent runs on one
cache folder are safe: each write holds an exclusive ``flock`` on ``<file>.lock`` and
merges its ranges into the file as it is at that moment, so no run's ranges are lost.
A file without any observation (all NaN) counts as missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None  # type: ignore[assignment]

from eventstudy.errors import CacheMissError, DataQualityWarning, DataUnavailableError
from eventstudy.sources._dates import as_date, date_index
from eventstudy.sources.base import NoDataError, PriceSource

#: Days before a fetch's time whose values are refetched on the next request.
REFRESH_DAYS = 5
#: Longest range an *ambiguous* empty answer (yfinance) is believed for: a weekend or
#: holiday stretch; a longer one is taken for a failure and not cached.
MAX_QUIET_DAYS = 14
CACHE_ENV_VAR = "EVENTSTUDY_CACHE_DIR"
FORMAT_VERSION = 1
_META_KEY = b"eventstudy"
_STALE_TMP_SECONDS = 3600

Segment = tuple[date, date, datetime]  # covered days [start, end], fetched at
_Piece = tuple[date, date, pd.Series, datetime]  # a range fetched: start, end, values, at


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
        pieces: list[_Piece] = []
        nothing: NoDataError | None = None
        if self.offline:
            missing = subtract((start, end), [(a, b) for a, b, _ in segments])
            if missing:
                raise CacheMissError(self._offline_message(symbol, path, missing, start, end))
        else:
            gaps = [(start, end)] if self.refresh else subtract((start, end), self._settled(segments))
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

    def _settled(self, segments: list[Segment]) -> list[tuple[date, date]]:
        out = []
        for a, b, t in segments:
            last_final = t.date() - timedelta(days=self.refresh_days)
            if min(b, last_final) >= a:
                out.append((a, min(b, last_final)))
        return out

    def _offline_message(
        self, symbol: str, path: Path, missing: list[tuple[date, date]], start: date, end: date
    ) -> str:
        label = self.label or symbol
        ranges = ", ".join(f"{a:%Y-%m-%d} to {b:%Y-%m-%d}" for a, b in missing[:3])
        if len(missing) > 3:
            ranges += f" and {len(missing) - 3} more range(s)"
        what = "has no file" if not path.exists() else "lacks"
        return (
            f"offline: the cache {what} {label} ({self.name} {symbol}) for {ranges} "
            f"[{path}]; fill it while online with "
            f"'eventstudy fetch {label} --start {start:%Y-%m-%d} --end {end:%Y-%m-%d}"
            f"{'' if self.cache_dir == default_cache_dir() else f' --cache-dir {self.cache_dir}'}'"
            ", or give the prices with --prices"
        )

    def _save(
        self, path: Path, pieces: list[_Piece], symbol: str
    ) -> tuple[pd.Series, list[Segment]]:
        """Merge freshly fetched ``pieces`` into the file as it is now, under its lock.

        Another process may have written the file since it was read: it is read again
        while the lock is held and the pieces are applied to it, so both runs' ranges
        are kept. Returns the merged values and segments.
        """
        with _locked(path):
            values, segments = self._load(path)
            for a, b, new, at in pieces:
                values = _splice(values, new, a, b)
                segments = paint(segments, a, b, at)
            if not values.empty:
                self._write(path, values, segments, symbol)
        return values, segments

    def _load(self, path: Path) -> tuple[pd.Series, list[Segment]]:
        empty = pd.Series(dtype=float, index=date_index([]))
        if not path.exists():
            return empty, []
        try:
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            meta = json.loads((table.schema.metadata or {})[_META_KEY])
            segments = [
                (date.fromisoformat(a), date.fromisoformat(b), datetime.fromisoformat(t))
                for a, b, t in meta["segments"]
            ]
            frame = table.to_pandas()
            values = pd.Series(
                frame["value"].to_numpy(dtype=float),
                index=date_index(frame["date"]),
            )
        except Exception as error:  # unreadable, foreign or from a future version
            if self.offline:
                raise DataUnavailableError(
                    f"offline: cache file {path} is unreadable ({type(error).__name__}: "
                    f"{error}); delete it and fetch again while online"
                ) from None
            warnings.warn(
                f"ignoring unreadable cache file {path} ({type(error).__name__}); "
                "it will be rewritten",
                DataQualityWarning,
                stacklevel=3,
            )
            return empty, []
        values = values.dropna()
        if values.empty:  # no observation in it (all NaN): as good as no file
            return empty, []
        return values.sort_index(), sorted(segments)

    def _write(self, path: Path, values: pd.Series, segments: list[Segment], symbol: str) -> None:
        import pyarrow as pa

        meta = {
            "format": FORMAT_VERSION,
            "source": self.name,
            "symbol": symbol,
            "variant": str(getattr(self.source, "cache_key", "")),
            "base_url": self.base_url,
            "segments": [[f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}", t.isoformat()] for a, b, t in segments],
        }
        index = date_index(values.index)
        table = pa.table(
            {
                "date": pa.array(index.to_numpy(), type=pa.timestamp("ns")),
                "value": pa.array(values.to_numpy(dtype=float), type=pa.float64()),
            }
        )
        table = table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
        write_atomic(path, table)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``<path>.lock`` (POSIX; elsewhere no lock)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_atomic(path: Path, table: Any) -> None:
    """Write a pyarrow ``table`` to ``path`` as Parquet via a temp file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _remove_stale_temporaries(path)


def _write_table(table: Any, handle: Any) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, handle)


def _remove_stale_temporaries(path: Path) -> None:
    cutoff = time.time() - _STALE_TMP_SECONDS
    for stray in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if stray.stat().st_mtime < cutoff:
                stray.unlink()


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


def subtract(span: tuple[date, date], covered: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Days of ``span`` (inclusive) not in any ``covered`` range, as inclusive ranges."""
    start, end = span
    gaps: list[tuple[date, date]] = []
    cursor = start
    one = timedelta(days=1)
    for a, b in sorted(covered):
        if b < cursor or a > end:
            continue
        if a > cursor:
            gaps.append((cursor, a - one))
        cursor = max(cursor, b + one)
        if cursor > end:
            break
    if cursor <= end:
        gaps.append((cursor, end))
    return gaps


def paint(segments: list[Segment], start: date, end: date, at: datetime) -> list[Segment]:
    """Mark [start, end] as fetched at ``at``, over older marks; merge touching equal marks."""
    one = timedelta(days=1)
    out: list[Segment] = []
    for a, b, t in segments:
        if b < start or a > end:
            out.append((a, b, t))
            continue
        if a < start:
            out.append((a, start - one, t))
        if b > end:
            out.append((end + one, b, t))
    out.append((start, end, at))
    out.sort()
    merged: list[Segment] = []
    for a, b, t in out:
        if merged and merged[-1][2] == t and merged[-1][1] + one >= a:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b), t)
        else:
            merged.append((a, b, t))
    return merged
