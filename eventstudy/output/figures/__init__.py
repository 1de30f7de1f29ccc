"""Figures, built on matplotlib's object API (never pyplot state), so no display is needed.

Every plot function takes ``ax=None`` and returns the figure. With ``ax=None`` a new
:class:`matplotlib.figure.Figure` is made, sized for print (7 inches wide, the width of
a two-column page) and titled; with an ``ax`` the drawing goes into that axes and the
caller keeps control of the figure (no figure-level title or caption is added).

One style throughout: the Okabe-Ito colour-blind-safe palette, percentages for
returns, dates on calendar axes, relative trading days on event-time axes, and a
caption line naming the data source and the model.

Bands
-----
* Per event and asset (:func:`plot_car`, :func:`plot_event`): ``CAR_t +- 1.96 se_t``
  with ``se_t`` the MacKinlay (1997) standard error of the CAR from the event window's
  first day to ``t`` (disturbance plus estimation error, column ``se_car``).
* Across pairs (:func:`plot_caar`): ``CAAR_t +- t_{n-1, 0.975} sd_t / sqrt(n)``, the
  cross-sectional standard error of ``CAR_t`` over the ``n`` pairs, as in the ``t_cs``
  test. Pairs that share day 0 (several announcements on one day) are not independent,
  so this band is then too narrow.
* Forest plot (:func:`plot_forest`): ``CAR +- 1.96 se`` from ``car.csv``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventstudy.output.figures.caar import plot_caar
    from eventstudy.output.figures.forest import plot_forest
    from eventstudy.output.figures.pair import plot_car, plot_event
    from eventstudy.output.figures.plan import FigureRecord, FigureSet, save_figures
    from eventstudy.output.figures.timeline import plot_prices, plot_timeline

# The public names are imported on first use: a worker process unpickling one plot function
# then imports that module only, not the planning (and through it the study's models).
_PUBLIC = {
    "plot_caar": "eventstudy.output.figures.caar",
    "plot_forest": "eventstudy.output.figures.forest",
    "plot_car": "eventstudy.output.figures.pair",
    "plot_event": "eventstudy.output.figures.pair",
    "FigureRecord": "eventstudy.output.figures.plan",
    "FigureSet": "eventstudy.output.figures.plan",
    "save_figures": "eventstudy.output.figures.plan",
    "plot_prices": "eventstudy.output.figures.timeline",
    "plot_timeline": "eventstudy.output.figures.timeline",
}

__all__ = ["FigureRecord", "FigureSet", "plot_caar", "plot_car", "plot_event", "plot_forest", "plot_prices",
           "plot_timeline", "save_figures"]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'eventstudy.output.figures' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
