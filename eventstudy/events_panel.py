"""Panel events and prices as published: Bank of Russia key-rate decisions, dividend
announcements and share splits (the MOEX panel in ``shared/data/panel``).

Each reader takes the file exactly as it is distributed and returns a frame whose first
columns are those of an events file (``id, date, event, assets, group, description,
source``), so :func:`eventstudy.events.load_events` accepts it directly (the other
columns are kept as metadata). ``eventstudy convert-events`` writes the same frames as
CSV. Format and provenance of the files: ``docs/panel-events.md``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import InputError

RUSSIAN_MONTHS = {
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7,
    "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}
DIRECTIONS = {"повысить": "hike", "снизить": "cut", "сохранить": "hold"}
_RUSSIAN_DATE = re.compile(r"^\s*(\d{1,2})\s+([а-яё]+)\s+(\d{4})\s*$", re.IGNORECASE)

# Published Bank of Russia facts the source file gets wrong or leaves empty. Two rows carry
# the date the rate took effect instead of the announcement (press releases of 8 April and
# 26 May 2022), and the emergency decisions of 28 February 2022 (9.5% -> 20%) and 18 March
# 2022 (hold at 20%) have no rate.
CBR_CORRECTIONS: dict[date, dict[str, object]] = {
    date(2022, 4, 11): {"date": date(2022, 4, 8), "note": "file has the effective date 11 Apr 2022; "
                        "announced 8 Apr 2022"},
    date(2022, 5, 27): {"date": date(2022, 5, 26), "note": "file has the effective date 27 May 2022; "
                        "announced 26 May 2022"},
    date(2022, 2, 28): {"key_rate": 20.0, "basis_points": 1050.0,
                        "note": "rate and size missing in the file: 9.5% -> 20% (press release)"},
    date(2022, 3, 18): {"key_rate": 20.0, "note": "rate missing in the file: held at 20% (press release)"},
}


def parse_russian_date(text: str) -> date:
    """A date written in Russian words, ``"24 октября 2025"`` -> ``date(2025, 10, 24)``.

    Raises
    ------
    ValueError
        If the text is not ``<day> <month in the genitive> <year>``.
    """
    match = _RUSSIAN_DATE.match(str(text))
    month = RUSSIAN_MONTHS.get(match.group(2).lower()) if match else None
    if match is None or month is None:
        raise ValueError(f"not a Russian date like '24 октября 2025': {text!r}")
    return date(int(match.group(3)), month, int(match.group(1)))


#: The Bank of Russia's regular release time of key-rate decisions (Moscow), and the
#: decisions released at another time ("" = unrecorded: the event keeps only its date).
CBR_RELEASE_TIME = "13:30"
CBR_RELEASE_EXCEPTIONS = {date(2023, 8, 15): "10:30", date(2022, 2, 28): ""}


def read_cbr_decisions(path: str | Path, *, corrections: bool = True) -> pd.DataFrame:
    """Bank of Russia key-rate decisions as events, oldest first.

    Reads the file as published (``date,change_key_rate,basis_points,key_rate,inflation``;
    dates in Russian words, direction ``повысить`` / ``снизить`` / ``сохранить``, basis
    points empty for holds, newest first).

    Parameters
    ----------
    path
        The CSV file (``cbr_key_rate_decisions_*.csv``).
    corrections
        Apply :data:`CBR_CORRECTIONS` (two effective dates replaced by the announcement
        dates, the missing rates of February and March 2022); each corrected row says so
        in ``note``.

    Returns
    -------
    DataFrame
        ``date`` (announcement day), ``time`` and ``timezone`` (the release: 13:30 Moscow
        time, 10:30 for the extraordinary meeting of 15 August 2023, none for the emergency
        decision of 28 February 2022, released before the open at an unrecorded time),
        ``event``, ``id`` (``CBR-YYYY-MM-DD``), ``group``
        (``hike``, ``cut``, ``hold``), ``description``, ``source``, then ``direction``,
        ``change_bp`` (signed: + hike, - cut, 0 hold; NaN when unknown), ``key_rate``
        (the new rate, %), ``previous_rate``, ``surprise_bp`` and ``inflation``, ``note``.
        ``surprise_bp`` is ``change_bp`` minus the previous decision's ``change_bp``: the
        surprise against a naive forecast that the Bank repeats its last move (no
        consensus forecasts are in the file); NaN for the first decision.

    Raises
    ------
    InputError
        For an unreadable date, an unknown direction or a missing column, naming the line.
    """
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    _require_columns(raw, ("date", "change_key_rate", "basis_points", "key_rate"), path)
    rows = []
    for number, row in enumerate(raw.to_dict("records"), start=2):
        try:
            when = parse_russian_date(row["date"])
        except ValueError:
            raise InputError(f"unreadable date {row['date']!r}", path=str(path), line=number, column="date",
                             fix="write the date as '<day> <month> <year>' in Russian, e.g. "
                                 "'24 октября 2025'") from None
        direction = DIRECTIONS.get(str(row["change_key_rate"]).strip().lower())
        if direction is None:
            raise InputError(f"unknown direction {row['change_key_rate']!r}", path=str(path), line=number,
                             column="change_key_rate", fix="use повысить, снизить or сохранить")
        values: dict[str, object] = {
            "date": when, "direction": direction, "basis_points": _number(row["basis_points"]),
            "key_rate": _number(row["key_rate"]), "inflation": _number(row.get("inflation", "")),
            "note": ""}
        if corrections and when in CBR_CORRECTIONS:
            values.update(CBR_CORRECTIONS[when])
        rows.append(values)
    frame = pd.DataFrame(rows).sort_values("date", kind="stable").reset_index(drop=True)
    sign = frame["direction"].map({"hike": 1.0, "cut": -1.0, "hold": 0.0})
    size = frame["basis_points"].where(frame["direction"] != "hold", 0.0)
    frame["change_bp"] = sign * size
    frame["previous_rate"] = frame["key_rate"].shift(1)
    frame["surprise_bp"] = frame["change_bp"] - frame["change_bp"].shift(1)
    frame["id"] = [f"CBR-{d:%Y-%m-%d}" for d in frame["date"]]
    frame["event"] = [_cbr_title(str(d), float(c), float(k)) for d, c, k in
                      zip(frame["direction"], frame["change_bp"], frame["key_rate"], strict=True)]
    frame["group"] = frame["direction"]
    frame["time"] = [CBR_RELEASE_EXCEPTIONS.get(d, CBR_RELEASE_TIME) for d in frame["date"]]
    frame["timezone"] = np.where(frame["time"] != "", "Europe/Moscow", "")
    frame["date"] = pd.to_datetime(frame["date"])
    frame["description"] = [f"Bank of Russia board decision of {d.day} {d:%B %Y}" for d in frame["date"]]
    frame["source"] = path.name
    return frame[["date", "time", "timezone", "event", "id", "group", "description", "source", "direction",
                  "change_bp", "key_rate", "previous_rate", "surprise_bp", "inflation", "note"]]


def _cbr_title(direction: str, change_bp: float, key_rate: float) -> str:
    rate = f" to {key_rate:g}%" if np.isfinite(key_rate) else ""
    if direction == "hold":
        return f"Bank of Russia holds the key rate at {key_rate:g}%" if np.isfinite(key_rate) \
            else "Bank of Russia holds the key rate"
    verb = "raises" if direction == "hike" else "cuts"
    size = f" by {abs(change_bp):g} bp" if np.isfinite(change_bp) else ""
    return f"Bank of Russia {verb} the key rate{size}{rate}"


def read_dividend_announcements(path: str | Path) -> pd.DataFrame:
    """Dividend announcements (board recommendation dates) as events, one per company and dividend.

    Reads the e-disclosure compilation as published
    (``ticker,record_date,board_reco_date,agm_date,source_url,confidence,notes``). The
    event date is the board's recommendation (the announcement); rows without one
    (``confidence`` ``none``: the recommendation predates the disclosure archive) are
    left out. Each event concerns its own ticker only (``assets``).

    Returns
    -------
    DataFrame
        ``date``, ``event``, ``id`` (``DIV-<TICKER>-YYYY-MM-DD``), ``assets``, ``group``
        (``dividend``), ``description``, ``source``, then ``ticker``, ``record_date``,
        ``agm_date``, ``confidence``; sorted by date, then ticker.

    Raises
    ------
    InputError
        For a missing column or an unreadable date, naming the line.
    """
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    _require_columns(raw, ("ticker", "record_date", "board_reco_date", "agm_date", "confidence"), path)
    dated = raw[raw["board_reco_date"].str.strip() != ""]
    parsed = {}
    for column in ("board_reco_date", "record_date", "agm_date"):
        values = pd.to_datetime(dated[column].replace("", None), format="%Y-%m-%d", errors="coerce")
        bad = values.isna() & (dated[column] != "")
        if bad.any():
            line = int(bad.to_numpy().nonzero()[0][0])
            index = dated.index[line]
            raise InputError(f"unreadable date {dated.loc[index, column]!r}", path=str(path),
                             line=int(index) + 2, column=column, fix="write dates as YYYY-MM-DD")
        parsed[column] = values.dt.date
    frame = pd.DataFrame({
        "date": parsed["board_reco_date"], "ticker": dated["ticker"].str.strip(),
        "record_date": parsed["record_date"], "agm_date": parsed["agm_date"],
        "confidence": dated["confidence"]})
    frame["id"] = [f"DIV-{t}-{d:%Y-%m-%d}" for t, d in zip(frame["ticker"], frame["date"], strict=True)]
    frame["event"] = [f"{t}: board recommends a dividend" for t in frame["ticker"]]
    frame["assets"] = frame["ticker"]
    frame["group"] = "dividend"
    frame["description"] = [f"record date {r:%Y-%m-%d}" if pd.notna(r) else "" for r in frame["record_date"]]
    frame["source"] = path.name
    frame = frame.sort_values(["date", "ticker"], kind="stable").drop_duplicates("id").reset_index(drop=True)
    return frame[["date", "event", "id", "assets", "group", "description", "source", "ticker",
                  "record_date", "agm_date", "confidence"]]


def read_splits(folder: str | Path) -> pd.DataFrame:
    """Every ``<TICKER>.csv`` of a splits folder (``date,before,after,type,source``), one frame.

    Returns
    -------
    DataFrame
        ``ticker``, ``date`` (first trading day at the new share count), ``before``,
        ``after`` (``before`` old shares became ``after`` new ones), ``type``.
    """
    if not Path(folder).is_dir():
        raise InputError("no such folder of split files", path=str(folder),
                         fix="give the folder of <ASSET>.csv split files (date,before,after), e.g. "
                             "panel/moex_splits")
    frames = []
    for file in sorted(Path(folder).glob("*.csv")):
        table = pd.read_csv(file, dtype={"type": str, "source": str})
        _require_columns(table, ("date", "before", "after"), file)
        counts = table[["before", "after"]].apply(pd.to_numeric, errors="coerce")
        bad = np.flatnonzero(~(counts > 0).all(axis=1).to_numpy())
        if bad.size:
            row = table.iloc[bad[0]]
            raise InputError(f"share counts must be positive numbers (before {row['before']}, after "
                             f"{row['after']})", path=str(file),
                             line=int(bad[0]) + 2, fix="write before,after as the old and new share counts, "
                             "e.g. 1,100 for a 1:100 split")
        frames.append(table.assign(ticker=file.stem, date=pd.to_datetime(table["date"], format="%Y-%m-%d")))
    if not frames:
        raise InputError("no split files (*.csv) in this folder", path=str(folder),
                         fix="give the folder of <ASSET>.csv split files (date,before,after), e.g. "
                             "panel/moex_splits")
    return pd.concat(frames, ignore_index=True)[["ticker", "date", "before", "after", "type"]]


def adjust_for_splits(prices: pd.DataFrame, splits: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """Back-adjust one ticker's daily prices and volume for its splits.

    Prices before a split dated ``d`` are multiplied by ``before / after`` and volumes by
    ``after / before``, so the series is continuous in today's shares (turnover ``value``
    is unchanged). E.g. GMKN 1:100 on 2024-04-08: the 2024-04-01 close 15,054 becomes 150.54.

    Parameters
    ----------
    prices
        Daily rows with a ``date`` column (or a DatetimeIndex) and any of ``open``,
        ``high``, ``low``, ``close``, ``volume``.
    splits
        :func:`read_splits`.
    ticker
        The ticker whose splits apply.

    Returns
    -------
    DataFrame
        A copy with adjusted columns.
    """
    adjusted = prices.copy()
    when = pd.to_datetime(adjusted["date"]) if "date" in adjusted else pd.to_datetime(adjusted.index)
    factor = split_factors(pd.DatetimeIndex(when), splits, ticker)
    for column in ("open", "high", "low", "close"):
        if column in adjusted:
            adjusted[column] = adjusted[column].astype(float) * factor
    if "volume" in adjusted:
        adjusted["volume"] = adjusted["volume"].astype(float) / factor
    return adjusted


def adjust_table_for_splits(prices: pd.DataFrame, splits: pd.DataFrame) -> pd.DataFrame:
    """A wide date x asset price table with each asset's prices back-adjusted for its splits
    in ``splits`` (:func:`read_splits`; a ticker is an asset name), as
    :func:`adjust_for_splits` adjusts a close; the other columns unchanged."""
    adjusted = prices.copy()
    days = pd.DatetimeIndex(prices.index)
    for ticker in splits["ticker"].unique():
        if ticker in adjusted.columns:
            adjusted[ticker] = adjusted[ticker].astype(float) * split_factors(days, splits, ticker)
    return adjusted


def split_factors(days: pd.DatetimeIndex, splits: pd.DataFrame, ticker: str) -> np.ndarray:
    """Per day, what ``ticker``'s price that day is multiplied by to be in today's shares: the
    product of ``before / after`` over its splits dated after that day."""
    factor = np.ones(len(days))
    mine = splits[splits["ticker"] == ticker]
    for split_date, old, new in zip(mine["date"], mine["before"], mine["after"], strict=True):
        factor[np.asarray(days < pd.Timestamp(split_date))] *= float(old) / float(new)
    return factor


def _number(text: object) -> float:
    value = str(text).strip()
    return float(value) if value else float("nan")


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", path=str(path), line=1,
                         fix=f"the header must include {', '.join(columns)}")
