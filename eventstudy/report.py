"""The study's report: a self-contained ``report.html``, ``report.md`` and LaTeX tables.

Everything here reads a :class:`ReportData`, which is built either from a
:class:`~eventstudy.results.Results` (``Results.save``) or from a saved results folder
(``eventstudy report OUT_DIR``), so a report can be re-rendered without recomputing.

A results folder holds, besides the tables of DESIGN section 6, ``events.csv`` (the
validated events) and ``prices.csv`` (each asset's prices over the study span: from
the earliest estimation-window start to the latest event-window end), which the
timeline figures need.

``report.html`` makes no external request of any kind: figures are embedded as
``data:`` URIs, the CSS is inline, fonts are the reader's system fonts, and URLs in
the events file are printed as text, never as links.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.models import MODELS

if TYPE_CHECKING:
    from eventstudy.plotting import FigureSet
    from eventstudy.results import Results

REQUIRED_FILES = ("study.json", "car.csv", "aggregate.csv", "abnormal_returns.csv", "skipped.csv",
                  "events.csv")
SOURCE_NAMES = {"moex": "MOEX ISS", "cbr": "Bank of Russia", "yahoo": "Yahoo Finance",
                "file": "local file"}
STAR_NOTE = "* p<0.10, ** p<0.05, *** p<0.01 (two-sided p of the t test)"
TEST_NAMES = {
    "t_cs": "cross-sectional t", "bw_cda": "Brown-Warner crude dependence adjustment",
    "patell": "Patell standardised residuals", "patell_adj": "Patell adjusted (Kolari-Pynn\u00f6nen)",
    "bmp": "Boehmer-Musumeci-Poulsen", "kp": "Kolari-Pynn\u00f6nen adjusted BMP", "corrado": "Corrado rank",
    "sign": "sign", "gen_sign": "Cowan generalised sign",
    "wilcoxon": "Wilcoxon signed rank (statistic W+, the sum of the ranks of positive CARs)",
}


def legend_of_tests(tests: Iterable[str]) -> str:
    """``t_cs: cross-sectional t; ...`` for the tests present."""
    return "; ".join(f"{t}: {TEST_NAMES[t]}" for t in dict.fromkeys(tests) if t in TEST_NAMES)


@dataclass
class ReportData:
    """Everything a report needs, independent of how it was obtained.

    Attributes
    ----------
    abnormal_returns, car, aggregate, skipped
        The result tables (DESIGN section 6).
    events
        The events: ``id``, ``event``, ``date``, ``announced``, ``assets``, ``group``,
        ``description``, ``source``.
    settings
        The resolved study settings.
    series
        Provenance records (``asset``, ``source``, ``symbol``, ``first``, ``last``,
        ``sha256``, ``path``, ``base_url``, ``fetched_at``).
    prices
        Price series by asset over the study span (may be empty).
    version
        Package version that computed the results.
    """

    abnormal_returns: pd.DataFrame
    car: pd.DataFrame
    aggregate: pd.DataFrame
    skipped: pd.DataFrame
    events: pd.DataFrame
    settings: dict[str, Any]
    series: list[dict[str, Any]]
    prices: dict[str, pd.Series] = field(default_factory=dict)
    version: str = ""
    report_options: dict[str, Any] = field(default_factory=dict)

    # -- construction ----------------------------------------------------------------

    @classmethod
    def from_results(cls, results: Results) -> ReportData:
        """The report data of a computed study; prices are cut to the study span."""
        from dataclasses import asdict

        from eventstudy import __version__

        prices = {name: s.dropna() for name, s in results.prices.items()}
        span = _study_span(results)
        if span is not None:
            prices = {name: s[(s.index >= span[0]) & (s.index <= span[1])] for name, s in prices.items()}
        return cls(abnormal_returns=results.abnormal_returns, car=results.car,
                   aggregate=results.aggregate, skipped=results.skipped,
                   events=results.events.frame.copy(), settings=dict(results.settings),
                   series=[asdict(p) for p in results.provenance], prices=prices, version=__version__)

    @classmethod
    def from_folder(cls, folder: str | Path) -> ReportData:
        """Read a results folder written by :meth:`Results.save`.

        Raises
        ------
        InputError
            If ``folder`` is not a results folder.
        """
        folder = Path(folder)
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if not folder.is_dir() or missing:
            raise InputError(f"{folder} is not an eventstudy results folder (missing "
                             f"{', '.join(missing) if folder.is_dir() else 'the folder'})",
                             fix="give the --out folder of 'eventstudy run'")
        try:
            record = json.loads((folder / "study.json").read_text(encoding="utf-8"))
            settings = record["settings"]
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(f"{folder / 'study.json'} is not a study record ({error})",
                             fix="re-run 'eventstudy run' to write it") from None
        ar = _read_csv(folder / "abnormal_returns.csv", dates=["date"])
        car = _read_csv(folder / "car.csv")
        aggregate = _read_csv(folder / "aggregate.csv")
        skipped = _read_csv(folder / "skipped.csv")
        events = _read_csv(folder / "events.csv", dates=["date"])
        prices: dict[str, pd.Series] = {}
        if (folder / "prices.csv").is_file():
            wide = pd.read_csv(folder / "prices.csv", index_col="date", parse_dates=["date"])
            prices = {str(c): wide[c].dropna() for c in wide.columns}
        return cls(abnormal_returns=ar, car=car, aggregate=aggregate, skipped=skipped, events=events,
                   settings=settings, series=list(record.get("series", [])), prices=prices,
                   version=str(record.get("eventstudy_version", "")),
                   report_options=record.get("report") if isinstance(record.get("report"), dict) else {})

    # -- derived facts ---------------------------------------------------------------

    def numbers(self) -> dict[str, int]:
        """Event number (1-based, events-file order) by id, as in the timeline."""
        return {str(i): n + 1 for n, i in enumerate(self.events["id"])}

    def units(self) -> dict[str, str]:
        """Units by asset from the asset catalogue (empty for unknown assets)."""
        from eventstudy.assets import BUILTIN_ASSETS

        names = list(self.prices) or list(dict.fromkeys(self.car.get("asset", [])))
        return {n: BUILTIN_ASSETS[n].units for n in names if n in BUILTIN_ASSETS}

    def descriptions(self) -> dict[str, str]:
        """One-line descriptions by asset from the asset catalogue."""
        from eventstudy.assets import BUILTIN_ASSETS

        return {n: a.description for n, a in BUILTIN_ASSETS.items()}

    def timeline_span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last date of the saved prices."""
        starts = [s.index.min() for s in self.prices.values() if len(s)]
        ends = [s.index.max() for s in self.prices.values() if len(s)]
        return pd.Timestamp(min(starts)), pd.Timestamp(max(ends))

    def model_text(self) -> str:
        """``constant-mean model, log returns, estimation [-250,-11]``."""
        s = self.settings
        bench = s.get("benchmarks") or []
        name = str(s.get("model", "?"))
        label = MODELS[name].label if name in MODELS else name
        model = f"{label} model" + (f" on {', '.join(bench)}" if bench else "")
        estimation = s.get("estimation") or ["?", "?"]
        return (f"{model}, {s.get('returns', 'log')} returns, estimation "
                f"[{estimation[0]},{estimation[1]}]")

    def source_text(self) -> str:
        """``IMOEX: MOEX ISS; RUBUSD: Bank of Russia`` (file names for local files)."""
        parts = []
        for record in self.series:
            source = SOURCE_NAMES.get(str(record.get("source")), str(record.get("source")))
            if record.get("source") == "file" and record.get("path"):
                source = f"file {Path(str(record['path'])).name}"
            parts.append(f"{record.get('asset')}: {source}")
        return "; ".join(parts) or "not recorded"

    def caption(self) -> str:
        """The caption line of every figure."""
        version = f"; eventstudy {self.version}" if self.version else ""
        model = self.model_text()
        return f"Source: {self.source_text()}. {model[0].upper()}{model[1:]}{version}."

    def windows(self) -> list[tuple[int, int]]:
        """CAR windows in table order."""
        return [(int(a), int(b)) for a, b in self.car[["start", "end"]].drop_duplicates().itertuples(
            index=False)] if len(self.car) else [tuple(w) for w in self.settings.get("windows", [])]

    def flagged(self) -> pd.DataFrame:
        """Pairs with overlap flags: ``event_id``, ``asset``, ``flags``."""
        if "flags" not in self.car:
            return pd.DataFrame(columns=["event_id", "asset", "flags"])
        flags = self.car[["event_id", "asset", "flags"]].drop_duplicates(["event_id", "asset"])
        return flags[flags["flags"].fillna("").astype(str).str.len() > 0].reset_index(drop=True)


def _read_csv(path: Path, dates: Sequence[str] = ()) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=True)
    for column in dates:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    for column in ("flags", "note", "group", "reason", "description", "source"):
        if column in frame:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return frame


def _study_span(results: Results) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """From the earliest estimation-window start to the latest event-window end."""
    pairs = results.pairs
    if pairs is None or len(pairs) == 0:
        return None
    estimation = results.settings.get("estimation", [-250, -11])
    window = results.settings.get("event_window", [-10, 10])
    starts, ends = [], []
    for asset, rows in pairs.groupby("asset"):
        series = results.prices.get(str(asset))
        if series is None or series.empty:
            continue
        index = series.dropna().index
        positions = index.searchsorted(pd.to_datetime(rows["day0"]))
        # prices are one observation longer than returns: day 0's price sits at its position.
        starts.append(index[max(int(positions.min()) + int(estimation[0]) - 1, 0)])
        ends.append(index[min(int(positions.max()) + int(window[1]), len(index) - 1)])
    if not starts:
        return None
    return min(starts), max(ends)


# -- writing -------------------------------------------------------------------------------------


def write_outputs(results: Results, folder: Path, *, figures: str = "all",
                  figure_formats: Sequence[str] = ("png",)) -> None:
    """Write ``events.csv``, ``prices.csv``, figures, ``report.html``, ``report.md`` and the
    LaTeX tables of a computed study into ``folder`` (called by :meth:`Results.save`)."""
    data = ReportData.from_results(results)
    write_events(data.events, folder / "events.csv")
    if data.prices:
        wide = pd.concat(data.prices, axis=1, sort=True)
        wide.index.name = "date"
        wide.to_csv(folder / "prices.csv", date_format="%Y-%m-%d", float_format="%.10g")
    render(data, folder, figures=figures, figure_formats=figure_formats)


def write_events(events: pd.DataFrame, path: Path) -> None:
    """The validated events as CSV (``assets`` joined by ``;``, ``announced`` in UTC ISO)."""
    frame = events.copy()
    if "assets" in frame:
        frame["assets"] = frame["assets"].map(lambda v: ";".join(v) if isinstance(v, tuple | list) else
                                              ("" if v is None or (isinstance(v, float) and np.isnan(v))
                                               else v))
    if "announced" in frame:
        frame["announced"] = frame["announced"].map(
            lambda v: "" if pd.isna(v) else pd.Timestamp(v).isoformat())
    frame["date"] = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False)


def render(data: ReportData, folder: Path, *, figures: str = "all",
           figure_formats: Sequence[str] = ("png",), skip_existing: bool = False) -> FigureSet:
    """Draw the figures, then write ``report.html``, ``report.md`` and ``tables/*.tex``."""
    from eventstudy.plotting import save_figures

    formats = list(dict.fromkeys(figure_formats)) or ["png"]
    if figures != "none" and not {"png", "svg"} & set(formats):
        formats.append("png")  # the HTML report embeds PNG (or SVG); PDF cannot be embedded
    figure_set = save_figures(data, folder / "figures", figures, formats, skip_existing=skip_existing)
    if figures == "none":
        figure_set.notes.append("No figures: the study was run with --figures none.")
    write_report(data, folder, figure_set)
    return figure_set


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_report(data: ReportData | Results, folder: Path, figures: FigureSet | None = None) -> Path:
    """Write ``report.html``, ``report.md`` and ``tables/car.tex``, ``tables/aggregate.tex`` for the
    figures already drawn; return the path of ``report.html``."""
    from eventstudy.latex import aggregate_latex, car_latex

    if not isinstance(data, ReportData):
        data = ReportData.from_results(data)
    (folder / "tables").mkdir(exist_ok=True)
    _write_text(folder / "tables" / "car.tex", car_latex(data))
    _write_text(folder / "tables" / "aggregate.tex", aggregate_latex(data))
    _write_text(folder / "report.md", markdown_report(data, figures, folder))
    _write_text(folder / "report.html", html_report(data, figures, folder))
    return folder / "report.html"


# -- shared table content ------------------------------------------------------------------------


def pct(value: Any, digits: int = 2) -> str:
    """A fraction as a percentage number with ``digits`` decimals (``3.97``)."""
    return "" if value is None or pd.isna(value) else f"{100 * float(value):.{digits}f}"


def num(value: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals, empty when missing."""
    return "" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def pval(value: Any) -> str:
    """A p-value with three decimals (``<0.001`` below)."""
    if value is None or pd.isna(value):
        return ""
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def stars(value: Any) -> str:
    """Significance marks of a p-value."""
    from eventstudy.summary import significance_stars

    return significance_stars(value)


def window_label(start: int, end: int) -> str:
    """``[-1,1]``."""
    return f"[{int(start)},{int(end)}]"


def car_rows(data: ReportData, window: tuple[int, int]) -> list[dict[str, str]]:
    """Display rows of the CAR table for one window (numbers as printed everywhere)."""
    numbers = data.numbers()
    car = data.car[(data.car["start"] == window[0]) & (data.car["end"] == window[1])]
    rows = []
    for r in car.itertuples(index=False):
        flags = str(getattr(r, "flags", "") or "")
        rows.append({"#": str(numbers.get(str(r.event_id), "")), "event_id": str(r.event_id),
                     "event": str(r.event), "asset": str(r.asset), "day0": str(r.day0),
                     "car": pct(r.car), "stars": stars(r.pvalue), "se": pct(r.se), "t": num(r.t),
                     "pvalue": pval(r.pvalue), "pvalue_empirical": pval(r.pvalue_empirical),
                     "flag": "\u2020" if flags else ""})
    return rows


CAR_HEADERS = {"#": "#", "event_id": "event", "event": "label", "asset": "asset", "day0": "day 0",
               "car": "CAR %", "stars": "", "se": "se %", "t": "t", "pvalue": "p",
               "pvalue_empirical": "p (empirical)", "flag": "overlap"}


def aggregate_blocks(data: ReportData) -> list[tuple[tuple[int, int], list[str], list[dict[str, str]]]]:
    """Per window: the tests in order and one display row per scope."""
    agg = data.aggregate
    blocks: list[tuple[tuple[int, int], list[str], list[dict[str, str]]]] = []
    if agg.empty:
        return blocks
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


def overview(data: ReportData) -> tuple[list[str], list[tuple[int, int]], list[dict[str, str]]]:
    """CAR % with stars per event (rows) and asset x window (columns)."""
    assets = list(dict.fromkeys(data.car["asset"])) if len(data.car) else []
    windows = data.windows()
    dates = {str(i): f"{pd.Timestamp(d):%Y-%m-%d}" for i, d in zip(data.events["id"], data.events["date"],
                                                                  strict=True)}
    rows = []
    for event_id, mine in data.car.groupby("event_id", sort=False):
        row = {"event_id": str(event_id), "event": str(mine["event"].iloc[0]),
               "date": dates.get(str(event_id), "")}
        for r in mine.itertuples(index=False):
            row[f"{r.asset}:{r.start},{r.end}"] = f"{pct(r.car)}{stars(r.pvalue)}"
        rows.append(row)
    return assets, windows, rows


def settings_rows(data: ReportData) -> list[tuple[str, str]]:
    """Human-readable settings."""
    s = data.settings
    labels = {"events_file": "events file", "assets": "assets", "model": "model",
              "benchmarks": "benchmarks", "returns": "returns", "estimation": "estimation window",
              "windows": "CAR windows", "event_window": "event window (AR table, charts)",
              "min_estimation": "minimum estimation returns",
              "exclude_event_windows": "other events' windows excluded from estimation",
              "day0_rule": "day 0"}
    rows = []
    for key, value in s.items():
        if key == "events_file" and value:
            value = Path(str(value)).name
        if key == "windows":
            value = ", ".join(window_label(*w) for w in value)
        elif key in ("estimation", "event_window") and isinstance(value, list | tuple):
            value = window_label(*value) + " trading days"
        elif isinstance(value, list | tuple):
            value = ", ".join(map(str, value)) or "none"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        rows.append((labels.get(key, key.replace("_", " ")), str(value)))
    rows.append(("computed by", f"eventstudy {data.version}" if data.version else "eventstudy"))
    return rows


def source_rows(data: ReportData) -> list[dict[str, str]]:
    """Provenance rows: asset, description, source, symbol, range, sha256 (short), fetched."""
    descriptions = data.descriptions()
    rows = []
    for r in data.series:
        source = SOURCE_NAMES.get(str(r.get("source")), str(r.get("source")))
        origin = r.get("base_url") or (Path(str(r["path"])).name if r.get("path") else "")
        rows.append({"asset": str(r.get("asset", "")),
                     "description": descriptions.get(str(r.get("asset")), ""),
                     "source": source + (f" ({origin})" if origin else ""),
                     "symbol": str(r.get("symbol", "")),
                     "range": f"{r.get('first', '')} to {r.get('last', '')}",
                     "sha256": str(r.get("sha256", ""))[:12], "fetched": str(r.get("fetched_at") or "")})
    return rows


def event_rows(data: ReportData) -> list[dict[str, str]]:
    """The events as displayed: number, id, date, time (UTC), label, group, assets, source."""
    rows = []
    for n, r in enumerate(data.events.itertuples(index=False), start=1):
        announced = getattr(r, "announced", None)
        when = ""
        if announced is not None and not pd.isna(announced) and str(announced):
            when = f"{pd.Timestamp(announced).tz_convert('UTC'):%H:%M} UTC" if pd.Timestamp(
                announced).tzinfo else str(announced)
        assets = getattr(r, "assets", None)
        assets = ";".join(assets) if isinstance(assets, tuple | list) else (
            "" if assets is None or (isinstance(assets, float) and np.isnan(assets)) else str(assets))
        rows.append({"#": str(n), "id": str(r.id), "date": _day(r.date), "time": when,
                     "event": str(r.event), "group": _text(getattr(r, "group", "")),
                     "assets": assets or "all", "source": _text(getattr(r, "source", "")),
                     "description": _text(getattr(r, "description", ""))})
    return rows


def _day(value: Any) -> str:
    return f"{pd.Timestamp(value):%Y-%m-%d}"


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def warnings_list(data: ReportData) -> list[str]:
    """Plain-language warnings: overlaps, shared day 0, small samples."""
    notes = [f"{r.event_id} / {r.asset}: {r.flags}" for r in data.flagged().itertuples(index=False)]
    return notes


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


# -- HTML ----------------------------------------------------------------------------------------------

STYLE = """
:root{--ink:#1d1d1f;--mute:#5b5b60;--line:#d9d9de;--band:#f4f5f7;--accent:#0072B2}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);max-width:1120px;margin:0 auto;padding:28px 28px 60px;line-height:1.45;font-size:15px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px;padding-top:10px;
border-top:2px solid var(--ink)}h3{font-size:15px;margin:20px 0 6px}
p.lede{color:var(--mute);margin:0 0 14px}
nav{font-size:13px;color:var(--mute);margin:10px 0 0}
nav a{color:var(--accent);text-decoration:none;margin-right:12px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:210px;flex:1}
.card b{display:block;font-size:20px}.card span{color:var(--mute);font-size:12.5px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:13px;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{border-bottom:1.5px solid var(--ink);text-align:left;background:#fff;white-space:nowrap}
td.n,th.n{text-align:right;white-space:nowrap}td.s{color:#b34700;font-weight:600;padding-left:0;width:2.2em}
tbody tr:nth-child(even){background:var(--band)}
table.car tbody tr{background:none}table.car tbody tr.first td{border-top:1.5px solid #b9b9c0}
table.car td{border-bottom:none}.agg{display:flex;flex-wrap:wrap;gap:0 34px;align-items:flex-start}
details>summary{cursor:pointer;margin:10px 0}
td.label{max-width:330px}td.small,span.small{font-size:12px;color:var(--mute)}
table.kv th{text-align:left;font-weight:600;padding-right:18px;white-space:nowrap}
figure{margin:18px 0 26px;page-break-inside:avoid}figure img{max-width:100%;height:auto;
border:1px solid var(--line)}figcaption{font-size:13px;color:var(--mute);margin-top:4px}
.note{font-size:13px;color:var(--mute)}ul.warn li{margin:3px 0}
code{font-size:12.5px;background:var(--band);padding:0 3px;border-radius:3px}
@media print{body{max-width:none;padding:0;font-size:11pt}nav{display:none}h2{page-break-after:avoid}}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _html_table(headers: Sequence[tuple[str, str, str]], rows: Iterable[Mapping[str, str]],
                table_id: str = "", extra: str = "") -> str:
    """``headers``: (key, title, css class) per column."""
    head = "".join(f'<th class="{c}">{_e(t)}</th>' for _, t, c in headers)
    body = "".join("<tr>" + "".join(f'<td class="{c}" data-col="{_e(k)}">{_e(row.get(k, ""))}</td>'
                                    for k, _, c in headers) + "</tr>" for row in rows)
    ident = f' id="{_e(table_id)}"' if table_id else ""
    return (f'<div class="scroll"><table{ident}{extra}><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def html_report(data: ReportData, figures: FigureSet | None = None, folder: Path | None = None) -> str:
    """The self-contained HTML report."""
    title = "Event study report"
    events_file = data.settings.get("events_file")
    if events_file:
        title += f": {Path(str(events_file)).stem}"
    sections = [
        ("summary", "Summary", _html_summary(data)),
        ("car", "Cumulative abnormal returns", _html_car(data)),
        ("aggregate", "Aggregate tests", _html_aggregate(data)),
        ("figures", "Figures", _html_figures(figures, folder)),
        ("events", "Events", _html_events(data)),
        ("data", "Data sources", _html_sources(data)),
        ("settings", "Settings and method", _html_settings(data)),
        ("warnings", "Skipped pairs and warnings", _html_warnings(data, figures)),
    ]
    nav = "".join(f'<a href="#{key}">{_e(name)}</a>' for key, name, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{_e(name)}</h2>{content}</section>'
                   for key, name, content in sections)
    lede = (f"{len(data.events)} events \u00b7 {', '.join(dict.fromkeys(data.car['asset'])) or 'no assets'}"
            f" \u00b7 {data.model_text()} \u00b7 source: {data.source_text()}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
            f"<header><h1>{_e(title)}</h1><p class=\"lede\">{_e(lede)}</p><nav>{nav}</nav></header>"
            f"{body}</body></html>\n")


def _html_summary(data: ReportData) -> str:
    windows = data.windows()
    cards = []
    if windows and len(data.car):
        w = windows[0]
        first = data.car[(data.car["start"] == w[0]) & (data.car["end"] == w[1])]
        significant = int((first["pvalue"] < 0.05).sum())
        top = first.iloc[int(np.argmax(first["car"].abs().to_numpy()))] if len(first) else None
        cards.append(f"<div class=card><b>{len(first)}</b><span>event-asset pairs computed "
                     f"({len(data.skipped)} skipped)</span></div>")
        cards.append(f"<div class=card><b>{significant}</b><span>with CAR{_e(window_label(*w))} "
                     "significant at 5%</span></div>")
        if top is not None:
            cards.append(f"<div class=card><b>{pct(top['car'])}%{_e(stars(top['pvalue']))}</b><span>largest "
                         f"CAR{_e(window_label(*w))}: {_e(top['event_id'])} / {_e(top['asset'])}, "
                         f"day 0 {_e(top['day0'])}</span></div>")
    assets, windows, rows = overview(data)
    headers = [("event_id", "event", ""), ("event", "label", "label"), ("date", "date", "n")]
    headers += [(f"{a}:{w[0]},{w[1]}", f"{a} {window_label(*w)}", "n") for a in assets for w in windows]
    return (f'<div class="cards">{"".join(cards)}</div>'
            "<p class=note>CAR in % per event, asset and window; " + _e(STAR_NOTE) + ".</p>"
            + _html_table(headers, rows, "overview"))


def _html_car(data: ReportData) -> str:
    parts = ["<p class=note>One table per CAR window. " + _e(STAR_NOTE)
             + "; p (empirical): rank of the CAR among the estimation window's CARs of the same length; "
               "\u2020: overlap warning (see below).</p>"]
    cls = {"car": "n", "se": "n", "t": "n", "pvalue": "n", "pvalue_empirical": "n", "day0": "n",
           "stars": "s", "event": "label", "#": "n"}
    headers = [(k, t, cls.get(k, "")) for k, t in CAR_HEADERS.items()]
    for w in data.windows():
        parts.append(f"<h3>CAR {_e(window_label(*w))}</h3>")
        head = "".join(f'<th class="{c}">{_e(t)}</th>' for _, t, c in headers)
        body, previous = [], None
        for row in car_rows(data, w):
            repeat = row["event_id"] == previous
            previous = row["event_id"]
            cells = "".join(
                f'<td class="{c}" data-col="{_e(k)}">'
                f'{"" if repeat and k in ("#", "event_id", "event") else _e(row.get(k, ""))}</td>'
                for k, _, c in headers)
            style = "" if repeat else ' class="first"'
            body.append(f'<tr{style} data-event="{_e(row["event_id"])}" data-asset="{_e(row["asset"])}">'
                        f"{cells}</tr>")
        parts.append(f'<div class="scroll"><table class="car" id="car_{w[0]}_{w[1]}" '
                     f'data-window="{w[0]},{w[1]}"><thead><tr>{head}</tr></thead>'
                     f'<tbody>{"".join(body)}</tbody></table></div>')
    return "".join(parts)


def _html_aggregate(data: ReportData) -> str:
    blocks = aggregate_blocks(data)
    if not blocks:
        return "<p>No aggregate tests (fewer than two pairs).</p>"
    legend = legend_of_tests(t for _, tests, _ in blocks for t in tests)
    parts = ["<p class=note>Per window and scope (all pairs, each asset, each event group): the number "
             "of pairs, the CAAR and each test's statistic with its two-sided p-value beneath. "
             + _e(STAR_NOTE.split(" (")[0]) + ". " + _e(legend) + ".</p>"]
    tables = []
    for w, tests, rows in blocks:
        head = ('<th>scope</th><th class="n">n</th><th class="n">CAAR %</th>'
                + "".join(f'<th class="n">{_e(t)}</th>' for t in tests)
                + ("<th>note</th>" if any(r["note"] for r in rows) else ""))
        body = []
        for r in rows:
            cells = [f'<td data-col="scope">{_e(r["scope"])}</td>',
                     f'<td class="n" data-col="n">{_e(r["n"])}</td>',
                     f'<td class="n" data-col="caar">{_e(r["caar"])}</td>']
            for t in tests:
                cells.append(f'<td class="n" data-col="{_e(t)}"><span data-part="statistic">'
                             f'{_e(r.get(t + ":statistic", ""))}</span><span class="s">'
                             f'{_e(r.get(t + ":stars", ""))}</span><br>'
                             '<span class="small" data-part="pvalue">'
                             f'{_e(r.get(t + ":pvalue", ""))}</span></td>')
            if any(x["note"] for x in rows):
                cells.append(f'<td class="small" data-col="note">{_e(r["note"])}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        tables.append(f"<div><h3>CAAR {_e(window_label(*w))}</h3><div class=scroll><table "
                      f'id="aggregate_{w[0]}_{w[1]}" data-window="{w[0]},{w[1]}"><thead><tr>{head}</tr>'
                      f"</thead><tbody>{''.join(body)}</tbody></table></div></div>")
    wide = max(len(tests) for _, tests, _ in blocks) > 2
    return "".join(parts) + (("".join(tables)) if wide else f'<div class="agg">{"".join(tables)}</div>')


def _html_figures(figures: FigureSet | None, folder: Path | None) -> str:
    if figures is None or not figures.records:
        notes = figures.notes if figures is not None else []
        return "<p>No figures.</p>" + "".join(f"<p class=note>{_e(n)}</p>" for n in notes)
    parts = [f"<p class=note>{_e(n)}</p>" for n in figures.notes]
    overview_parts: list[str] = []
    detail_parts: list[str] = []
    singles = [r for r in figures.records if r.kind == "asset_timeline"]
    if singles:
        parts.append("<p class=note>Each asset's timeline on its own (not shown here): "
                     + _e(", ".join(f"figures/{p.name}" for r in singles for p in r.files.values())) + "</p>")
    shown = [r for r in figures.records if r.kind != "asset_timeline"]
    for number, record in enumerate(shown, start=1):
        path = record.files.get("png") or record.files.get("svg")
        if path is None or not path.is_file():
            continue
        mime = "image/png" if path.suffix == ".png" else "image/svg+xml"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        files = ", ".join(f"figures/{p.name}" for p in record.files.values())
        block = (f'<figure id="fig-{_e(record.name)}"><img alt="{_e(record.title)}" '
                 f'src="data:{mime};base64,{data}"><figcaption><b>Figure {number}.</b> {_e(record.title)}. '
                 f"{_e(record.description)} <span class=small>({_e(files)})</span></figcaption></figure>")
        (detail_parts if record.kind in ("pair", "event") else overview_parts).append(block)
    parts += overview_parts
    if detail_parts:
        parts.append(f"<details open><summary><b>Per-event figures ({len(detail_parts)})</b>: each "
                     "event's assets together, then each event-asset pair</summary>"
                     + "".join(detail_parts) + "</details>")
    return "".join(parts)


def _html_events(data: ReportData) -> str:
    headers = [("#", "#", "n"), ("id", "id", ""), ("date", "date", "n"), ("time", "time", "n"),
               ("event", "event", "label"), ("group", "group", ""), ("assets", "assets", ""),
               ("source", "source", "small"), ("description", "description", "small label")]
    return ("<p class=note>Numbers are those of the timeline figures. A time means the announcement "
            "is placed at that instant; a bare date means during that day.</p>"
            + _html_table(headers, event_rows(data), "events"))


def _html_sources(data: ReportData) -> str:
    headers = [("asset", "asset", ""), ("description", "description", "label"), ("source", "source", ""),
               ("symbol", "symbol", ""), ("range", "range", "n"), ("sha256", "sha256", "small"),
               ("fetched", "fetched", "small")]
    return ("<p class=note>sha256: first 12 hex digits of the hash of the dates and values used "
            "(full hashes in study.json).</p>" + _html_table(headers, source_rows(data), "sources"))


def _html_settings(data: ReportData) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in settings_rows(data))
    notes = "".join(f"<li>{_e(n)}</li>" for n in METHOD_NOTES)
    return f'<table class="kv" id="settings">{rows}</table><h3>Method</h3><ul class="note">{notes}</ul>'


def _html_warnings(data: ReportData, figures: FigureSet | None) -> str:
    parts = ["<h3>Skipped</h3>"]
    if len(data.skipped):
        headers = [("event_id", "event", ""), ("asset", "asset", ""), ("reason", "reason", "label")]
        parts.append(_html_table(headers, [{str(k): _text(v) for k, v in r.items()}
                                           for r in data.skipped.to_dict("records")], "skipped"))
    else:
        parts.append("<p>None: every event-asset pair was computed.</p>")
    parts.append("<h3>Overlap warnings</h3>")
    notes = warnings_list(data)
    parts.append("<ul class=warn>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>" if notes
                 else "<p>None.</p>")
    return "".join(parts)


# -- Markdown ---------------------------------------------------------------------------------------


def _md_escape(value: Any) -> str:
    """Cell text: pipes escaped, and anything that could read as an HTML tag (``<b``, ``</``)."""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text).replace(">", "&gt;") if "<" in text else text


def _md_table(headers: Sequence[tuple[str, str]], rows: Iterable[Mapping[str, str]],
              right: Iterable[str] = ()) -> str:
    right = set(right)
    head = "| " + " | ".join(_md_escape(t) or " " for _, t in headers) + " |"
    rule = "|" + "|".join("---:" if k in right else "---" for k, _ in headers) + "|"
    lines = [head, rule] + ["| " + " | ".join(_md_escape(r.get(k, "")) for k, _ in headers) + " |"
                            for r in rows]
    return "\n".join(lines)


def markdown_report(data: ReportData, figures: FigureSet | None = None, folder: Path | None = None) -> str:
    """The report as Markdown; figures are linked from ``figures/``."""
    title = "Event study report"
    if data.settings.get("events_file"):
        title += f": {Path(str(data.settings['events_file'])).stem}"
    out = [f"# {title}", "",
           f"{len(data.events)} events; model: {data.model_text()}; source: {data.source_text()}.", ""]
    assets, windows, rows = overview(data)
    out += ["## Summary", "", f"CAR in % per event, asset and window; {STAR_NOTE}.", ""]
    headers = [("event_id", "event"), ("event", "label"), ("date", "date")]
    headers += [(f"{a}:{w[0]},{w[1]}", f"{a} {window_label(*w)}") for a in assets for w in windows]
    out += [_md_table(headers, rows, right=[k for k, _ in headers[3:]]), ""]
    out += ["## Cumulative abnormal returns", ""]
    for w in data.windows():
        out += [f"### CAR {window_label(*w)}", "",
                _md_table(list(CAR_HEADERS.items()), car_rows(data, w),
                          right=["car", "se", "t", "pvalue", "pvalue_empirical"]), ""]
    legend = legend_of_tests(t for _, tests, _ in aggregate_blocks(data) for t in tests)
    out += ["## Aggregate tests", "",
            f"Statistic with stars, two-sided p-value in parentheses. {legend}.", ""]
    for w, tests, agg_rows in aggregate_blocks(data):
        headers = [("scope", "scope"), ("n", "n"), ("caar", "CAAR %")] + [(t, t) for t in tests]
        cells = [{**r, **{t: f"{r.get(t + ':statistic', '')}{r.get(t + ':stars', '')} "
                          f"({r.get(t + ':pvalue', '')})" for t in tests}} for r in agg_rows]
        out += [f"### CAAR {window_label(*w)}", "",
                _md_table(headers, cells, right=["n", "caar", *tests]), ""]
        notes = [f"{r['scope']}: {r['note']}" for r in agg_rows if r["note"]]
        out += [f"Notes: {'; '.join(notes)}", ""] if notes else []
    out += ["## Figures", ""]
    if figures is not None:
        out += [f"_{n}_" for n in figures.notes] + ([""] if figures.notes else [])
        for record in figures.records:
            path = record.files.get("png") or record.files.get("svg") or next(iter(record.files.values()))
            if record.kind == "asset_timeline":
                out += [f"- [{_md_escape(record.title)}](figures/{path.name})", ""]
            else:
                out += [f"![{_md_escape(record.title)}](figures/{path.name})", ""]
    if figures is None or not figures.records:
        out += ["No figures.", ""]
    out += ["## Events", "", _md_table([("#", "#"), ("id", "id"), ("date", "date"), ("time", "time"),
                                        ("event", "event"), ("group", "group"), ("assets", "assets"),
                                        ("source", "source")], event_rows(data)), ""]
    out += ["## Data sources", "", _md_table([("asset", "asset"), ("source", "source"), ("symbol", "symbol"),
                                              ("range", "range"), ("sha256", "sha256 (first 12)"),
                                              ("fetched", "fetched")], source_rows(data)), ""]
    out += ["## Settings and method", "", _md_table([("k", "setting"), ("v", "value")],
                                                    [{"k": k, "v": v} for k, v in settings_rows(data)]), ""]
    out += [f"- {n}" for n in METHOD_NOTES] + [""]
    out += ["## Skipped pairs and warnings", ""]
    if len(data.skipped):
        out += [_md_table([("event_id", "event"), ("asset", "asset"), ("reason", "reason")],
                          [{str(k): _text(v) for k, v in r.items()}
                           for r in data.skipped.to_dict("records")]), ""]
    else:
        out += ["Skipped: none.", ""]
    notes = warnings_list(data)
    out += ["Overlap warnings:", ""] + [f"- {n}" for n in notes] if notes else ["Overlap warnings: none."]
    return "\n".join(out).rstrip() + "\n"

