"""The figures' style: Okabe-Ito palette, print sizes, the ``styled`` decorator and axis helpers."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from eventstudy.output.format import typographic, window_label

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish purple": "#CC79A7",
}
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
AR_COLOUR = OKABE_ITO["sky blue"]
CAR_COLOUR = OKABE_ITO["vermillion"]
EVENT_COLOUR = OKABE_ITO["reddish purple"]
PRICE_COLOUR = OKABE_ITO["blue"]
GREY = "#555555"

WIDTH = 7.0  # inches: a two-column page; the figures stay legible at 3.5 inches
PNG_DPI = 200
Z95 = 1.96
MAX_FOREST_ROWS = 60  # rows per forest panel; beyond, the largest and smallest CARs
FOREST_ROW_BUDGET = 100  # rows of a whole forest figure when many assets share it

STYLE: dict[str, Any] = {
    "font.size": 9, "axes.titlesize": 9.5, "axes.titleweight": "bold", "axes.titlelocation": "left",
    "axes.labelsize": 9, "xtick.labelsize": 8.5, "ytick.labelsize": 8.5, "legend.fontsize": 8.5,
    "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#e3e3e3", "grid.linewidth": 0.6, "axes.axisbelow": True,
    "axes.edgecolor": "#444444", "figure.titlesize": 11, "figure.titleweight": "bold",
    "svg.fonttype": "path", "svg.hashsalt": "eventstudy", "pdf.fonttype": 42, "savefig.dpi": PNG_DPI,
    "figure.constrained_layout.h_pad": 0.06, "figure.constrained_layout.w_pad": 0.06,
}

F = TypeVar("F", bound=Callable[..., Any])


def styled(function: F) -> F:
    """Run a plot function inside the package style (a temporary rc context)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib as mpl

        with mpl.rc_context(cast(Any, STYLE)):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# -- helpers -------------------------------------------------------------------------


def new_figure(size: tuple[float, float]) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def figure_and_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes, bool]:
    if ax is not None:
        return ax.figure, ax, False  # type: ignore[return-value]
    figure = new_figure(size)
    return figure, figure.add_subplot(), True


def decorate(figure: Figure, title: str | None, caption: str | None) -> None:
    """Figure title (left) and the caption line at the bottom, wrapped to the width."""
    if title:
        figure.suptitle(wrap(title, figure, 11.5), x=0.01, ha="left")  # bold: wider than 10.5 pt
    if caption:
        figure.supxlabel(wrap(caption, figure, 7.5), x=0.01, ha="left", fontsize=7.5, color=GREY,
                         fontweight="normal")


def wrap(text: str, figure: Figure, points: float) -> str:
    width = int(figure.get_figwidth() * 72 / (points * 0.55))
    return "\n".join(textwrap.wrap(text, width=max(width, 20), break_on_hyphens=False))


def percent_axis_auto(axis: Any, span: float = 0.0, unit: str = "%") -> None:
    """Percent tick labels (``+2.5%``, ``0``, ``\u22125%``) with as many decimals as the ticks need."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))

    def fmt(value: float, _: object) -> str:
        if abs(value) < 1e-9:
            return "0"
        return f"{round(value, 6):+g}{'%' if unit == '%' else ''}".replace("-", "\u2212")

    axis.set_major_formatter(FuncFormatter(fmt))


def short_date(value: Any, weekday: bool = False) -> str:
    stamp = pd.Timestamp(value)
    return f"{stamp:%a} {stamp.day} {stamp:%b %Y}" if weekday else f"{stamp.day} {stamp:%b %Y}"


def figure_window(start: int, end: int) -> str:
    """``[−1,1]``: a window label with the typographic minus."""
    return typographic(window_label(start, end))


def event_day_ticks(ax: Axes, rows: pd.DataFrame) -> None:
    """Relative-day ticks every 5 days (every day on short windows) with their dates beneath."""
    days = rows["day"].to_numpy()
    dates = pd.to_datetime(rows["date"]).to_numpy()
    lo, hi = int(days.min()), int(days.max())
    step = 1 if hi - lo <= 8 else 2 if hi - lo <= 14 else 5
    ticks = [d for d in range(lo, hi + 1) if d % step == 0]
    by_day = dict(zip(days.tolist(), dates, strict=False))
    labels = []
    for d in ticks:
        date = by_day.get(d)
        stamp = "" if date is None else f"\n{pd.Timestamp(date).day} {pd.Timestamp(date):%b}"
        labels.append(f"{d:+d}".replace("-", "\u2212").replace("+0", "0") + stamp)
    ax.set_xticks(ticks, labels)
    day_marks(ax, [d for d in range(lo, hi + 1) if d not in ticks])
    ax.set_xlim(lo - 0.6, hi + 0.6)
    ax.grid(axis="x", visible=False)


def day_marks(ax: Axes, days: Sequence[float]) -> None:
    """A minor tick mark under each of ``days``, drawn as one line of markers.

    The same marks as ``ax.set_xticks(days, minor=True)``, without a tick object per day:
    matplotlib builds each tick with its label, grid line and second mark, the larger part
    of drawing a short event window (:func:`tick_marks`).
    """
    tick_marks(ax, days, "x", "minor")


def tick_marks(ax: Axes, positions: Sequence[float], axis: str, which: str) -> None:
    """The marks of ticks at ``positions`` on ``ax``'s ``axis`` (``x`` or ``y``; ``which``:
    ``major`` or ``minor``) as one line of markers: the tick's marker, size, width, colour,
    transform and layer, without the tick objects."""
    import matplotlib as mpl
    from matplotlib.lines import Line2D
    from matplotlib.markers import TICKDOWN, TICKLEFT, TICKRIGHT, TICKUP, MarkerStyle

    rc: Any = mpl.rcParams  # keys built from ``axis`` and ``which``
    colour = rc[f"{axis}tick.color"]
    outward, inward = (TICKDOWN, TICKUP) if axis == "x" else (TICKLEFT, TICKRIGHT)
    marker = MarkerStyle({"out": outward, "in": inward}.get(rc[f"{axis}tick.direction"],
                                                           "|" if axis == "x" else "_"))
    zeros = [0] * len(positions)
    xs, ys = (positions, zeros) if axis == "x" else (zeros, positions)
    owner = ax.xaxis if axis == "x" else ax.yaxis
    transform = ax.get_xaxis_transform("tick1") if axis == "x" else ax.get_yaxis_transform("tick1")
    marks = Line2D(xs, ys, linestyle="none", marker=marker, color=colour, markeredgecolor=colour,
                   markersize=rc[f"{axis}tick.{which}.size"], markeredgewidth=rc[f"{axis}tick.{which}.width"],
                   zorder=owner.get_zorder(), transform=transform)
    ax.add_artist(marks)
    marks.set_clip_on(False)  # outside the axes, like the ticks


def calendar_day_marks(ax: Axes, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """A minor tick mark under each calendar day from ``start`` to ``end`` but Mondays.

    The marks of ``ax.xaxis.set_minor_locator(DayLocator())`` beside the major ticks of
    ``WeekdayLocator(MO)``, which take the Mondays (matplotlib drops minor ticks where a
    major one stands), drawn as one line of markers by :func:`day_marks`.
    """
    import matplotlib.dates as mdates

    days = pd.date_range(start.ceil("D"), end.floor("D"), freq="D")
    day_marks(ax, list(mdates.date2num(days[days.day_of_week != 0])))
