"""Cumulative average abnormal returns by asset or event group, with cross-sectional bands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from eventstudy.output.figures.style import (
    GREY,
    PALETTE,
    WIDTH,
    decorate,
    new_figure,
    percent_axis_auto,
    styled,
)

# -- 4. CAAR by asset or group ---------------------------------------------------------------


def caar_paths(abnormal_returns: pd.DataFrame, scopes: Mapping[str, pd.Series]) -> pd.DataFrame:
    """CAAR path and its cross-sectional band per scope.

    ``CAAR_t`` is the mean over the scope's pairs of ``CAR_t`` (cumulated from the
    first event-window day); the band is ``t_{n-1, 0.975} * sd(CAR_t) / sqrt(n_t)``.

    Parameters
    ----------
    abnormal_returns
        The ``abnormal_returns`` table.
    scopes
        Scope name -> boolean Series over ``abnormal_returns`` rows selecting its pairs.

    Returns
    -------
    DataFrame
        Columns ``scope``, ``day``, ``n``, ``caar``, ``se``, ``half_width``.
    """
    from scipy import special  # stdtrit is what scipy.stats.t.ppf evaluates, without importing stats

    frames = []
    for scope, mask in scopes.items():
        rows = abnormal_returns.loc[mask.to_numpy(dtype=bool), ["day", "car"]]
        # The table has one row per pair and day: each day's CARs are its pairs'.
        by_day = rows.groupby("day", sort=True)["car"].agg(["count", "mean", "std"])
        by_day = by_day[by_day["count"] > 0]  # days without a CAR have no point
        if by_day.empty:
            continue
        n = by_day["count"].to_numpy()
        se = by_day["std"].to_numpy() / np.sqrt(n)  # std: ddof 1, NaN for one pair
        quantile = np.where(n > 1, special.stdtrit(np.maximum(n - 1, 1), 0.975), np.nan)
        frames.append(pd.DataFrame({"scope": scope, "day": by_day.index.to_numpy(), "n": n,
                                    "caar": by_day["mean"].to_numpy(), "se": se,
                                    "half_width": quantile * se}))
    if not frames:
        return pd.DataFrame(columns=["scope", "day", "n", "caar", "se", "half_width"])
    return pd.concat(frames, ignore_index=True)


def caar_scopes(abnormal_returns: pd.DataFrame, by: str, groups: Mapping[str, Any] | None = None,
                only: Sequence[str] | None = None) -> dict[str, pd.Series]:
    """Row masks of the ``abnormal_returns`` table for each asset (``by="asset"``: all pairs
    first when there are several assets) or group, of those in ``only`` when given."""
    ar = abnormal_returns
    scopes: dict[str, pd.Series] = {}
    if by == "asset":
        if ar["asset"].nunique() > 1:
            scopes["all pairs"] = pd.Series(True, index=ar.index)
        for asset in ar["asset"].drop_duplicates() if only is None else only:
            scopes[str(asset)] = ar["asset"] == asset
    elif by == "group":
        group = ar["event_id"].map(dict(groups or {}))
        for name in group.dropna().drop_duplicates() if only is None else only:
            scopes[str(name)] = group == name
    else:
        raise ValueError(f"by must be 'asset' or 'group', not {by!r}")
    return scopes


@styled
def plot_caar(abnormal_returns: pd.DataFrame, by: str = "asset", *,
              groups: Mapping[str, Any] | None = None, title: str | None = None,
              caption: str | None = None, ax: Axes | None = None, unit: str = "%",
              scopes: Sequence[str] | None = None) -> Figure:
    """Cumulative average abnormal return by asset or by event group, with 95% bands.

    ``unit`` labels the percentages (``log %`` for log returns).

    With ``ax=None`` each scope gets its own panel (own y scale, so a large event
    does not flatten the others); with an ``ax`` the scopes are overlaid.

    Parameters
    ----------
    abnormal_returns
        The ``abnormal_returns`` table.
    by
        ``asset`` (panels: all pairs, then each asset) or ``group``.
    groups
        Event group by event id (needed for ``by="group"``).
    title, caption
        Figure title and caption line (new figures only).
    ax
        Axes to draw on; a new figure when ``None``.
    scopes
        The assets or groups given a panel (default every one; all pairs' panel stays).

    Returns
    -------
    Figure
    """
    paths = caar_paths(abnormal_returns, caar_scopes(abnormal_returns, by, groups, scopes))
    scopes = list(dict.fromkeys(paths["scope"]))
    own = ax is None
    if own:
        columns = _columns(len(scopes))
        rows_n = -(-max(len(scopes), 1) // columns)
        figure = new_figure((WIDTH, 1.2 + 2.3 * rows_n))
        axes = figure.subplots(rows_n, columns, sharex=True, squeeze=False).ravel()
        for extra in axes[len(scopes):]:
            extra.set_visible(False)
    else:
        assert ax is not None
        figure, axes = ax.figure, [ax] * len(scopes)  # type: ignore[assignment]
    for k, (scope, panel) in enumerate(zip(scopes, axes, strict=False)):
        path = paths[paths["scope"] == scope]
        colour = PALETTE[k % len(PALETTE)]
        days = path["day"].to_numpy()
        caar = 100 * path["caar"].to_numpy(dtype=float)
        half = 100 * path["half_width"].to_numpy(dtype=float)
        n = int(path["n"].max())
        panel.fill_between(days, caar - half, caar + half, color=colour, alpha=0.15, linewidth=0)
        panel.plot(days, caar, color=colour, linewidth=1.6, marker="o", markersize=2.5,
                   label=f"{scope} (n = {n})")
        panel.axvline(0, color="black", linewidth=0.8, linestyle=(0, (4, 2)))
        panel.axhline(0, color=GREY, linewidth=0.6)
        percent_axis_auto(panel.yaxis, unit=unit)
        if len(days):
            lo, hi = int(days.min()), int(days.max())
            step = 1 if hi - lo <= 8 else 2 if hi - lo <= 14 else 5
            panel.set_xticks([d for d in range(lo, hi + 1) if d % step == 0])
        clipped = own and n <= 4 and _clip_band(panel, caar, half)
        if own:
            panel.set_title(f"{scope}  (n = {n} pair{'s' if n != 1 else ''})"
                            + ("\nband clipped" if clipped else ""), fontsize=9)
            panel.grid(axis="x", visible=False)
    if own:
        used = list(axes[: len(scopes)])
        columns = _columns(len(scopes))
        for position, panel in enumerate(used):
            if position % columns == 0:
                panel.set_ylabel(f"CAAR, {unit}")
            if position >= len(used) - columns:
                panel.set_xlabel("trading day relative to day 0" if columns == 1 else "trading day")
            panel.tick_params(labelbottom=True)
        lo = int(paths["day"].min()) if len(paths) else -10
        note = (f"x axis: trading days relative to day 0 (dashed). CAAR: CAR cumulated from day {lo:+d}, "
                "averaged over the pairs; shaded: 95% band, "
                "t(n\u22121) \u00d7 cross-sectional se of the CAR.").replace("-1", "\u22121")
        what = "asset" if by == "asset" else "event group"
        decorate(figure, title or f"Cumulative average abnormal return by {what}",
                  note + ("   " + caption if caption else ""))
    else:
        ax.legend(loc="best")  # type: ignore[union-attr]
        ax.set_xlabel("trading days relative to day 0")  # type: ignore[union-attr]
        ax.set_ylabel(f"CAAR, {unit}")  # type: ignore[union-attr]
    return figure


def _columns(panels: int) -> int:
    return 2 if panels in (2, 4) else min(3, max(panels, 1))


def _clip_band(panel: Axes, line: np.ndarray, half: np.ndarray) -> bool:
    """Keep the y range on the line when the band is more than six times as wide.

    Used only for scopes of at most four pairs, where ``t_{n-1}`` (12.7 for two pairs) makes
    the band too wide to show the path; the panel title then says "band clipped".
    """
    finite = np.isfinite(half)
    if not finite.any():
        return False
    low, high = float(np.nanmin(line)), float(np.nanmax(line))
    extent = max(high - low, abs(high), abs(low), 0.5)
    band_low = float(np.nanmin((line - half)[finite]))
    band_high = float(np.nanmax((line + half)[finite]))
    if band_high - band_low <= 6 * extent:
        return False
    panel.set_ylim(min(low, 0) - 1.2 * extent, max(high, 0) + 1.2 * extent)
    return True


