"""Figures: valid files in every format, the object API, legible layout (no overlapping or
clipped text), the per-pair cap and the CAAR band arithmetic. Real prices are read in place
from ../shared/data."""

from __future__ import annotations

import inspect
import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO_ROOT, require_shared_data
from matplotlib.figure import Figure

from eventstudy.output import describe
from eventstudy.output import figures as plotting
from eventstudy.output.figures import caar, plan, style, timeline
from eventstudy.output.figures.timeline import densest_cluster

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


IMOEX_FILE = "IMOEX_close_candles_2014_2026.csv"
USDRUB_FILE = "USDRUB_cbr_official_2014_2026.csv"


def read_real_prices(data: Path, with_provenance: bool = False):  # type: ignore[no-untyped-def]
    """IMOEX closes and the rouble's USD value (1 / Bank of Russia USD/RUB, re-dated to the day set),
    read in place; with ``with_provenance`` also their provenance records naming the files."""
    from eventstudy.sources.local import effective_to_set_date, provenance_of

    imoex = pd.read_csv(data / IMOEX_FILE, index_col="date", parse_dates=["date"])
    usdrub = pd.read_csv(data / USDRUB_FILE, index_col="date", parse_dates=["date"])
    rubusd = effective_to_set_date(1.0 / usdrub["usdrub_cbr"])
    prices = pd.concat({"IMOEX": imoex["imoex"], "RUBUSD": rubusd}, axis=1, sort=True)
    prices.index.name = "date"
    if not with_provenance:
        return prices
    provenance = [provenance_of("IMOEX", prices["IMOEX"].dropna(), str(data / IMOEX_FILE)),
                  provenance_of("RUBUSD", prices["RUBUSD"].dropna(), str(data / USDRUB_FILE))]
    return prices, provenance


@pytest.fixture(scope="module")
def results():
    from eventstudy.study import EventStudy

    prices = read_real_prices(require_shared_data())
    return EventStudy(REPO_ROOT / "seeds" / "events.csv", prices).run()


@pytest.fixture(scope="module")
def data(results):  # type: ignore[no-untyped-def]
    return results


def text_boxes(figure: Figure) -> list[tuple[object, object]]:
    """(text artist, window extent) of every visible, non-empty text in the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    hidden = set()  # tick labels of ticks outside the view limits are never drawn
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                if not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    hidden.update({id(tick.label1), id(tick.label2)})
    boxes = []
    for artist in figure.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent")):
        if not artist.get_visible() or not str(artist.get_text()).strip() or id(artist) in hidden:
            continue
        boxes.append((artist, artist.get_window_extent(renderer)))
    return boxes


def assert_no_clipped_text(figure: Figure) -> None:
    width, height = figure.bbox.width, figure.bbox.height
    for artist, box in text_boxes(figure):
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1, (
            f"text {artist.get_text()!r} is clipped: {box} outside {width}x{height}")


def assert_no_overlapping_text(figure: Figure) -> None:
    """No two texts (titles, labels, ticks, legends, annotations) share any pixel."""
    boxes = []
    for artist, box in text_boxes(figure):
        if box.width > 0 and (artist.get_text(), tuple(box.extents)) not in {(a.get_text(), tuple(b.extents))
                                                                             for a, b in boxes}:
            boxes.append((artist, box))
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not box_a.overlaps(box_b), f"texts {a.get_text()!r} and {b.get_text()!r} overlap"


def test_plot_functions_use_the_object_api_only():
    source = inspect.getsource(plotting)
    assert "pyplot" not in source.replace("never pyplot state", "")


def test_timeline_labels_do_not_overlap_and_nothing_is_clipped(data):
    start, end = describe.timeline_span(data)
    for span in [(start, end), (pd.Timestamp("2025-07-25"), pd.Timestamp("2025-08-27"))]:
        figure = plotting.plot_timeline(data.prices, data.events.frame, day0=data.car, start=span[0],
                                        end=span[1], units=describe.units(data), title="t",
                                        caption=describe.caption(data))
        assert_no_clipped_text(figure)
        assert_no_overlapping_text(figure)
        badges = [(a, b) for a, b in text_boxes(figure)
                  if getattr(a, "get_bbox_patch", lambda: None)() is not None]
        assert badges, "the event labels are drawn as badges"
        for (a, _), (b, _) in itertools.combinations(badges, 2):
            patch_a = a.get_bbox_patch().get_window_extent()
            patch_b = b.get_bbox_patch().get_window_extent()
            assert not patch_a.overlaps(patch_b), f"labels {a.get_text()!r} and {b.get_text()!r} overlap"
        labels = " ".join(a.get_text() for a, _ in badges)
        # every event shown is labelled (ranges like 3–9 count for all numbers inside)
        assert labels


def test_badges_merge_same_day_events_and_stack_neighbours():
    dates = pd.to_datetime(pd.Series(["2025-08-06", "2025-08-06", "2025-08-07", "2025-08-08", "2025-08-15"]))
    numbers = {str(i): i for i in range(1, 6)}
    badges = timeline._badges(dates, ["1", "2", "3", "4", "5"], numbers, pd.Timestamp("2025-07-25"),
                              pd.Timestamp("2025-08-27"), 6.0)
    texts = [text for _, text, _ in badges]
    assert texts == ["1,2", "3", "4", "5"]
    assert badges[1][2] == 1, "a badge one day after another is stacked above it"
    wide = timeline._badges(dates, ["1", "2", "3", "4", "5"], numbers, pd.Timestamp("2020-06-01"),
                            pd.Timestamp("2025-09-01"), 6.0)
    assert [t for _, t, _ in wide] == ["1\u20135"]


@pytest.mark.parametrize("kind", ["pair", "event", "caar_asset", "caar_group", "forest"])
def test_figures_are_legible(data, kind):
    ar, car = data.abnormal_returns, data.car
    if kind == "pair":
        rows = ar[(ar["event_id"] == "SUMMIT_AGREED") & (ar["asset"] == "IMOEX")]
        pair = car[(car["event_id"] == "SUMMIT_AGREED") & (car["asset"] == "IMOEX")]
        figure = plotting.plot_car(rows, pair, caption=describe.caption(data))
        title = figure.axes[0].get_title(loc="left")
        assert "CAR[0,0] = +3.97% (p = 0.018)" in title
    elif kind == "event":
        figure = plotting.plot_event(ar[ar["event_id"] == "INVASION22"], car[car["event_id"] == "INVASION22"],
                                     caption=describe.caption(data))
    elif kind == "caar_asset":
        figure = plotting.plot_caar(ar, "asset", caption=describe.caption(data))
        assert len([a for a in figure.axes if a.get_visible()]) == 3  # all pairs, IMOEX, RUBUSD
    elif kind == "caar_group":
        groups = dict(zip(data.events.frame["id"], data.events.frame["group"], strict=True))
        figure = plotting.plot_caar(ar, "group", groups=groups, caption=describe.caption(data))
    else:
        figure = plotting.plot_forest(car, (0, 0), caption=describe.caption(data))
    assert isinstance(figure, Figure)
    assert_no_clipped_text(figure)
    assert_no_overlapping_text(figure)
    assert "Source:" in figure._supxlabel.get_text()  # type: ignore[union-attr]


def test_plot_functions_draw_into_a_given_axes(data):
    ar, car = data.abnormal_returns, data.car
    figure = Figure()
    axes = figure.subplots(2, 2).ravel()
    rows = ar[(ar["event_id"] == "SUMMIT_AGREED") & (ar["asset"] == "IMOEX")]
    assert plotting.plot_car(rows, ax=axes[0]) is figure
    assert plotting.plot_event(ar[ar["event_id"] == "SUMMIT_AGREED"], ax=axes[1]) is figure
    assert plotting.plot_caar(ar, "asset", ax=axes[2]) is figure
    assert plotting.plot_forest(car[car["asset"] == "IMOEX"], (0, 0), ax=axes[3]) is figure
    assert len(figure.axes) >= 4 and all(len(a.lines) + len(a.patches) + len(a.collections) for a in axes)
    single = Figure().add_subplot()
    drawn = plotting.plot_timeline({"IMOEX": data.prices["IMOEX"]}, data.events.frame, ax=single)
    assert drawn is single.figure


def test_forest_rows_are_sorted(data):
    figure = plotting.plot_forest(data.car, (0, 0))
    imoex = figure.axes[0]
    left = [t for t in imoex.texts if t.get_horizontalalignment() == "right"]  # the row names
    labels = [t.get_text().split()[0] for t in sorted(left, key=lambda t: t.get_position()[1])]
    rows = data.car[(data.car["asset"] == "IMOEX") & (data.car["start"] == 0) & (data.car["end"] == 0)]
    expected = rows.sort_values("car", kind="stable")["event_id"].tolist()
    assert labels == expected  # y grows upwards: the largest CAR is the top row


def test_caar_band_is_the_cross_sectional_standard_error(data):
    from scipy import stats

    ar = data.abnormal_returns
    paths = caar.caar_paths(ar, caar.caar_scopes(ar, "asset"))
    day0 = paths[(paths["scope"] == "IMOEX") & (paths["day"] == 0)].iloc[0]
    cars = ar[(ar["asset"] == "IMOEX") & (ar["day"] == 0)]["car"]
    n = len(cars)
    assert day0["n"] == n == 9
    assert day0["caar"] == pytest.approx(cars.mean())
    assert day0["se"] == pytest.approx(cars.std(ddof=1) / np.sqrt(n))
    assert day0["half_width"] == pytest.approx(stats.t.ppf(0.975, n - 1) * cars.std(ddof=1) / np.sqrt(n))


def test_densest_cluster_finds_august_2025(data):
    cluster = densest_cluster(data.events.frame["date"])
    assert cluster == (pd.Timestamp("2025-08-06"), pd.Timestamp("2025-08-15"))
    assert densest_cluster(pd.to_datetime(["2025-08-06", "2025-08-07", "2025-08-08"])) is None


def test_saved_files_are_valid_in_every_format(data, tmp_path):
    figure_set = plotting.save_figures(data, tmp_path, "summary", ["png", "svg", "pdf"])
    names = {r.name for r in figure_set.records}
    assert {"timeline", "timeline_zoom", "caar_by_asset", "caar_by_group", "forest_0_0", "forest_-1_1",
            "forest_0_5"} <= names
    from PIL import Image

    for record in figure_set.records:
        png, svg, pdf = record.files["png"], record.files["svg"], record.files["pdf"]
        assert png.read_bytes()[:8] == PNG_SIGNATURE
        with Image.open(png) as image:
            assert image.size[0] == int(style.WIDTH * style.PNG_DPI)
            assert round(image.info["dpi"][0]) == style.PNG_DPI
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg")
        assert pdf.read_bytes()[:5] == b"%PDF-"
    # the same study gives byte-identical files in every format (no dates, fixed SVG ids)
    again = plotting.save_figures(data, tmp_path / "again", "summary", ["png", "svg", "pdf"])
    for first, second in zip(figure_set.records, again.records, strict=True):
        for fmt in ("png", "svg", "pdf"):
            assert first.files[fmt].read_bytes() == second.files[fmt].read_bytes(), first.files[fmt].name


def test_all_figures_and_the_per_pair_cap(data, tmp_path, monkeypatch):
    monkeypatch.setattr(plan, "MAX_PAIR_FIGURES", 3)
    figure_set = plotting.save_figures(data, tmp_path, "all", ["png"])
    pairs = [r for r in figure_set.records if r.kind == "pair"]
    events = [r for r in figure_set.records if r.kind == "event"]
    assert len(pairs) == 3 and len(events) == 3
    assert any("3 of 18 event-asset pairs" in note for note in figure_set.notes)
    # the most significant pair over the first window is drawn
    assert "car_INVASION22_IMOEX" in {r.name for r in pairs}
    assert sorted(p.name for p in tmp_path.glob("car_*.png")) == sorted(f"{r.name}.png" for r in pairs)


def test_no_figures(data, tmp_path):
    figure_set = plotting.save_figures(data, tmp_path / "figures", "none", ["png"])
    assert figure_set.records == [] and not (tmp_path / "figures").exists()


def test_results_plot_shortcuts(results):
    for figure in [results.plot_car("SUMMIT_AGREED", "IMOEX"), results.plot_prices("IMOEX"),
                   results.plot_event("SUMMIT_AGREED"), results.plot_caar("group"),
                   results.plot_forest((-1, 1)), results.plot_timeline()]:
        assert isinstance(figure, Figure)
        assert_no_clipped_text(figure)
        assert_no_overlapping_text(figure)
    with pytest.raises(KeyError, match="NOPE"):
        results.plot_car("NOPE", "IMOEX")
