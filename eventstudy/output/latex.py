"""LaTeX tables (booktabs) of a study, ready for ``\\input`` inside a ``table`` float.

Each file holds one ``tabular`` (no float, no caption, so the author chooses both) and
needs ``\\usepackage{booktabs}``. Text is escaped (``_``, ``%``, ``&``, ``#``, ``$``,
braces, ``~``, ``^``, backslash); numbers are those of the HTML report.
"""

from __future__ import annotations

from eventstudy.output import describe
from eventstudy.output.describe import StudyResults
from eventstudy.output.format import STAR_NOTE
from eventstudy.output.rows import aggregate_blocks, car_rows, only_pairs, ranked_pairs, shown_pairs

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "\u2212": "-", "\u2020": r"\dag{}", "<": r"\textless{}", ">": r"\textgreater{}"}


def escape(text: object) -> str:
    """Escape LaTeX's special characters in plain text."""
    return "".join(_SPECIAL.get(ch, ch) for ch in str(text))


def number(value: str) -> str:
    """A printed number with a typographic minus (``$-$1.47``)."""
    return f"$-${value[1:]}" if value.startswith("-") else value


def pvalue(value: str) -> str:
    """A printed p-value; ``<0.001`` in math mode (text-mode ``<`` is not a less-than sign)."""
    return value.replace("<", "$<$")


def _starred(value: str, marks: str) -> str:
    value = number(value)
    return f"{value}$^{{{marks}}}$" if marks and value else value


def _window_tex(start: int, end: int) -> str:
    return f"$[{start},{end}]$"


def car_latex(results: StudyResults) -> str:
    """``tables/car.tex``: per event (a heading row) and asset, CAR in % with stars and t per window.

    Studies with more than ``TOP_PAIRS`` event-asset pairs list the most significant ones
    (as the reports do; :func:`~eventstudy.output.rows.shown_pairs`), in events-file order,
    and say that every pair is in ``car.csv``: a table of thousands of pairs is not one
    anybody typesets.
    """
    windows = describe.windows(results)
    columns = "ll" + "rr" * len(windows)
    ranked = ranked_pairs(results)
    shown = shown_pairs(ranked)
    lines = ["% eventstudy: cumulative abnormal returns by event and asset. Requires \\usepackage{booktabs};",
             "% non-ASCII labels (e.g. Cyrillic) need LuaLaTeX/XeLaTeX or inputenc with a suitable fontenc.",
             f"% CAR in {describe.unit(results)}; {STAR_NOTE}; t in parentheses.",
             *([f"% The {len(shown)} most significant of {len(ranked):,} event-asset pairs (smallest p over "
                "the first CAR window); every pair is in car.csv."] if shown is not None else []),
             f"\\begin{{tabular}}{{{columns}}}", "\\toprule"]
    head = " & ".join(f"\\multicolumn{{2}}{{c}}{{CAR {_window_tex(*w)}}}" for w in windows)
    lines.append(f"Asset & Day 0 & {head} \\\\")
    rules = "".join(f"\\cmidrule(lr){{{3 + 2 * i}-{4 + 2 * i}}}" for i in range(len(windows)))
    lines.append(rules)
    percent = "log \\%" if describe.unit(results) == "log %" else "\\%"
    lines.append(" & & " + " & ".join(f"{percent} & $t$" for _ in windows) + " \\\\")
    lines.append("\\midrule")
    by_window = {w: {(r["event_id"], r["asset"]): r for r in car_rows(results, w, shown)} for w in windows}
    car = only_pairs(results.car, shown)
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
              "\\dag{} overlap warning."
              + (f" The {len(shown)} most significant of {len(ranked):,} event-asset pairs; every pair "
                 "is in car.csv." if shown is not None else "") + "} \\\\",
              "\\end{tabular}", ""]
    return "\n".join(lines)


MAX_SCOPE_COLUMNS = 8


def aggregate_latex(results: StudyResults) -> str:
    """``tables/aggregate.tex``: the aggregate tests.

    With up to :data:`MAX_SCOPE_COLUMNS` scopes, the usual layout of the field: one column
    per scope (all pairs, each asset, each group), a panel per window with ``N``, the CAAR
    in % (log % for log returns) and each test's statistic (with stars) above its p-value in parentheses.
    Otherwise a long table, one row per scope, window and test.
    """
    blocks = aggregate_blocks(results)
    scopes = list(dict.fromkeys(r["scope"] for _, _, rows in blocks for r in rows))
    percent = "log \\%" if describe.unit(results) == "log %" else "\\%"
    if blocks and len(scopes) <= MAX_SCOPE_COLUMNS:
        return _aggregate_wide(blocks, scopes, percent)
    return _aggregate_long(blocks, percent)


def _scope_title(scope: str) -> str:
    kind, _, name = scope.partition(":")
    return "All" if scope == "all" else escape(name or kind)


def _aggregate_wide(blocks: list[tuple[tuple[int, int], list[str], list[dict[str, str]]]],
                    scopes: list[str], percent: str) -> str:
    width = 1 + len(scopes)
    lines = ["% eventstudy: aggregate tests (CAAR). Requires \\usepackage{booktabs}.",
             f"% Columns: {', '.join(scopes)}.",
             f"% Statistic with stars ({STAR_NOTE.split(' (')[0]}), two-sided p in parentheses.",
             f"\\begin{{tabular}}{{l{'r' * len(scopes)}}}", "\\toprule"]
    kinds = [s.partition(":")[0] if ":" in s else "" for s in scopes]
    spans, start = [], 0
    for k in range(1, len(kinds) + 1):
        if k == len(kinds) or kinds[k] != kinds[start]:
            spans.append((kinds[start], start + 2, k + 1))
            start = k
    if any(kind for kind, _, _ in spans):
        lines.append(" & " + " & ".join(
            f"\\multicolumn{{{b - a + 1}}}{{c}}{{{escape(kind.capitalize() + ('s' if b > a else ''))}}}"
            if kind else " & ".join([""] * (b - a + 1)) for kind, a, b in spans) + " \\\\")
        lines.append("".join(f"\\cmidrule(lr){{{a}-{b}}}" for kind, a, b in spans if kind))
    lines.append(" & " + " & ".join(_scope_title(s) for s in scopes) + " \\\\")
    lines.append("\\midrule")
    for position, (w, tests, rows) in enumerate(blocks):
        by_scope = {r["scope"]: r for r in rows}
        if position:
            lines.append("\\addlinespace")
        lines.append(f"\\multicolumn{{{width}}}{{l}}{{\\textit{{Window {_window_tex(*w)}}}}} \\\\")
        lines.append("$N$ & " + " & ".join(by_scope.get(s, {}).get("n", "") for s in scopes) + " \\\\")
        caar = " & ".join(number(by_scope.get(s, {}).get("caar", "")) for s in scopes)
        lines.append(f"CAAR ({percent}) & {caar} \\\\")
        for test in tests:
            stats = [_starred(by_scope.get(s, {}).get(f"{test}:statistic", ""),
                              by_scope.get(s, {}).get(f"{test}:stars", "")) for s in scopes]
            pvalues = [by_scope.get(s, {}).get(f"{test}:pvalue", "") for s in scopes]
            lines.append(f"{escape(test)} & " + " & ".join(stats) + " \\\\")
            lines.append(" & " + " & ".join(f"({pvalue(p)})" if p else "" for p in pvalues) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", ""]
    return "\n".join(lines)


def _aggregate_long(blocks: list[tuple[tuple[int, int], list[str], list[dict[str, str]]]],
                    percent: str) -> str:
    lines = ["% eventstudy: aggregate tests (CAAR). Requires \\usepackage{booktabs}.",
             f"% {STAR_NOTE.split(' (')[0]}; p two-sided.",
             "\\begin{tabular}{llrrlrr}", "\\toprule",
             f"Scope & Window & $N$ & CAAR ({percent}) & Test & Statistic & $p$ \\\\", "\\midrule"]
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
                lines.append(" & ".join([*lead, escape(test), stat, pvalue(r.get(f"{test}:pvalue", ""))])
                             + " \\\\")
    if not blocks:
        lines.append("\\multicolumn{7}{l}{No aggregate tests.} \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", ""]
    return "\n".join(lines)

