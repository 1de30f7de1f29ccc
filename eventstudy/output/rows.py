"""Display rows shared by the HTML, Markdown and LaTeX reports: the numbers as printed everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from eventstudy.output import describe
from eventstudy.output.describe import StudyResults
from eventstudy.output.format import STAR_NOTE, num, pct, pval, stars, window_label

TOP_PAIRS = 50
"""Above this many event-asset pairs, the overview and the CAR tables show only the most
significant ones (the first of :func:`ranked_pairs`) and link the full CSV files."""


def ranked_pairs(results: StudyResults) -> list[tuple[str, str]]:
    """Every (event_id, asset) pair, most significant first: the smallest p-value over the first
    CAR window, then the larger absolute CAR, then the events-file order (missing p last)."""
    ranked = _ranked_rows(results)
    ids, assets = ranked["event_id"].tolist(), ranked["asset"].tolist()
    return [(str(e), str(a)) for e, a in zip(ids, assets, strict=True)]


def _ranked_rows(results: StudyResults) -> pd.DataFrame:
    """The rows of ``car.csv`` over the first CAR window, in :func:`ranked_pairs`'s order."""
    windows = describe.windows(results)
    if not windows or not len(results.car):
        return results.car.iloc[:0]
    first = results.car[(results.car["start"] == windows[0][0]) & (results.car["end"] == windows[0][1])]
    return most_significant_first(first)


def most_significant_first(car: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``car.csv`` (one window) from the smallest p-value, then the larger absolute
    CAR, then their order (missing p last)."""
    ranked = car.assign(_p=car["pvalue"].fillna(2.0), _size=-car["car"].abs().fillna(0.0))
    return ranked.sort_values(["_p", "_size"], kind="stable")


TOP_SCOPES = 12
"""Above this many assets (or event groups), the reports' overview and aggregate tables, the
summary, the interactive charts and the figures show the most significant
(:func:`shown_scopes`); the CSV files hold every one."""


@dataclass(frozen=True)
class ShownScopes:
    """The assets and the event groups a report, the summary and the figures show, each in the
    study's order (``None``: every one), and how many the study has."""

    assets: list[str] | None
    groups: list[str] | None
    n_assets: int
    n_groups: int

    def keeps(self, scope: str) -> bool:
        """Whether an aggregate scope (``all``, ``asset:NAME``, ``group:NAME``) is shown."""
        kind, _, name = scope.partition(":")
        shown = {"asset": self.assets, "group": self.groups}.get(kind)
        return shown is None or name in shown

    def notes(self) -> list[str]:
        """What a report or summary says about the assets and groups it leaves out."""
        return [f"This study has {total:,} {plural}: the overview, the aggregate tests and the charts show "
                f"the {len(shown)} whose pairs are the most significant (smallest p over the first CAR "
                f"window). Every {one} is in car.csv and aggregate.csv"
                + (" (its prices in prices.csv)." if one == "asset" else ".")
                for shown, total, plural, one in self._kinds() if shown is not None]

    def scopes_text(self) -> str:
        """``all pairs, the 12 assets with the most significant pairs of 30 and each event
        group``: the scopes shown, when some are left out ("" when none is)."""
        if self.assets is None and self.groups is None:
            return ""
        parts = ["all pairs"] + [f"the {len(shown)} {plural} with the most significant pairs of {total:,}"
                                 if shown is not None else f"each {one}"
                                 for shown, total, plural, one in self._kinds()]
        return f"{', '.join(parts[:-1])} and {parts[-1]}"

    def _kinds(self) -> tuple[tuple[list[str] | None, int, str, str], ...]:
        return ((self.assets, self.n_assets, "assets", "asset"),
                (self.groups, self.n_groups, "event groups", "event group"))


def shown_scopes(results: StudyResults, asset_names: list[str] | None = None) -> ShownScopes:
    """:class:`ShownScopes`: of ``asset_names`` (default the assets of ``car.csv``) and of the
    event groups, every one up to :data:`TOP_SCOPES`, else the :data:`TOP_SCOPES` whose first
    pair comes first in :func:`ranked_pairs` (the smallest p-value over the first CAR
    window), then the study's order."""
    car = results.car
    if asset_names is None:
        asset_names = car["asset"].astype(str).unique().tolist() if len(car) else []
    group_names = (car["group"].dropna().astype(str).unique().tolist()
                   if len(car) and "group" in car.columns else [])
    ranked = _ranked_rows(results)
    return ShownScopes(assets=_most_significant(asset_names, ranked["asset"]),
                       groups=_most_significant(group_names, ranked.get("group")),
                       n_assets=len(asset_names), n_groups=len(group_names))


def _most_significant(names: list[str], ranked: pd.Series | None) -> list[str] | None:
    """``None`` for at most :data:`TOP_SCOPES` ``names``; else those first met down ``ranked``
    (each pair's asset or group, most significant pair first), in ``names``' order."""
    if len(names) <= TOP_SCOPES:
        return None
    met = [] if ranked is None else ranked.dropna().astype(str).drop_duplicates().tolist()  # in rank order
    first = {name: rank for rank, name in enumerate(met)}
    position = {name: k for k, name in enumerate(names)}
    ranked_names = sorted(names, key=lambda name: (first.get(name, len(met)), position[name]))
    chosen = set(ranked_names[:TOP_SCOPES])
    return [name for name in names if name in chosen]


def shown_pairs(ranked: list[tuple[str, str]]) -> set[tuple[str, str]] | None:
    """The pairs a report or summary shows: the first :data:`TOP_PAIRS` of ``ranked``
    (:func:`ranked_pairs`), or ``None`` (every pair) when there are no more than that."""
    return set(ranked[:TOP_PAIRS]) if len(ranked) > TOP_PAIRS else None


def only_pairs(car: pd.DataFrame, pairs: set[tuple[str, str]] | None) -> pd.DataFrame:
    """The rows of ``car`` whose (event_id, asset) is in ``pairs`` (all rows for ``None``)."""
    if pairs is None:
        return car
    ids, assets = car["event_id"].tolist(), car["asset"].tolist()
    keys = [(str(e), str(a)) in pairs for e, a in zip(ids, assets, strict=True)]
    return car[np.asarray(keys, dtype=bool)]


CAR_ROW_COLUMNS = ("event_id", "event", "asset", "day0", "car", "pvalue", "se", "t", "pvalue_empirical")


def car_rows(results: StudyResults, window: tuple[int, int],
             pairs: set[tuple[str, str]] | None = None) -> list[dict[str, str]]:
    """Display rows of the CAR table for one window (numbers as printed everywhere); only
    ``pairs`` (event_id, asset) when given. Read column by column (no per-row pandas access)."""
    numbers = describe.numbers(results)
    in_window = (results.car["start"] == window[0]) & (results.car["end"] == window[1])
    car = only_pairs(results.car[in_window], pairs)
    columns = [car[name].tolist() for name in CAR_ROW_COLUMNS]
    flags = car["flags"].tolist() if "flags" in car.columns else [""] * len(car)
    rows = []
    for event_id, event, asset, day0, value, p, se, t, p_empirical, flag in zip(*columns, flags,
                                                                                  strict=True):
        rows.append({"#": str(numbers.get(str(event_id), "")), "event_id": str(event_id),
                     "event": str(event), "asset": str(asset), "day0": str(day0),
                     "car": pct(value), "stars": stars(p), "se": pct(se), "t": num(t),
                     "pvalue": pval(p), "pvalue_empirical": pval(p_empirical),
                     "flag": "\u2020" if str(flag or "") else ""})
    return rows


def car_headers(results: StudyResults) -> dict[str, str]:
    """Column titles of the CAR table, percentages labelled with the study's unit."""
    unit = describe.unit(results)
    empirical = "p (same clock time)" if describe.intraday(results) else "p (empirical)"
    return {"#": "#", "event_id": "event", "event": "label", "asset": "asset",
            "day0": describe.day0_label(results), "car": f"CAR {unit}", "stars": "", "se": f"se {unit}",
            "t": "t", "pvalue": "p", "pvalue_empirical": empirical, "flag": "overlap"}


def aggregate_blocks(results: StudyResults, shown: ShownScopes | None = None,
                     ) -> list[tuple[tuple[int, int], list[str], list[dict[str, str]]]]:
    """Per window: the tests in order and one display row per scope (only the scopes
    ``shown`` keeps, when given: :func:`shown_scopes`)."""
    agg = results.aggregate
    blocks: list[tuple[tuple[int, int], list[str], list[dict[str, str]]]] = []
    if agg.empty:
        return blocks
    if shown is not None:
        agg = agg[[shown.keeps(str(scope)) for scope in agg["scope"]]]
    for key, rows in agg.groupby(["start", "end"], sort=False):
        start, end = cast(tuple[int, int], key)
        tests = list(dict.fromkeys(rows["test"]))
        table = []
        for scope, scoped in rows.groupby("scope", sort=False):
            first = scoped.iloc[0]
            row = {"scope": str(scope), "n": str(int(first["n"])), "caar": pct(first["caar"])}
            notes: dict[str, list[str]] = {}
            for r in scoped.itertuples(index=False):
                row[f"{r.test}:statistic"] = num(r.statistic)
                row[f"{r.test}:pvalue"] = pval(r.pvalue)
                row[f"{r.test}:stars"] = stars(r.pvalue)
                note = str(getattr(r, "note", "") or "")
                if note:
                    notes.setdefault(note, []).append(str(r.test))
            row["note"] = "; ".join(f"{note} ({', '.join(tests)})" for note, tests in notes.items())
            table.append(row)
        blocks.append(((int(start), int(end)), tests, table))
    return blocks


def overview(results: StudyResults, pairs: set[tuple[str, str]] | None = None,
             assets: list[str] | None = None,
             ) -> tuple[list[str], list[tuple[int, int]], list[dict[str, str]]]:
    """CAR % with stars per event (rows) and asset x window (columns); only ``pairs``
    (event_id, asset) and ``assets`` (:func:`shown_scopes`) when given."""
    car = only_pairs(results.car, pairs)
    if assets is not None:
        car = car[car["asset"].astype(str).isin(assets)]
    else:
        assets = results.car["asset"].unique().tolist() if len(results.car) else []
    frame = results.events.frame
    dates = {str(i): f"{pd.Timestamp(d):%Y-%m-%d}" for i, d in zip(frame["id"], frame["date"], strict=True)}
    rows = []
    for event_id, mine in car.groupby("event_id", sort=False):
        row = {"event_id": str(event_id), "event": str(mine["event"].iloc[0]),
               "date": dates.get(str(event_id), "")}
        for r in mine.itertuples(index=False):
            row[f"{r.asset}:{r.start},{r.end}"] = f"{pct(r.car)}{stars(r.pvalue)}"
        rows.append(row)
    return assets, describe.windows(results), rows


SETTING_LABELS = {"assets": "assets", "model": "model", "benchmark": "benchmarks", "returns": "returns",
                  "estimation": "estimation window", "windows": "CAR windows",
                  "event_window": "event window (AR table, charts)",
                  "min_estimation": "minimum estimation returns",
                  "exclude_event_windows": "other events' windows excluded from estimation",
                  "day0_rule": "day 0"}


def settings_rows(results: StudyResults) -> list[tuple[str, str]]:
    """Human-readable settings: the events file, then the spec's settings."""
    spec = results.spec
    rows = [("events file", Path(results.events.path).name if results.events.path else "(a table)")]
    for key, label in SETTING_LABELS.items():
        value = spec.to_dict()[key]
        if key == "windows":
            text = ", ".join(window_label(*w) for w in value)
        elif key in ("estimation", "event_window"):
            text = f"{window_label(*value)} {describe.span_unit(results)}"
        elif key == "day0_rule" and describe.intraday(results):
            text = describe.BAR0_RULE
        elif isinstance(value, list):
            text = ", ".join(map(str, value)) or "none"
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = str(value)
        rows.append((describe.day0_label(results) if key == "day0_rule" else label, text))
    rows.append(("computed by", f"eventstudy {results.version}" if results.version else "eventstudy"))
    return rows


def source_rows(results: StudyResults) -> list[dict[str, str]]:
    """Provenance rows: asset, description, source, symbol, range, sha256 (short), fetched."""
    described = describe.descriptions(results)
    rows = []
    for r in results.provenance:
        source = describe.SOURCE_NAMES.get(r.source, r.source)
        origin = r.base_url or (Path(r.path).name if r.path else "")
        rows.append({"asset": r.asset, "description": described.get(r.asset, ""),
                     "source": source + (f" ({origin})" if origin else ""), "symbol": r.symbol,
                     "range": f"{r.first} to {r.last}", "sha256": r.sha256[:12],
                     "fetched": r.fetched_at or ""})
    return rows


def announcement_times(announced: Any, zone: Any) -> tuple[str, str]:
    """The announcement's time in its own zone (``21:00 America/New_York``) and its UTC instant
    (``2025-08-09 01:00 UTC``); empty for a bare date."""
    if announced is None or pd.isna(announced):
        return "", ""
    instant = pd.Timestamp(announced)
    utc = f"{instant.tz_convert('UTC'):%Y-%m-%d %H:%M} UTC"
    if not isinstance(zone, str) or not zone:
        return "", utc
    local = instant.tz_convert(zone if "/" in zone or zone == "UTC" else _offset_zone(zone))
    return f"{local:%H:%M} {zone}", utc


def _offset_zone(offset: str) -> Any:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = (int(p) for p in offset.lstrip("+-").split(":"))
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def event_rows(results: StudyResults) -> list[dict[str, str]]:
    """The events as displayed: number, id, local date and time in the announcement's zone, the
    UTC instant, label, group, assets, source."""
    rows = []
    for n, r in enumerate(results.events.frame.itertuples(index=False), start=1):
        local, utc = announcement_times(getattr(r, "announced", None), getattr(r, "timezone", None))
        assets = getattr(r, "assets", None)
        assets = ";".join(assets) if isinstance(assets, tuple | list) else ""
        rows.append({"#": str(n), "id": str(r.id), "date": _day(r.date), "time": local, "utc": utc,
                     "event": str(r.event), "group": text_cell(getattr(r, "group", "")),
                     "assets": assets or "all", "source": text_cell(getattr(r, "source", "")),
                     "description": text_cell(getattr(r, "description", ""))})
    return rows


def _day(value: Any) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def text_cell(value: Any) -> str:
    """A table cell's text: empty for a missing value."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


#: Events, skipped pairs and overlap warnings a report lists before it points to the CSV instead.
LISTED_ROWS = 200


def listed_words(total: int, what: str) -> str:
    """The start of the note above a list cut at :data:`LISTED_ROWS` items, to be followed
    by where all of them are; empty when nothing is cut."""
    if total <= LISTED_ROWS:
        return ""
    return f"The first {LISTED_ROWS} of {total:,} {what} are listed here; all are in "


def warnings_list(results: StudyResults) -> tuple[int, list[str]]:
    """Plain-language overlap warnings (overlaps, shared day 0): how many pairs have one,
    and the first :data:`LISTED_ROWS` of them."""
    flagged = describe.flagged(results)
    return len(flagged), [f"{r.event_id} / {r.asset}: {r.flags}"
                          for r in flagged.head(LISTED_ROWS).itertuples(index=False)]


METHOD_NOTES = [
    "Abnormal return AR = return \u2212 expected return of the normal-return model fitted on the "
    "estimation window; CAR = sum of ARs over the window.",
    "se: MacKinlay (1997) standard error of the CAR, including the estimation error of the model; "
    "t uses the model's residual degrees of freedom.",
    "p (empirical): share of same-length CARs in the estimation window at least as large in absolute "
    "value (robust for a single event on fat-tailed returns).",
    "Significance marks: " + STAR_NOTE + ".",
    "\u2020 overlap: the pair's estimation window contains another event's window, or it shares day 0 "
    "with another event (see Warnings); such CARs are not independent.",
    "Bands in the figures: per pair, CAR \u00b1 1.96 se; CAAR, \u00b1 t(n\u22121) \u00d7 the "
    "cross-sectional standard error of CAR_t.",
]

#: The method notes of an intraday study, in place of :data:`METHOD_NOTES` (``docs/intraday.md``).
BAR_METHOD_NOTES = [
    "Abnormal return AR = bar return \u2212 expected return of the normal-return model fitted on the "
    "estimation bars; CAR = sum of ARs over the window of bars; the opening bar carries the overnight gap.",
    "se: each bar's variance is that of the estimation residuals of the bars starting at the same clock "
    "time (opening bars apart), plus the model's estimation error (MacKinlay 1997); t uses the degrees "
    "of freedom of the smallest such time-of-day group in the window.",
    "p (empirical): share of same-length CARs starting at the same clock time on the estimation days "
    "at least as large in absolute value.",
    "Significance marks: " + STAR_NOTE + ".",
    "\u2020 overlap: the pair's estimation window contains another event's window, or it shares the date "
    "of bar 0 with another event (see Warnings); such CARs are not independent.",
    "Bands in the figures: per pair, CAR \u00b1 1.96 se.",
]


def method_notes(results: StudyResults) -> list[str]:
    """The method notes of the reports: :data:`BAR_METHOD_NOTES` for bars, else :data:`METHOD_NOTES`."""
    return BAR_METHOD_NOTES if describe.intraday(results) else METHOD_NOTES

