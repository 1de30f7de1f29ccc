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

from eventstudy.output.figures.caar import plot_caar
from eventstudy.output.figures.forest import plot_forest
from eventstudy.output.figures.pair import plot_car, plot_event
from eventstudy.output.figures.plan import FigureRecord, FigureSet, save_figures
from eventstudy.output.figures.timeline import plot_prices, plot_timeline

__all__ = ["FigureRecord", "FigureSet", "plot_caar", "plot_car", "plot_event", "plot_forest", "plot_prices",
           "plot_timeline", "save_figures"]
