"""Load and validate the events file (format: ``docs/events-file.md``) into :class:`Events`.

The file may be CSV, an Excel sheet (``events.xlsx`` or ``events.xlsx#Sheet``) or CSV
on standard input (``"-"`` or an open file). Every problem is reported with the file,
line (or sheet and row) and column and how to fix it. :func:`check_events` returns all
problems of a file (for ``eventstudy validate``); :func:`load_events` raises the first
one as :class:`~eventstudy.errors.InputError`.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from eventstudy.errors import InputError
from eventstudy.sources.excel import is_excel, read_sheet

REQUIRED_COLUMNS = ("date", "event")
KNOWN_COLUMNS = ("id", "date", "event", "time", "timezone", "assets", "group",
                 "description", "source")
# Columns of the canonical frame, in order; other input columns follow as metadata.
FRAME_COLUMNS = ("id", "event", "date", "announced", "timezone", "assets", "group", "description",
                 "source")

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")

STDIN = "-"  # the events "file" name that means standard input
STDIN_LABEL = "<stdin>"  # how errors and Events.path name standard input

# What load_events reads: a file path (CSV or Excel), "-" for standard input, an open
# text or binary file, or a DataFrame.
EventsSource = str | Path | pd.DataFrame | IO[str] | IO[bytes]

# Builds the error for a column of the current row: (column, problem, fix) -> InputError.
Fail = Callable[[str, str, str], InputError]


@dataclass(frozen=True)
class Events:
    """Validated announcements, one row per event.

    Attributes
    ----------
    frame
        Columns ``id``, ``event``, ``date`` (the announcement's local calendar date),
        ``announced`` (UTC ``Timestamp`` when a time was given, else ``NaT``),
        ``assets`` (tuple of asset names, or ``None`` for every asset), ``group``,
        ``description``, ``source``, then any other input columns as metadata.
    path
        The file the events came from, if any.
    """

    frame: pd.DataFrame
    path: str | None = None
    line_numbers: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def ids(self) -> list[str]:
        """Event ids in file order."""
        return list(self.frame["id"])

    def select(self, ids: Iterable[str]) -> Events:
        """The events whose ids are in ``ids``, in file order."""
        wanted = set(ids)
        unknown = wanted - set(self.frame["id"])
        if unknown:
            raise InputError(f"no event with id {', '.join(sorted(unknown))}",
                             fix=f"known ids: {', '.join(self.frame['id'])}")
        kept = self.frame[self.frame["id"].isin(wanted)].reset_index(drop=True)
        return Events(frame=kept, path=self.path,
                      line_numbers={k: v for k, v in self.line_numbers.items() if k in wanted})


def load_events(source: EventsSource) -> Events:
    """Load an events file or DataFrame and validate it.

    Parameters
    ----------
    source
        Path to a CSV file (``,`` ``;`` or tab separated, UTF-8 with or without BOM);
        an Excel workbook (``events.xlsx``: its first sheet; ``events.xlsx#Name``: the
        sheet ``Name``), whose date, date-time and time cells may be real Excel values
        or text; ``"-"`` for CSV on standard input, or an open file object; or a
        DataFrame with the same columns. The format: ``docs/events-file.md``.

    Returns
    -------
    Events

    Raises
    ------
    InputError
        On the first problem, naming file, line, column and the fix.

    Examples
    --------
    >>> events = load_events("seeds/events.csv")  # doctest: +SKIP
    >>> events.frame[["id", "date", "event"]].head()  # doctest: +SKIP
    >>> events = load_events("-")  # CSV piped in: cat events.csv | ...  # doctest: +SKIP
    """
    events, problems = _parse(source)
    if problems:
        first = problems[0]
        if len(problems) > 1:
            more = f"{len(problems) - 1} more problem(s): run 'eventstudy validate' to list all"
            first.fix = f"{first.fix}. ({more})" if first.fix else f"({more})"
            first.args = (first._render(),)
        raise first
    assert events is not None
    return events


def check_events(source: EventsSource) -> tuple[Events | None, list[InputError]]:
    """Validate without raising: the events (if the file could be read) and all problems.

    Raises
    ------
    InputError
        Only when the file cannot be read at all (missing, not text, no header).
    """
    return _parse(source)


def _parse(source: EventsSource) -> tuple[Events | None, list[InputError]]:
    if isinstance(source, pd.DataFrame) and set(FRAME_COLUMNS) <= set(source.columns):
        return _canonical(source)
    if isinstance(source, pd.DataFrame):
        header = [str(c) for c in source.columns]
        texts = [[v if type(v) is str else _cell_text(v) for v in source.iloc[:, k].tolist()]
                 for k in range(source.shape[1])]
        rows = [(i + 2, list(values)) for i, values in enumerate(zip(*texts, strict=True))]
        return _validate(header, rows, None)
    if isinstance(source, str | Path) and str(source) == STDIN:
        return _validate(*_read_text(_stdin_bytes(), STDIN_LABEL), STDIN_LABEL)
    if not isinstance(source, str | Path):
        label = str(getattr(source, "name", STDIN_LABEL))
        data = source.read()
        raw = data.encode("utf-8") if isinstance(data, str) else data
        return _validate(*_read_text(raw, label), label)
    if is_excel(source):
        sheet = read_sheet(source)
        try:
            events, problems = _validate(sheet.header, sheet.rows, str(source), sheet.header_row)
        except InputError as error:
            raise sheet.locate(error) from None
        return events, [sheet.locate(problem) for problem in problems]
    return _validate(*_read_csv(Path(source)), str(source))


def _stdin_bytes() -> bytes:
    """All of standard input, as bytes when the stream has them (keeps a BOM detectable)."""
    stream = sys.stdin
    if stream is None:
        raise InputError("standard input is closed", path=STDIN_LABEL,
                         fix="pipe the events CSV in (cat events.csv | eventstudy ... -) or name a file")
    buffer = getattr(stream, "buffer", None)
    return buffer.read() if buffer is not None else stream.read().encode("utf-8")


def _validate(header: list[str], rows: list[tuple[int, list[str]]], path: str | None,
              header_line: int = 1) -> tuple[Events | None, list[InputError]]:
    """Check the header and every row; the events, or every problem found."""
    columns = _check_header(header, path, header_line)
    fast = _validate_plain(columns, rows, path)
    if fast is not None:
        return fast, []
    problems: list[InputError] = []
    records: list[dict[str, object]] = []
    line_numbers: dict[str, int] = {}
    for number, (line, values) in enumerate(rows, start=1):
        if not any(v.strip() for v in values):
            continue
        cells = {name: (values[i].strip() if i < len(values) else "")
                 for i, name in enumerate(columns)}
        if len(values) > len(columns) and any(v.strip() for v in values[len(columns):]):
            problems.append(InputError(
                f"{len(values)} fields but the header has {len(columns)}", path=path, line=line,
                fix="quote text containing the delimiter, or remove the extra fields"))
            continue
        try:
            record = _parse_row(cells, number, path, line)
        except InputError as error:
            problems.append(error)
            continue
        if record["id"] in line_numbers:
            problems.append(InputError(
                f"duplicate id {record['id']!r} (first used on line {line_numbers[str(record['id'])]})",
                path=path, line=line, column="id", fix="give every event a unique id"))
            continue
        line_numbers[str(record["id"])] = line
        records.append(record)
    if not records and not problems:
        problems.append(InputError("the file has a header but no events", path=path,
                                   fix="add one row per announcement below the header"))
    if problems:
        return None, problems
    frame = pd.DataFrame.from_records(records)
    metadata = [c for c in frame.columns if c not in FRAME_COLUMNS]
    frame = frame[list(FRAME_COLUMNS) + metadata]
    return Events(frame=frame, path=path, line_numbers=line_numbers), []


def _validate_plain(columns: list[str], rows: list[tuple[int, list[str]]],
                    path: str | None) -> Events | None:
    """The events of a plain file, column by column, or ``None`` to validate row by row.

    A file is plain when every row has exactly the header's fields, none is blank, ids
    are valid or empty and unique, every event has a label and a ``YYYY-MM-DD`` calendar
    date, and no time or zone is given: most large files. The frame is the one the row
    by row path builds (same values, dtypes inferred the same way); any other file takes
    that path, which reports each problem with its line and column.
    """
    if not rows or any(len(values) != len(columns) for _, values in rows):
        return None
    cells = {name: pd.Series(values, dtype=object).str.strip()
             for name, values in zip(columns, zip(*(values for _, values in rows), strict=True),
                                     strict=True) if name}
    n = len(rows)
    blank = pd.concat([c == "" for c in cells.values()], axis=1).all(axis=1)
    if blank.any() or any((cells[c] != "").any() for c in ("time", "timezone") if c in cells):
        return None
    ids = cells["id"] if "id" in cells else pd.Series([""] * n, dtype=object)
    ids = ids.where(ids != "", pd.Series([f"E{i}" for i in range(1, n + 1)], dtype=object))
    dates = pd.to_datetime(cells["date"], format="%Y-%m-%d", errors="coerce")
    if (not ids.str.fullmatch(_ID.pattern).all() or ids.duplicated().any() or (cells["event"] == "").any()
            or not cells["date"].str.fullmatch(_ISO_DATE.pattern).all() or dates.isna().any()):
        return None

    def optional(name: str) -> list[object]:
        values = cells.get(name)
        return [None] * n if values is None else [v or None for v in values.tolist()]

    assets = [tuple(a.strip() for a in text.split(";") if a.strip()) or None
              for text in cells["assets"].tolist()] if "assets" in cells else [None] * n
    frame = pd.DataFrame({
        "id": ids.tolist(), "event": cells["event"].tolist(),
        "date": dates.dt.as_unit("s"), "announced": [pd.NaT] * n, "timezone": [None] * n,
        "assets": assets, "group": optional("group"), "description": optional("description"),
        "source": optional("source"),
        **{name: optional(name) for name in cells if name not in KNOWN_COLUMNS},
    })
    lines = [line for line, _ in rows]
    return Events(frame=frame, path=path, line_numbers=dict(zip(frame["id"].tolist(), lines, strict=True)))


def _canonical(frame: pd.DataFrame) -> tuple[Events | None, list[InputError]]:
    """An :attr:`Events.frame` (or a filtered copy): already validated, ids must stay unique."""
    duplicated = frame["id"][frame["id"].duplicated()].unique()
    if len(duplicated):
        return None, [InputError(f"duplicate id(s) {', '.join(map(str, duplicated))}",
                                 column="id", fix="give every event a unique id")]
    if frame.empty:
        return None, [InputError("no events", fix="keep at least one row")]
    return Events(frame=frame.reset_index(drop=True).copy()), []


def _cell_text(value: object) -> str:
    """Text of a DataFrame cell as it would appear in a CSV file."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp) and value.tzinfo is None and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not path.exists():
        raise InputError("no such file", path=path, fix="check the path")
    if path.is_dir():
        raise InputError("is a folder, not an events file", path=path,
                         fix="give the path of a CSV file")
    return _read_text(path.read_bytes(), str(path))


def _read_text(raw: bytes, path: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and ``(line, fields)`` rows of CSV bytes; ``path`` names them in errors."""
    if b"\x00" in raw:
        raise InputError("is not a text file (it contains NUL bytes)", path=path,
                         fix="save the events as a UTF-8 CSV file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError("is not valid UTF-8 text", path=path, line=line,
                         fix="save the file as UTF-8 (CSV UTF-8 in spreadsheet programs)") from None
    if not text.strip():
        raise InputError("the file is empty", path=path,
                         fix="add a header line (date,event,...) and one row per announcement")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    # A cell may be as long as the file (a long description): lift csv's 128 KB field limit.
    limit = csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    try:
        header = next(reader)
        for values in reader:
            rows.append((reader.line_num, values))
    except csv.Error as error:
        raise InputError(f"broken CSV quoting ({error})", path=path, line=reader.line_num + 1,
                         fix="close every opening double quote, and double any quote inside a "
                             "quoted field") from None
    finally:
        csv.field_size_limit(limit)
    return header, rows


def _sniff_delimiter(text: str) -> str:
    first_line = text.splitlines()[0]
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _check_header(header: list[str], path: str | None, line: int) -> list[str]:
    columns = [name.strip().lower() for name in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(repr(h) for h in header) or "nothing"
        raise InputError(
            f"missing required column(s) {', '.join(missing)} in the header (found {found})",
            path=path, line=line,
            fix="the first line must name the columns, at least: date,event")
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        raise InputError(f"column(s) {', '.join(duplicated)} appear more than once", path=path,
                         line=line, fix="keep one column of each name")
    return columns


def _parse_row(cells: dict[str, str], number: int, path: str | None, line: int) -> dict[str, object]:
    def fail(column: str, problem: str, fix: str) -> InputError:
        return InputError(problem, path=path, line=line, column=column, fix=fix)

    event_id = cells.get("id", "") or f"E{number}"
    if not _ID.match(event_id):
        raise fail("id", f"id {event_id!r} has spaces or special characters",
                   "use letters, digits, '-', '_' or '.'")
    label = cells["event"]
    if not label:
        raise fail("event", "the event label is empty", "give each event a short label")
    day, announced, zone = _parse_when(cells, fail)
    assets = tuple(a.strip() for a in cells.get("assets", "").split(";") if a.strip()) or None
    record: dict[str, object] = {
        "id": event_id,
        "event": label,
        "date": pd.Timestamp(day),
        "announced": announced,
        "timezone": zone,
        "assets": assets,
        "group": cells.get("group", "") or None,
        "description": cells.get("description", "") or None,
        "source": cells.get("source", "") or None,
    }
    for name, value in cells.items():
        if name not in KNOWN_COLUMNS and name:
            record[name] = value or None
    return record


def _parse_when(cells: dict[str, str], fail: Fail) -> tuple[date, Any, str | None]:
    """The announcement's local date, its UTC instant (``NaT`` for a bare date) and the zone
    it was given in (an IANA name or a UTC offset such as ``+03:00``; ``None`` for a bare date)."""
    text = cells["date"]
    zone_name = cells.get("timezone", "")
    zone = None
    if zone_name:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise fail("timezone", f"unknown time zone {zone_name!r}",
                       "use an IANA name such as Europe/Moscow, UTC or America/New_York") from None
    if not text:
        raise fail("date", "the date is empty", "write the date as YYYY-MM-DD")
    if _ISO_DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise fail("date", f"{text!r} is not a calendar date",
                       "check the month and day (YYYY-MM-DD)") from None
        clock = _parse_time(cells.get("time", ""), fail)
        if clock is None:
            return day, pd.NaT, None
        if zone is None:
            raise fail("timezone", f"time {cells['time']!r} is given without a time zone",
                       "add a timezone column (e.g. Europe/Moscow) or write the date as "
                       "2025-08-07T15:30+03:00")
        return day, pd.Timestamp(datetime.combine(day, clock, tzinfo=zone)).tz_convert("UTC"), zone_name
    if _ISO_DATETIME.match(text):
        if cells.get("time"):
            raise fail("time", "a time is given both in the date and in the time column",
                       "keep one of them")
        stamp = pd.Timestamp(text.replace(" ", "T"))
        given = zone_name or (None if stamp.tzinfo is None else f"{stamp:%z}"[:3] + ":" + f"{stamp:%z}"[3:])
        if stamp.tzinfo is None:
            if zone is None:
                raise fail("date", f"{text!r} has a time but no UTC offset",
                           "add an offset (2025-08-07T15:30+03:00) or a timezone column")
            stamp = stamp.tz_localize(zone)
        elif zone is not None:
            stamp = stamp.tz_convert(zone)
        return stamp.date(), stamp.tz_convert("UTC"), given
    raise fail("date", f"cannot read the date {text!r}", _date_fix(text))


def _date_fix(text: str) -> str:
    for pattern, order in ((_DOTTED, "dmy"), (_COMPACT, "ymd")):
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, match.groups(), strict=True))
            return (f"write it as ISO YYYY-MM-DD: "
                    f"{parts['y']}-{int(parts['m']):02d}-{int(parts['d']):02d}")
    match = _SLASHED.match(text)
    if match:
        a, b, year = match.groups()
        return (f"it is ambiguous (day/month or month/day?); write it as ISO YYYY-MM-DD, "
                f"e.g. {year}-{int(b):02d}-{int(a):02d} or {year}-{int(a):02d}-{int(b):02d}")
    return "write dates as YYYY-MM-DD, or YYYY-MM-DDTHH:MM+03:00 with a time"


def _parse_time(text: str, fail: Fail) -> time | None:
    if not text:
        return None
    match = _TIME.match(text)
    if match:
        hour, minute, second = (int(g) if g else 0 for g in match.groups())
        if hour < 24 and minute < 60 and second < 60:
            return time(hour, minute, second)
    raise fail("time", f"cannot read the time {text!r}", "write times as HH:MM (24-hour clock)")


def unknown_assets(events: Events, known: Iterable[str]) -> InputError | None:
    """An error for the first event naming an asset outside ``known``, else ``None``."""
    known_set = set(known)
    frame = events.frame
    for event_id, names in zip(frame["id"], frame["assets"], strict=True):
        for name in names or ():
            if name not in known_set:
                return InputError(
                    f"event {event_id} names unknown asset {name!r}", path=events.path,
                    line=events.line_numbers.get(str(event_id)), column="assets",
                    fix=f"use one of the study's assets: {', '.join(sorted(known_set))}")
    return None
