"""Vertical lines at calendar dates, drawn from Matplotlib day numbers (the timelines' events)."""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection


class DayNumberLines(LineCollection):
    """Line segments whose x are Matplotlib day numbers already, on a date axis.

    A collection on an axis with units converts each segment's x through the axis's
    converter before every layout pass, draw and "best" legend placement (a date axis
    passes day numbers through unchanged): with thousands of event lines, a third of a
    timeline's drawing time. These segments skip it.
    """

    def have_units(self) -> bool:
        return False


def calendar_lines(panel: Axes, when: pd.Series, bottom: float, top: float, **style: Any) -> None:
    """A vertical line at each of ``when`` from ``bottom`` to ``top`` (fractions of the axes height).

    The pixels of ``panel.vlines(when, bottom, top, transform=panel.get_xaxis_transform(),
    **style)`` on a date axis, with the dates converted to day numbers once.
    """
    x = np.asarray(mdates.date2num(pd.DatetimeIndex(when)), dtype=float)
    segments = list(np.stack([np.column_stack([x, np.full_like(x, bottom)]),
                              np.column_stack([x, np.full_like(x, top)])], axis=1))
    panel.add_collection(DayNumberLines(segments, transform=panel.get_xaxis_transform(), **style),
                         autolim=False)
