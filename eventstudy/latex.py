"""LaTeX tables (booktabs) of a study, ready for ``\\input`` inside a ``table`` float.

Each file holds one ``tabular`` (no float, no caption, so the author chooses both) and
needs ``\\usepackage{booktabs}``. Text is escaped (``_``, ``%``, ``&``, ``#``, ``$``,
braces, ``~``, ``^``, backslash); numbers are those of the HTML report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventstudy.report import STAR_NOTE, aggregate_blocks, car_rows

if TYPE_CHECKING:
    from eventstudy.report import ReportData

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "\u2212": "-", "\u2020": r"\dag{}"}


def escape(text: object) -> str:
    """Escape LaTeX's special characters in plain text."""
    return "".join(_SPECIAL.get(ch, ch) for ch in str(text))


def number(value: str) -> str:
    """A printed number with a typographic minus (``$-$1.47``)."""
    return f"$-${value[1:]}" if value.startswith("-") else value


def _starred(value: str, marks: str) -> str:
    value = number(value)
    return f"{value}$^{{{marks}}}$" if marks and value else value


def _window_tex(start: int, end: int) -> str:
    return f"$[{start},{end}]$"


def car_latex(data: ReportData) -> str:
    """``tables/car.tex``: per event (a heading row) and asset, CAR in % with stars and t per window."""
    windows = data.windows()
    columns = "ll" + "rr" * len(windows)
    lines = ["% eventstudy: cumulative abnormal returns by event and asset. Requires \\usepackage{booktabs}.",
             f"% CAR in percent; {STAR_NOTE}; t in parentheses.",
             f"\\begin{{tabular}}{{{columns}}}", "\\toprule"]
    head = " & ".join(f"\\multicolumn{{2}}{{c}}{{CAR {_window_tex(*w)}}}" for w in windows)
    lines.append(f"Asset & Day 0 & {head} \\\\")
    rules = "".join(f"\\cmidrule(lr){{{3 + 2 * i}-{4 + 2 * i}}}" for i in range(len(windows)))
    lines.append(rules)
    lines.append(" & & " + " & ".join("\\% & $t$" for _ in windows) + " \\\\")
    lines.append("\\midrule")
    by_window = {w: {(r["event_id"], r["asset"]): r for r in car_rows(data, w)} for w in windows}
    car = data.car
    order = list(dict.fromkeys(zip(car["event_id"].astype(str), car["asset"].astype(str), strict=True)))
    labels = dict(zip(car["event_id"].astype(str), car["event"].astype(str), strict=False))
    width = 2 + 2 * len(windows)
    current = None
    for event_id, asset in order:
        if event_id != current:
            if current is not None:
                lines.append("\\addlinespace")
            current = event_id
            lines.append(f"\\multicolumn{{{width}}}{{l}}{{\\textit{{{escape(labels[event_id])}}} "
                         f"({escape(event_id)})}} \\\\")
        cells = [f"\\quad {escape(asset)}", ""]
        for w in windows:
            r = by_window[w].get((event_id, asset))
            if r is None:
                cells += ["", ""]
                continue
            cells[1] = cells[1] or escape(r["day0"])
            flag = r"\dag{}" if r["flag"] else ""
            cells += [_starred(r["car"], r["stars"]) + flag, f"({number(r['t'])})" if r["t"] else ""]
        lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\bottomrule",
              f"\\multicolumn{{{width}}}{{l}}{{\\footnotesize {escape(STAR_NOTE)}; "
              "\\dag{} overlap warning.}} \\\\",
              "\\end{tabular}", ""]
    return "\n".join(lines)


def aggregate_latex(data: ReportData) -> str:
    """``tables/aggregate.tex``: per scope and window, N, CAAR (%) and each test's statistic and p."""
    lines = ["% eventstudy: aggregate tests (CAAR). Requires \\usepackage{booktabs}.",
             f"% {STAR_NOTE.split(' (')[0]}; p two-sided.",
             "\\begin{tabular}{llrrlrr}", "\\toprule",
             "Scope & Window & $N$ & CAAR (\\%) & Test & Statistic & $p$ \\\\", "\\midrule"]
    blocks = aggregate_blocks(data)
    scopes: dict[str, list[tuple[tuple[int, int], list[str], dict[str, str]]]] = {}
    for w, tests, rows in blocks:
        for r in rows:
            scopes.setdefault(r["scope"], []).append((w, tests, r))
    first_block = True
    for scope, entries in scopes.items():
        for position, (w, tests, r) in enumerate(entries):
            if not first_block and (position == 0 or len(tests) > 1):
                lines.append("\\addlinespace")
            first_block = False
            for k, test in enumerate(tests):
                lead = ([escape(scope), _window_tex(*w), r["n"], number(r["caar"])] if k == 0
                        else ["", "", "", ""])
                stat = _starred(r.get(f"{test}:statistic", ""), r.get(f"{test}:stars", ""))
                lines.append(" & ".join([*lead, escape(test), stat, r.get(f"{test}:pvalue", "")]) + " \\\\")
    if not blocks:
        lines.append("\\multicolumn{7}{l}{No aggregate tests.} \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", ""]
    return "\n".join(lines)

