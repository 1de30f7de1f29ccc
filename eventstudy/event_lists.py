"""Converters from published announcement lists to an events table.

:func:`cbr_key_rate_events` reads the Bank of Russia key-rate decision list of
``shared/data/panel/events`` (dates written in Russian, ``24 октября 2025``) into the
columns of an events file (``id, date, time, timezone, event, group, description,
source``), with the release time of each decision: 13:30 Moscow time, except the
extraordinary meeting of 15 August 2023 (10:30) and the emergency decision of
28 February 2022, released before the open at an unrecorded time (left date-only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pandas as pd

from eventstudy.errors import InputError

#: Genitive Russian month names as written in dates ("24 октября 2025").
RUSSIAN_MONTHS = {
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
    "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}
#: Bank of Russia decision words -> (group, English verb).
CBR_DIRECTIONS = {"повысить": ("raise", "raises"), "снизить": ("cut", "cuts"), "сохранить": ("hold", "holds")}
#: The regular release time of key-rate decisions (Moscow).
CBR_RELEASE_TIME = "13:30"
#: Decisions released at another time ("" = time unknown: the event keeps only its date).
CBR_RELEASE_EXCEPTIONS = {"2023-08-15": "10:30", "2022-02-28": ""}
#: Rows of the shared list dated by the day the rate took effect, not the decision day.
CBR_DATE_CORRECTIONS = {"2022-04-11": "2022-04-08", "2022-05-27": "2022-05-26"}
_DATE = re.compile(r"^\s*(\d{1,2})\s+([а-яё]+)\s+(\d{4})\s*$", re.IGNORECASE)


def parse_russian_date(text: str) -> date:
    """A date written in Russian words, e.g. ``"24 октября 2025"``; ``ValueError`` if not one.

    Examples
    --------
    >>> parse_russian_date("15 августа 2023")
    datetime.date(2023, 8, 15)
    """
    match = _DATE.match(text)
    month = RUSSIAN_MONTHS.get(match.group(2).lower()) if match else None
    if match is None or month is None:
        raise ValueError(f"{text!r} is not a date such as '24 октября 2025'")
    return date(int(match.group(3)), month, int(match.group(1)))


def cbr_key_rate_events(path: str | Path, *, release_time: str = CBR_RELEASE_TIME,
                        exceptions: Mapping[str, str] | None = None,
                        corrections: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Events (one per decision, oldest first) from a Bank of Russia key-rate decision list.

    Parameters
    ----------
    path
        CSV with columns ``date`` (Russian words), ``change_key_rate`` (``повысить`` /
        ``снизить`` / ``сохранить``), ``basis_points``, ``key_rate``.
    release_time
        Moscow time of the release (Bank of Russia press releases: 13:30).
    exceptions
        ``{"YYYY-MM-DD": "HH:MM"}`` other release times, ``""`` for unknown; default
        :data:`CBR_RELEASE_EXCEPTIONS`.
    corrections
        ``{"listed date": "decision date"}``; default :data:`CBR_DATE_CORRECTIONS`.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, date, time, timezone, event, group, description, source``, ready for
        :class:`eventstudy.EventStudy`.

    Raises
    ------
    InputError
        For a missing column or an unreadable date or direction, with its line.
    """
    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for column in ("date", "change_key_rate", "key_rate"):
        if column not in frame:
            raise InputError(f"no column {column!r}", path=path,
                             fix="give the decision list with date, change_key_rate, key_rate")
    exceptions = CBR_RELEASE_EXCEPTIONS if exceptions is None else exceptions
    corrections = CBR_DATE_CORRECTIONS if corrections is None else corrections
    rows = []
    for line, record in enumerate(frame.to_dict("records"), start=2):
        try:
            day = parse_russian_date(record["date"]).isoformat()
        except ValueError:
            raise InputError(f"cannot read the date {record['date']!r}", path=path, line=line,
                             column="date", fix="write it as '24 октября 2025'") from None
        direction = record["change_key_rate"].strip().lower()
        if direction not in CBR_DIRECTIONS:
            raise InputError(f"unknown decision {record['change_key_rate']!r}", path=path, line=line,
                             column="change_key_rate", fix=f"use one of {', '.join(CBR_DIRECTIONS)}")
        group, verb = CBR_DIRECTIONS[direction]
        day = corrections.get(day, day)
        clock = exceptions.get(day, release_time)
        points = record.get("basis_points", "").strip()
        size = f" by {float(points):.0f} bp" if points and group != "hold" else ""
        rate = record["key_rate"].strip()
        rate_text = (f" at {float(rate):g}%" if group == "hold" else f" to {float(rate):g}%") if rate else ""
        zone = "Europe/Moscow" if clock else ""
        rows.append({"id": f"CBR_{day}", "date": day, "time": clock, "timezone": zone,
                     "event": f"Bank of Russia {verb} the key rate{size}{rate_text}", "group": group,
                     "description": f"Key-rate decision released at {clock} Moscow time" if clock
                     else "Key-rate decision; release time unknown",
                     "source": path.name})
    return pd.DataFrame(rows).sort_values("date", kind="stable").reset_index(drop=True)
