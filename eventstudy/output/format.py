"""Display formatting shared by every renderer: numbers, p-values, stars, window labels,
event numbers and plain-text tables. Each format is defined here once."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

STAR_NOTE = "* p<0.10, ** p<0.05, *** p<0.01 (two-sided p of the t test)"
TEST_NAMES = {
    "t_cs": "cross-sectional t", "bw_cda": "Brown-Warner crude dependence adjustment",
    "patell": "Patell standardised residuals", "patell_adj": "Patell adjusted (Kolari-Pynn\u00f6nen)",
    "bmp": "Boehmer-Musumeci-Poulsen", "kp": "Kolari-Pynn\u00f6nen adjusted BMP", "corrado": "Corrado rank",
    "sign": "sign", "gen_sign": "Cowan generalised sign",
    "wilcoxon": "Wilcoxon signed rank (statistic W+, the sum of the ranks of positive CARs)",
}
MINUS = "\u2212"


def _missing(value: Any) -> bool:
    if type(value) is float:  # the common case, without pandas' dispatch
        return value != value
    return value is None or bool(pd.isna(value))


def stars(pvalue: Any) -> str:
    """Significance marks: ``***`` below 1%, ``**`` below 5%, ``*`` below 10%."""
    if _missing(pvalue):
        return ""
    p = float(pvalue)
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def pct(value: Any, digits: int = 2) -> str:
    """A fraction as a percentage number with ``digits`` decimals (``3.97``); empty when missing."""
    return "" if _missing(value) else f"{100 * float(value):.{digits}f}"


def num(value: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals, empty when missing."""
    return "" if _missing(value) else f"{float(value):.{digits}f}"


def pval(value: Any) -> str:
    """A p-value in a table: three decimals, ``<0.001`` below; empty when missing."""
    if _missing(value):
        return ""
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def format_p(pvalue: Any) -> str:
    """A p-value in a sentence: ``p = 0.018`` / ``p < 0.001``."""
    if _missing(pvalue) or not math.isfinite(float(pvalue)):
        return "p n/a"
    return "p < 0.001" if float(pvalue) < 0.001 else f"p = {float(pvalue):.3f}"


def percent_unit(return_kind: str, measure: str = "returns") -> str:
    """How a return in percent is labelled: ``log %`` for log returns (a log return is not a
    percent change: -40.5 log % is a fall of 33.3%), ``%`` for simple returns, and
    ``log volume %`` for abnormal log volume (``measure = "volume"``: +183 log volume % is
    a turnover about 6.2 times its normal level)."""
    if measure == "volume":
        return "log volume %"
    return "log %" if return_kind == "log" else "%"


def signed_percent(value: Any, digits: int = 2, unit: str = "%") -> str:
    """``+3.97%`` / ``\u22120.78 log %`` (typographic minus) from a fraction."""
    if _missing(value) or not math.isfinite(float(value)):
        return "n/a"
    suffix = "%" if unit == "%" else f" {unit}"
    return typographic(f"{100 * float(value):+.{digits}f}{suffix}")


def typographic(text: str) -> str:
    """Hyphen-minus replaced by the typographic minus sign, for figures."""
    return text.replace("-", MINUS)


def window_label(start: int, end: int) -> str:
    """``[-1,1]``: a window of relative days (bars) as printed everywhere."""
    return f"[{int(start)},{int(end)}]"


def event_numbers(ids: Iterable[Any]) -> dict[str, int]:
    """Event number (1-based, events-file order) by id, as on the timelines."""
    return {str(i): n + 1 for n, i in enumerate(ids)}


def legend_of_tests(tests: Iterable[str]) -> str:
    """``t_cs: cross-sectional t; ...`` for the tests present."""
    return "; ".join(f"{t}: {TEST_NAMES[t]}" for t in dict.fromkeys(tests) if t in TEST_NAMES)


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned plain-text columns, header underlined."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
