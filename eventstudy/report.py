"""The self-contained HTML report (figures embedded, no external requests)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eventstudy.summary import aggregate_summary_table, car_summary_table

if TYPE_CHECKING:
    from eventstudy.results import Results

STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
img{max-width:100%}h1,h2{font-weight:600}"""


def write_report(results: Results, folder: Path, figure_files: Sequence[Path]) -> Path:
    """Write ``report.html`` into ``folder`` and return its path."""
    settings = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in results.settings.items())
    sources = "".join(
        f"<tr><td>{html.escape(p.asset)}</td><td>{html.escape(p.source)}</td>"
        f"<td>{html.escape(p.symbol)}</td><td>{p.first} to {p.last}</td></tr>"
        for p in results.provenance)
    images = "".join(_embedded(path) for path in figure_files if path.suffix == ".png")
    skipped = results.skipped.to_html(index=False) if len(results.skipped) else "<p>None.</p>"
    body = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Event study report</title><style>{STYLE}</style></head><body>
<h1>Event study report</h1>
<h2>Settings</h2><table>{settings}</table>
<h2>Data sources</h2><table><tr><th>asset</th><th>source</th><th>symbol</th><th>range</th></tr>{sources}</table>
<h2>Events</h2>{results.events.frame[["id", "date", "event", "group"]].to_html(index=False)}
<h2>Cumulative abnormal returns</h2>{car_summary_table(results).to_html(index=False)}
<p>* p&lt;0.10, ** p&lt;0.05, *** p&lt;0.01</p>
<h2>Aggregate tests</h2>{aggregate_summary_table(results).to_html()}
<h2>Skipped</h2>{skipped}
<h2>Figures</h2>{images}
</body></html>"""
    path = folder / "report.html"
    path.write_text(body, encoding="utf-8")
    return path


def _embedded(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<figure><img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}"></figure>'
