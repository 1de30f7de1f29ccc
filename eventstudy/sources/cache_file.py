"""One cache file: observations in Parquet, with the ranges asked for in its metadata.

Shared by the daily cache (:mod:`eventstudy.sources.cache`) and the intraday one
(:mod:`eventstudy.sources.bar_cache`), which differ in what they store (a value per
date, a close per UTC bar start) and in the unit of a range (a date, a local date):

* **segments** ``(first, last, fetched_at)``: the inclusive ranges of days asked for
  and when, kept in the file's metadata, so a range without rows (a holiday) is
  still known to be covered (:func:`paint`, :func:`subtract`, :func:`settled`);
* **reading** (:func:`read_cache_file`): a missing file, or one without any
  observation, is empty; an unreadable one is refused offline and ignored (and
  rewritten) online;
* **writing** (:func:`merge_pieces`, :func:`write_cache_file`): under an exclusive
  ``flock`` on ``<file>.lock``, the freshly fetched pieces are merged into the file as
  it is at that moment (another run may have written it since it was read), and the
  file is replaced atomically: a temporary file in the same directory, flushed and
  fsynced, then ``os.replace``. A process killed mid-write leaves the previous file
  intact, plus a stray ``.<name>.*.tmp`` that is ignored and removed later.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None  # type: ignore[assignment]

from eventstudy.errors import DataQualityWarning, DataUnavailableError

Segment = tuple[date, date, datetime]  # covered days [first, last], fetched at
Piece = tuple[date, date, pd.Series, datetime]  # a range fetched: first, last, values, at

_STALE_TMP_SECONDS = 3600


def read_cache_file(path: Path, meta_key: bytes, *, offline: bool, empty: pd.Series,
                    values_of: Callable[[pd.DataFrame], pd.Series]) -> tuple[pd.Series, list[Segment]]:
    """The file's observations (sorted, none missing) and segments; ``empty`` and no segment
    for a missing file or one without any observation.

    ``values_of`` builds the series from the file's table (its index is the cache's own).
    An unreadable file (corrupt, foreign, from a future version) raises
    :class:`~eventstudy.errors.DataUnavailableError` when ``offline`` (nothing could
    replace it), else is ignored with a :class:`~eventstudy.errors.DataQualityWarning` and
    rewritten by the next save.
    """
    if not path.exists():
        return empty, []
    try:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {})[meta_key])
        segments = [(date.fromisoformat(a), date.fromisoformat(b), datetime.fromisoformat(t))
                    for a, b, t in meta["segments"]]
        values = values_of(table.to_pandas())
    except Exception as error:  # unreadable, foreign or from a future version
        if offline:
            raise DataUnavailableError(
                f"offline: cache file {path} is unreadable ({type(error).__name__}: {error}); "
                "delete it and fetch again while online") from None
        warnings.warn(f"ignoring unreadable cache file {path} ({type(error).__name__}); "
                      "it will be rewritten", DataQualityWarning, stacklevel=4)
        return empty, []
    values = values.dropna()
    if values.empty:  # no observation in it (all NaN): as good as no file
        return empty, []
    return values.sort_index(), sorted(segments)


def merge_pieces(path: Path, pieces: Sequence[Piece],
                 load: Callable[[Path], tuple[pd.Series, list[Segment]]],
                 splice: Callable[[pd.Series, pd.Series, date, date], pd.Series],
                 write: Callable[[Path, pd.Series, list[Segment]], None]) -> tuple[pd.Series, list[Segment]]:
    """Merge freshly fetched ``pieces`` into the file as it is now, under its lock.

    The file is read again while the lock is held (``load``) and each piece applied to it
    (``splice`` its values into the range, :func:`paint` the range), so the ranges of a
    run that wrote the file since are kept; the result is written with ``write`` unless
    it holds no observation. Returns the merged values and segments.
    """
    with locked(path):
        values, segments = load(path)
        for first, last, new, at in pieces:
            values = splice(values, new, first, last)
            segments = paint(segments, first, last, at)
        if not values.empty:
            write(path, values, segments)
    return values, segments


def write_cache_file(path: Path, table: Any, meta_key: bytes, meta: dict[str, Any],
                     segments: list[Segment]) -> None:
    """Write the pyarrow ``table`` atomically, with ``meta`` and the ``segments`` in its metadata."""
    record = {**meta, "segments": [[f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}", t.isoformat()] for a, b, t in segments]}
    write_atomic(path, table.replace_schema_metadata({meta_key: json.dumps(record).encode()}))


def settled(segments: list[Segment], refresh_days: int) -> list[tuple[date, date]]:
    """The parts of ``segments`` older than ``refresh_days`` days before their fetch time (UTC
    date): the days whose values are final and need not be fetched again."""
    out = []
    for first, last, at in segments:
        last_final = (at.astimezone(UTC) if at.tzinfo else at).date() - timedelta(days=refresh_days)
        if min(last, last_final) >= first:
            out.append((first, min(last, last_final)))
    return out


def ranges_text(missing: list[tuple[date, date]]) -> str:
    """``missing`` ranges for a message: the first three, then how many more."""
    text = ", ".join(f"{a:%Y-%m-%d} to {b:%Y-%m-%d}" for a, b in missing[:3])
    return text + (f" and {len(missing) - 3} more range(s)" if len(missing) > 3 else "")


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


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
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
