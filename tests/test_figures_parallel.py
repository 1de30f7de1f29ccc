"""Figures drawn in worker processes are the same files as drawn here; the timeline numbers at
most 30 events (the most significant); the progress display stays silent off a terminal."""

from __future__ import annotations

import argparse
import io
import multiprocessing
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from conftest import REPO_ROOT

from eventstudy.cli.options import Verbosity
from eventstudy.cli.progress import progress_wanted
from eventstudy.output.figures import drawing, plan
from eventstudy.output.figures.forest import forest_row_cap
from eventstudy.output.figures.timeline import MAX_TIMELINE_LABELS, labelled_events, plot_timeline

SEEDS = REPO_ROOT / "seeds"


@pytest.fixture(scope="module")
def seed_results():  # type: ignore[no-untyped-def]
    from eventstudy.study import EventStudy

    return EventStudy.from_file(SEEDS / "summer-2025.toml", SEEDS / "events.csv").run()


class CountingPool(drawing.ProcessPoolExecutor):
    submitted = 0

    def submit(self, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        CountingPool.submitted += 1
        return super().submit(*args, **kwargs)


def test_figures_from_worker_processes_are_byte_identical(seed_results, tmp_path, monkeypatch):
    monkeypatch.setattr(drawing, "ProcessPoolExecutor", CountingPool)
    serial = plan.save_figures(seed_results, tmp_path / "serial", "summary", ["png", "svg"], jobs=1)
    assert CountingPool.submitted == 0
    seen: list[tuple[str, int, int]] = []
    parallel = plan.save_figures(seed_results, tmp_path / "parallel", "summary", ["png", "svg"], jobs=2,
                                 progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert CountingPool.submitted >= 1  # a worker process drew some of them
    assert len(serial.records) == len(parallel.records) >= drawing.MIN_FIGURES_FOR_WORKERS
    for one, other in zip(serial.records, parallel.records, strict=True):
        assert one.name == other.name
        for fmt in ("png", "svg"):
            assert one.files[fmt].read_bytes() == other.files[fmt].read_bytes(), one.files[fmt].name
    total = len(parallel.records)
    assert [s[1] for s in seen] == list(range(1, total + 1)) and {s[2] for s in seen} == {total}


def test_drawing_errors_reach_the_caller(tmp_path):
    tasks = [(_broken_figure, {"png": tmp_path / f"{i}.png"}) for i in range(drawing.MIN_FIGURES_FOR_WORKERS)]
    with pytest.raises(ZeroDivisionError):
        drawing.draw_figures(tasks, jobs=2)


def _broken_figure():  # type: ignore[no-untyped-def]
    return 1 / 0


def timeline_inputs(n: int) -> tuple[dict[str, pd.Series], pd.DataFrame, pd.DataFrame]:
    days = pd.bdate_range("2020-01-01", periods=800)
    rng = np.random.default_rng(7)
    prices = {"A": pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days)))), index=days)}
    picked = np.sort(rng.choice(np.arange(30, 780), size=n, replace=False))
    events = pd.DataFrame({"id": [f"E{i}" for i in range(n)], "date": days[picked],
                           "event": [f"event {i}" for i in range(n)]})
    pvalue = rng.uniform(0, 1, n)
    car = pd.DataFrame({"event_id": events["id"], "asset": "A", "day0": days[picked], "start": 0, "end": 0,
                        "pvalue": pvalue})
    other_window = car.assign(start=-1, end=1, pvalue=0.0)  # must not decide the ranking
    return prices, events, pd.concat([car, other_window], ignore_index=True)


def test_timeline_numbers_the_most_significant_thirty(tmp_path):
    prices, events, car = timeline_inputs(400)
    shown = events.assign(when_=pd.to_datetime(events["date"]))
    chosen, how = labelled_events(shown, car)
    first = car[car["start"] == 0].set_index("event_id")["pvalue"]
    expected = set(first.sort_values(kind="stable").index[:MAX_TIMELINE_LABELS])
    assert set(chosen["id"]) == expected and len(chosen) == MAX_TIMELINE_LABELS == 30
    assert "smallest p-value of CAR[0,0]" in how
    assert list(chosen["when_"]) == sorted(chosen["when_"])
    figure = plot_timeline(prices, events, day0=car)
    track = figure.axes[0]
    badges = [t.get_text() for t in track.texts]
    assert 1 <= len(badges) <= MAX_TIMELINE_LABELS
    numbers = {n + 1 for n, i in enumerate(events["id"]) if i in expected}
    for badge in badges:  # each badge names chosen events only
        first_number = int(badge.replace("\u2013", ",").split(",")[0].split(" ")[0])
        assert first_number in numbers
    key = " ".join(t.get_text() for t in figure.axes[-1].texts)
    assert "400 events" in key and "30 most significant" in key
    figure.savefig(io.BytesIO(), format="png", dpi=60)


def test_timeline_without_p_values_spreads_the_numbers_in_time():
    _, events, _ = timeline_inputs(100)
    shown = events.assign(when_=pd.to_datetime(events["date"]))
    chosen, how = labelled_events(shown, None)
    assert len(chosen) == 30 and chosen["id"].iloc[0] == "E0" and chosen["id"].iloc[-1] == "E99"
    assert "evenly" in how
    few, how = labelled_events(shown.head(5), None)
    assert len(few) == 5 and how == "all"


def test_forest_rows_per_panel():
    assert forest_row_cap(1) == 60 and forest_row_cap(2) == 50 and forest_row_cap(8) == 12
    assert forest_row_cap(40) == 10


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_only_on_a_terminal_and_never_quiet(monkeypatch):
    monkeypatch.setattr(sys, "stderr", FakeStream(tty=True))
    assert progress_wanted(argparse.Namespace(verbosity=Verbosity.NORMAL))
    assert not progress_wanted(argparse.Namespace(verbosity=Verbosity.QUIET))
    monkeypatch.setattr(sys, "stderr", FakeStream(tty=False))
    assert not progress_wanted(argparse.Namespace(verbosity=Verbosity.NORMAL))


def test_run_and_report_print_no_progress_when_not_a_terminal(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "eventstudy.cli"]
    done = subprocess.run([*command, "run", "seeds/events.csv", "--config", "seeds/summer-2025.toml", "--out",
                           str(out), "--figures", "summary", "--jobs", "2"], capture_output=True,
                          cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().splitlines() == [f"eventstudy: wrote {out}/ (report: {out / 'report.html'})"]
    done = subprocess.run([*command, "report", str(out), "--redraw", "--jobs", "1"], capture_output=True,
                          cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert len(done.stderr.decode().splitlines()) == 1 and b"\x1b" not in done.stderr


def test_jobs_must_be_a_positive_number():
    done = subprocess.run([sys.executable, "-m", "eventstudy.cli", "report", ".", "--jobs", "0"],
                          capture_output=True, cwd=REPO_ROOT)
    assert done.returncode == 2 and b"--jobs" in done.stderr


def count_write_figure_submissions(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every function submitted to a drawing pool, in order (workers' warm-up ``int`` included)."""
    submitted: list[object] = []

    class Recording(drawing.ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def,override]
            submitted.append(fn)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(drawing, "ProcessPoolExecutor", Recording)
    return submitted


def test_started_workers_draw_a_few_figures_with_the_same_bytes(seed_results, tmp_path, monkeypatch):
    planned, _ = plan.figure_plan(seed_results, "summary")
    few = planned[:3]  # fewer than MIN_FIGURES_FOR_WORKERS: without started workers, all drawn here
    assert len(few) < drawing.MIN_FIGURES_FOR_WORKERS
    serial = [(draw, {"png": tmp_path / f"serial_{name}.png"}) for name, _, _, draw in few]
    drawing.draw_figures(serial, jobs=1)
    submitted = count_write_figure_submissions(monkeypatch)
    parallel = [(draw, {"png": tmp_path / f"parallel_{name}.png"}) for name, _, _, draw in few]
    before = set(multiprocessing.active_children())
    with drawing.workers_started(2) as workers:
        assert workers is not None and workers.count == 1
        started = set(multiprocessing.active_children()) - before
        drawing.draw_figures(parallel, jobs=2)
        assert workers.retired  # they served their call and exit; a later call draws without them
        again = [(draw, {"png": tmp_path / f"again_{name}.png"}) for name, _, _, draw in few]
        drawing.draw_figures(again, jobs=2)
        assert all(files["png"].read_bytes() == one["png"].read_bytes()
                   for (_, files), (_, one) in zip(again, serial, strict=True))
    # the worker takes from the back: one, or two if it finished one while this process drew
    assert 1 <= submitted.count(drawing.write_figure) <= 2
    for (_, one), (_, other) in zip(serial, parallel, strict=True):
        assert one["png"].read_bytes() == other["png"].read_bytes()
    with pytest.raises(RuntimeError):  # stopped at the end of the block
        workers.pool.submit(int)
    assert len(started) == 1 and all(process.exitcode == 0 for process in started)  # a clean exit


def test_started_workers_stop_when_the_command_fails(monkeypatch):
    submitted = count_write_figure_submissions(monkeypatch)
    before = set(multiprocessing.active_children())
    with pytest.raises(ZeroDivisionError), drawing.workers_started(3) as workers:
        started = set(multiprocessing.active_children()) - before
        1 / 0  # noqa: B018
    assert workers is not None and submitted == [int, int] and len(started) == 2  # two were starting
    with pytest.raises(RuntimeError):
        workers.pool.submit(int)
    for process in started:  # terminated, not left to finish their imports
        # The pool's manager thread may reap the process at the same moment (waitpid then
        # fails here and exitcode reads None for an instant): ask again until it is known.
        deadline = time.monotonic() + 10
        while process.exitcode is None and time.monotonic() < deadline:
            process.join(0.2)
        assert process.exitcode == -signal.SIGTERM
    with drawing.workers_started(1) as none:  # one job: nothing to start
        assert none is None


def test_day_marks_are_the_pixels_of_minor_ticks():
    """The event-time axes' daily marks (one line of markers) against matplotlib's minor ticks."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from eventstudy.output.figures.style import STYLE, day_marks

    def pixels(minor_ticks: bool) -> np.ndarray:
        with mpl.rc_context(STYLE):
            figure = Figure(figsize=(4, 2), dpi=100)
            ax = figure.add_subplot()
            ax.plot(range(-10, 11), np.sin(np.arange(21)))
            ax.set_xticks([-10, -5, 0, 5, 10])
            days = [d for d in range(-10, 11) if d % 5]
            if minor_ticks:
                ax.set_xticks(days, minor=True)
            else:
                day_marks(ax, days)
            ax.set_xlim(-10.6, 10.6)
            canvas = FigureCanvasAgg(figure)
            canvas.draw()
            return np.asarray(canvas.buffer_rgba()).copy()

    with_ticks, with_marks = pixels(True), pixels(False)
    assert (with_ticks != with_ticks[0, 0]).any()
    np.testing.assert_array_equal(with_marks, with_ticks)


def test_calendar_day_marks_are_the_pixels_of_a_day_locator():
    """The zoomed timeline's daily marks against matplotlib's DayLocator minor ticks beside
    Monday major ticks (the minor tick under a Monday is dropped by matplotlib)."""
    import matplotlib as mpl
    import matplotlib.dates as mdates
    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from eventstudy.output.figures.style import STYLE, calendar_day_marks

    start, end = pd.Timestamp("2025-07-03 07:12"), pd.Timestamp("2025-08-19 16:48")

    def pixels(locator: bool) -> np.ndarray:
        with mpl.rc_context(STYLE):
            figure = Figure(figsize=(6, 2), dpi=100)
            ax = figure.add_subplot()
            days = pd.date_range("2025-07-01", "2025-08-21")
            ax.plot(days, np.sin(np.arange(len(days))))
            ax.set_xlim(start, end)
            ax.xaxis.set_major_locator(mdates.WeekdayLocator(mdates.MO))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b"))
            if locator:
                ax.xaxis.set_minor_locator(mdates.DayLocator())
            else:
                calendar_day_marks(ax, start, end)
            canvas = FigureCanvasAgg(figure)
            canvas.draw()
            return np.asarray(canvas.buffer_rgba()).copy()

    with_locator, with_marks = pixels(True), pixels(False)
    assert (with_locator != with_locator[-1, -1]).any()
    np.testing.assert_array_equal(with_marks, with_locator)


def test_forest_row_labels_are_the_pixels_of_tick_labels_and_a_secondary_axis():
    """The forest plot's row names and values (texts and a line of marks) against what they
    replace: y tick labels on the left and a secondary y axis without marks on the right."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from eventstudy.output.figures.forest import row_labels
    from eventstudy.output.figures.style import STYLE

    rows = np.arange(5)
    names = [f"E{i:05d}  {i + 3} Aug 2025" for i in rows]
    values = ["+4.12%***", "\u22120.50%", "+1.00%*", "0.00%", "\u221212.30%**"]

    def pixels(ticks: bool) -> np.ndarray:
        with mpl.rc_context(STYLE):
            figure = Figure(figsize=(4, 2), dpi=100, layout="constrained")
            ax = figure.add_subplot()
            ax.hlines(rows, -1, rows, linewidth=1.6)
            if ticks:
                ax.set_yticks(rows, names, fontsize=7.5)
                ax.grid(axis="y", visible=False)
                right = ax.secondary_yaxis("right")
                right.set_yticks(rows, values, fontsize=7.5)
                right.tick_params(length=0)
                right.spines["right"].set_visible(False)
            else:
                row_labels(ax, rows, names, values)
            ax.set_ylim(-0.7, len(rows) - 0.3)
            canvas = FigureCanvasAgg(figure)
            canvas.draw()
            return np.asarray(canvas.buffer_rgba()).copy()

    with_ticks, with_texts = pixels(True), pixels(False)
    assert (with_ticks != with_ticks[0, 0]).sum() > 1000
    np.testing.assert_array_equal(with_texts, with_ticks)


def test_calendar_lines_are_the_pixels_of_vlines_on_a_date_axis():
    """The timelines' event lines (day numbers, no unit conversion) against ``Axes.vlines``."""
    import matplotlib as mpl
    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from eventstudy.output.figures.daylines import calendar_lines
    from eventstudy.output.figures.style import STYLE

    days = pd.date_range("2019-01-01", "2025-12-31", freq="B")
    events = pd.Series(days[np.random.default_rng(0).choice(len(days), 400, replace=False)]).sort_values()

    def pixels(vlines: bool) -> np.ndarray:
        with mpl.rc_context(STYLE):
            figure = Figure(figsize=(6, 2), dpi=100, layout="constrained")
            ax = figure.add_subplot()
            ax.plot(days, np.cumsum(np.sin(np.arange(len(days)))), label="price")
            for bottom, top, style in ((0, 0.045, {"linewidth": 0.5, "alpha": 0.6}),
                                       (0, 1, {"linewidth": 0.7, "linestyles": (0, (3, 2)), "alpha": 0.8})):
                chosen = events[::10] if top == 1 else events
                if vlines:
                    ax.vlines(chosen.to_numpy(), bottom, top, transform=ax.get_xaxis_transform(),
                              colors="#CC79A7", **style)
                else:
                    calendar_lines(ax, chosen, bottom, top, colors="#CC79A7", **style)
            ax.legend(loc="best")
            canvas = FigureCanvasAgg(figure)
            canvas.draw()
            return np.asarray(canvas.buffer_rgba()).copy()

    with_vlines, with_lines = pixels(True), pixels(False)
    assert (with_vlines != with_vlines[-1, -1]).sum() > 1000
    np.testing.assert_array_equal(with_lines, with_vlines)


def test_png_holds_the_pixels_savefig_renders(seed_results, tmp_path):
    """One Agg rendering (``save_png``) gives the image of ``savefig``, reduced to the same palette."""
    import matplotlib as mpl
    from PIL import Image

    from eventstudy.output.figures.style import PNG_DPI, STYLE

    planned, _ = plan.figure_plan(seed_results, "summary")
    draw = planned[0][3]
    drawing.write_figure(draw, {"png": tmp_path / "figure.png"})
    figure = draw()
    buffer = io.BytesIO()
    with mpl.rc_context(STYLE):  # as write_figure lays out and saves
        drawing.fix_layout(figure)
        figure.savefig(buffer, format="rgba", dpi=PNG_DPI)
    width, height = (round(v * PNG_DPI) for v in figure.get_size_inches())
    rendered = Image.frombuffer("RGBA", (width, height), buffer.getvalue(), "raw", "RGBA", 0, 1)
    expected = rendered.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).convert("RGB")
    with Image.open(tmp_path / "figure.png") as written:
        assert written.size == (width, height)
        np.testing.assert_array_equal(np.asarray(written.convert("RGB")), np.asarray(expected))


def test_glyph_cache_renders_the_pixels_of_matplotlib(seed_results):
    """Every seed figure, laid out once, rasterised by the stock Agg canvas and by the glyph cache."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from eventstudy.output.figures import glyphs
    from eventstudy.output.figures.style import STYLE

    assert glyphs.SUPPORTED  # the installed matplotlib has the method the cache replaces
    planned, _ = plan.figure_plan(seed_results, "all")
    glyphs._BITMAPS.clear()
    with mpl.rc_context(STYLE):
        for name, _, _, draw in planned:
            figure = draw()
            drawing.fix_layout(figure)
            stock = FigureCanvasAgg(figure)
            stock.draw()
            expected = np.asarray(stock.buffer_rgba()).copy()
            cached = glyphs.GlyphCacheCanvas(figure)
            cached.draw()
            assert isinstance(cached.get_renderer(), glyphs.GlyphCacheRenderer)
            np.testing.assert_array_equal(np.asarray(cached.buffer_rgba()), expected, err_msg=name)
    assert len(glyphs._BITMAPS) > 0


def test_a_figure_worker_prints_a_warning_as_one_line(capfd: pytest.CaptureFixture[str]) -> None:
    """A warning raised while a worker draws reaches stderr as the command line prints its
    own: ``eventstudy: warning: ...``, without Python's file, line and source."""
    import warnings

    from eventstudy.output.figures.drawing import FigureWorkers

    workers = FigureWorkers(1)
    try:
        workers.pool.submit(warnings.warn, "axes sizes collapsed in a worker").result()
    finally:
        workers.close()
    err = capfd.readouterr().err
    assert "eventstudy: warning: axes sizes collapsed in a worker" in err
    assert "UserWarning" not in err and "warnings.warn" not in err
