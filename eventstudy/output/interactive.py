"""The interactive layer of ``report.html``: the charts, sortable and searchable tables, and the
result files downloadable from the page, all inline (the page makes no request of any kind).

The charts are drawn by plotly.js, whose minified bundle ships inside the ``plotly`` Python
package (``plotly.offline.get_plotlyjs()``) and is embedded in a ``<script>`` element; the
tables and downloads are a few lines of plain JavaScript (:data:`TABLE_SCRIPT`). The page
stays under :data:`PAGE_LIMIT` bytes: files larger than the embedding budget are linked
(``car.csv`` beside ``report.html``) instead of embedded.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from eventstudy.output.charts import Chart

PAGE_LIMIT = 10_000_000  # bytes: the report must stay below this for any study (issue 10)
EMBED_FILE_LIMIT = 600_000  # bytes: a result file larger than this is linked, not embedded
EMBED_TOTAL_LIMIT = 1_200_000  # bytes: result files embedded in all
DOWNLOADS = ("car.csv", "aggregate.csv", "abnormal_returns.csv", "skipped.csv")


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js (minified, bundled with the ``plotly`` package), safe inside ``<script>``."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().replace("</script", "<\\/script")


def json_script(element_id: str, value: Any) -> str:
    """``value`` as JSON in an inert ``<script type="application/json">`` (``</`` escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (f'<script type="application/json" id="{html.escape(element_id)}">'
            + text.replace("</", "<\\/") + "</script>")


def chart_blocks(charts: Sequence[Chart]) -> str:
    """One ``<div class="chart">`` per chart; the figures' JSON follows in :func:`scripts`."""
    return "".join(f'<div class="chart" id="{html.escape(c["id"])}" role="img" '
                   f'aria-label="{html.escape(c["title"])}"></div>' for c in charts)


def embedded_files(folder: Path | None, names: Sequence[str] = DOWNLOADS, limit: int = EMBED_TOTAL_LIMIT
                   ) -> tuple[dict[str, str], dict[str, int]]:
    """The result files small enough to embed (name -> text; ``limit`` bytes in all) and every
    existing file's size."""
    embedded: dict[str, str] = {}
    sizes: dict[str, int] = {}
    total = 0
    for name in names:
        path = folder / name if folder is not None else None
        if path is None or not path.is_file():
            continue
        size = path.stat().st_size
        sizes[name] = size
        if size <= EMBED_FILE_LIMIT and total + size <= limit:
            embedded[name] = path.read_text(encoding="utf-8")
            total += size
    return embedded, sizes


def _size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{max(size, 1) / 1e3:.1f} kB"


def downloads_block(embedded: dict[str, str], sizes: dict[str, int]) -> str:
    """Links to the result files: embedded ones download from the page itself (a Blob built by
    :data:`TABLE_SCRIPT`), the others are relative links to the file beside ``report.html``."""
    if not sizes:
        return ""
    links = []
    for name, size in sizes.items():
        where = ("in this page" if name in embedded
                 else "not embedded: too large; the file beside report.html")
        attribute = f' data-embedded="{html.escape(name)}"' if name in embedded else ""
        links.append(f'<a class="download" href="{html.escape(name)}" download="{html.escape(name)}"'
                     f"{attribute}>{html.escape(name)}</a> "
                     f"<span class=small>({_size_text(size)}, {where})</span>")
    return '<p class="downloads">Download: ' + " \u00b7 ".join(links) + "</p>"


def scripts(charts: Sequence[Chart], embedded: dict[str, str]) -> str:
    """The page's scripts: the embedded files, the charts' JSON, plotly.js and the page logic."""
    parts = [json_script("embedded-files", embedded)]
    if charts:
        specs = [{k: c[k] for k in ("id", "data", "layout")} for c in charts]
        parts.append(json_script("chart-specs", specs))
        parts.append(f"<script>{plotly_js()}</script>")
    parts.append(f"<script>{TABLE_SCRIPT}</script>")
    return "".join(parts)


INTERACTIVE_STYLE = """
.chart{width:100%;min-height:260px;margin:8px 0 22px;border:1px solid var(--line);border-radius:6px}
.filter{margin:6px 0 2px;padding:4px 8px;font:inherit;font-size:13px;border:1px solid var(--line);
border-radius:4px;min-width:260px}.filter-count{font-size:12px;color:var(--mute);margin-left:8px}
table.sortable thead th{cursor:pointer;user-select:none}
table.sortable thead th[aria-sort=ascending]::after{content:" \\25B2";font-size:10px}
table.sortable thead th[aria-sort=descending]::after{content:" \\25BC";font-size:10px}
p.downloads{font-size:13px;margin:8px 0 0}p.downloads a{color:var(--accent)}
p.capped{border-left:3px solid #b34700;padding:4px 10px;background:#fff7f0;font-size:13px}
@media print{.chart,.filter,.filter-count,p.downloads{display:none}}
"""

TABLE_SCRIPT = r"""
(function(){
"use strict";
function embedded(){var e=document.getElementById("embedded-files");return e?JSON.parse(e.textContent):{};}
var files=embedded();
document.querySelectorAll("a.download[data-embedded]").forEach(function(a){
  a.addEventListener("click",function(ev){
    var name=a.getAttribute("data-embedded");if(!(name in files))return;
    ev.preventDefault();
    var url=URL.createObjectURL(new Blob([files[name]],{type:"text/csv;charset=utf-8"}));
    var link=document.createElement("a");link.href=url;link.download=name;
    document.body.appendChild(link);link.click();link.remove();
    setTimeout(function(){URL.revokeObjectURL(url);},10000);
  });
});
function cellText(td){var v=td.getAttribute("data-value");return (v===null?td.textContent:v).trim();}
function number(text){
  var t=text.replace(/\u2212/g,"-").replace(/[*%\u2020\s]/g,"");
  if(/^<0?\.\d+$/.test(t))return parseFloat(t.slice(1))/2;
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)?parseFloat(t):null;
}
function compare(a,b){
  if(a===""&&b==="")return 0;if(a==="")return 1;if(b==="")return -1;
  var x=number(a),y=number(b);
  if(x!==null&&y!==null)return x-y;
  return a.localeCompare(b,undefined,{numeric:true});
}
function sortable(table){
  var heads=table.tHead?table.tHead.rows[0].cells:[];
  Array.prototype.forEach.call(heads,function(th,column){
    th.title="Click to sort";
    th.addEventListener("click",function(){
      var body=table.tBodies[0];
      var rows=Array.prototype.slice.call(body.rows);
      var ascending=th.getAttribute("aria-sort")!=="ascending";
      Array.prototype.forEach.call(heads,function(h){h.removeAttribute("aria-sort");});
      th.setAttribute("aria-sort",ascending?"ascending":"descending");
      rows.forEach(function(r){
        Array.prototype.forEach.call(r.cells,function(td){
          if(td.hasAttribute("data-value")&&td.textContent===""){td.textContent=td.getAttribute("data-value");}
        });
        r.classList.remove("first");
      });
      var keyed=rows.map(function(r,i){
        return {row:r,index:i,key:r.cells[column]?cellText(r.cells[column]):""};
      });
      keyed.sort(function(p,q){
        var c=compare(p.key,q.key);
        if(c===0)return p.index-q.index;
        if(p.key===""||q.key==="")return c;
        return ascending?c:-c;
      });
      keyed.forEach(function(k){body.appendChild(k.row);});
    });
  });
  var box=document.createElement("input");
  box.type="search";box.className="filter";box.placeholder="Filter rows (any text)\u2026";
  box.setAttribute("aria-label","Filter the rows of "+(table.id||"this table"));
  var count=document.createElement("span");count.className="filter-count";
  var holder=table.parentNode.classList.contains("scroll")?table.parentNode:table;
  holder.parentNode.insertBefore(box,holder);holder.parentNode.insertBefore(count,holder);
  box.addEventListener("input",function(){
    var query=box.value.trim().toLowerCase(),shown=0,rows=table.tBodies[0].rows;
    Array.prototype.forEach.call(rows,function(r){
      var text=(r.textContent+" "+(r.getAttribute("data-event")||"")+" "
                +(r.getAttribute("data-asset")||"")).toLowerCase();
      var keep=query===""||text.indexOf(query)>=0;
      r.style.display=keep?"":"none";if(keep)shown++;
    });
    count.textContent=query===""?"":shown+" of "+rows.length+" rows";
  });
}
document.querySelectorAll("table.sortable").forEach(sortable);
var specs=document.getElementById("chart-specs");
if(specs&&window.Plotly){
  JSON.parse(specs.textContent).forEach(function(spec){
    window.Plotly.newPlot(spec.id,spec.data,spec.layout,{displaylogo:false,responsive:true,scrollZoom:false});
  });
}
})();
"""
