"""What the tables need from the pairs' estimation residuals, computed where the residuals are.

The estimation-window residuals (``PairArrays.est_ar``, one row of ``L`` values per pair)
are most of a pair's arrays. A partitioned run (:mod:`eventstudy.distributed`) leaves
them on the workers that fitted the pairs and sends the driver a
:class:`ResidualSummary` instead. Everything the CAR and aggregate tables need from the
residuals is one of:

- **a number per pair**: the empirical p-values of ``car.csv`` (each pair's CAR against
  its own rolling estimation-window CARs) and the share of positive residuals of the
  generalised sign test (Cowan 1992, eq. 4);
- **a sum over pairs**: the day-by-day means of Corrado's centred ranks (Corrado &
  Zivney 1992; the ranks are within a pair, over its own estimation days and the tested
  window, so they are the same wherever they are computed) and of the residuals
  (Brown & Warner 1985's AAR series). The sums and counts are kept per cell, one cell per
  (asset, group) that has pairs; a scope's sums are its cells' sums, so any scope (all
  pairs, an asset, a group) is the sum of its cells over the partitions;
- **a statistic of one asset's pairs**: clustering, overlap and ``r̄`` of an asset
  scope, whose couples are all in the partition that holds the asset;
- **``r̄`` of all pairs and of each group**, whose couples cross partitions: the
  couples are chosen on the driver from the pairs' window dates, exactly as in memory
  (:func:`prefetched_rho`), and only those couples' residual rows are fetched
  (``fetch``).

So the tables are the in-memory run's; only sums are added in another order (about
1e-16 relative). Wilcoxon's signed ranks are of the CARs across a scope's pairs: they
need no residuals and are ranked on the driver, over all the scope's pairs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.inference.base import Layout
from eventstudy.inference.clusters import RhoMemo, clustering_by_segment
from eventstudy.inference.dependence import couple_rho, in_batches
from eventstudy.inference.rank import positive_share
from eventstudy.inference.scope_columns import Sums, column_sums, product_layout, rank_sums
from eventstudy.models.engine import empirical_pvalues
from eventstudy.models.pairs import PairArrays
from eventstudy.threads import chunk_map

#: Residual rows fetched for ``fetch``: ``fetch(rows)`` is ``est_ar[rows]`` (rows sorted).
Fetch = Callable[[np.ndarray], np.ndarray]

# Pairs per call of empirical_pvalues: it makes several (pairs x estimation days)
# temporaries, about 2 MB each at this size instead of 2 GB each for a million pairs.
EMPIRICAL_ROWS = 1024


@dataclass(frozen=True)
class ResidualSummary:
    """The residuals' contribution to the tables, for ``P`` pairs.

    Attributes
    ----------
    positive_share : (P,) float
        Each pair's share of positive estimation residuals (NaN for a pair not fitted).
    empirical : (P, windows) float
        Each pair's empirical p-value per CAR window (:func:`empirical_pvalue_table`).
    cell_pair : (C,) int
        One pair of each cell (its row): the cell is that pair's (asset, group).
    rank_sums : list of (total, count), each (C, L + window length)
        Per CAR window, the cells' column sums and counts of Corrado's centred ranks
        over the estimation days, then the window's days.
    residual_sums : (total, count), each (C, L)
        The cells' column sums and counts of the estimation residuals.
    asset_reports : dict
        Asset -> per CAR window, its :func:`~eventstudy.inference.clusters.clustering` report.
    fetch
        ``est_ar`` of some of the ``P`` pairs (:data:`Fetch`), for the couples of ``r̄``.
    """

    positive_share: np.ndarray
    empirical: np.ndarray
    cell_pair: np.ndarray
    rank_sums: list[Sums]
    residual_sums: Sums
    asset_reports: dict[str, list[dict[str, Any]]]
    fetch: Fetch | None = None

    def subset(self, keep: np.ndarray) -> ResidualSummary:
        """The summary of the pairs ``keep`` (a boolean mask that keeps every ``cell_pair``)."""
        rows = np.flatnonzero(keep)
        renumber = np.cumsum(keep) - 1
        fetch = self.fetch
        return dataclasses.replace(
            self, positive_share=self.positive_share[keep], empirical=self.empirical[keep],
            cell_pair=renumber[self.cell_pair],
            fetch=None if fetch is None else (lambda wanted: fetch(rows[wanted])))

    def in_cells(self, cells: Layout, sums: Sums) -> Sums:
        """``sums`` (per cell of this summary) as the sums of ``cells``, a layout of the same
        pairs whose cells are (asset, group) combinations (:func:`product_layout`)."""
        total, count = sums
        at = cells.codes[self.cell_pair]
        out_total = np.zeros((cells.n, total.shape[1]))
        out_count = np.zeros((cells.n, total.shape[1]))
        np.add.at(out_total, at, total)
        np.add.at(out_count, at, count)
        return out_total, out_count


def summarise_residuals(pairs: pd.DataFrame, arrays: PairArrays, kept: np.ndarray,
                        windows: Sequence[tuple[int, int]]) -> ResidualSummary:
    """The :class:`ResidualSummary` of ``pairs`` (with ``asset`` and ``group`` columns),
    the tables using only the pairs ``kept`` (fitted, no reason to skip).

    Per-pair values are given for every pair (NaN where not kept), the cells and asset
    reports cover the kept pairs, as :func:`~eventstudy.results.tables.build_results`
    would compute them from ``arrays``.
    """
    n = len(pairs)
    share = np.full(n, np.nan)
    empirical = np.full((n, len(windows)), np.nan)
    rows = np.flatnonzero(kept)
    sub = arrays if rows.size == n else arrays.subset(rows)
    car = np.stack([sub.car(start, end) for start, end in windows], axis=1)
    share[rows] = positive_share(sub.est_ar)
    empirical[rows] = empirical_pvalue_table(sub.est_ar, car, windows)
    labels = pairs.iloc[rows]
    assets = pd.Index(labels["asset"].unique())
    by_asset = Layout(assets.get_indexer(labels["asset"]), len(assets))
    groups = pd.Index(labels["group"].dropna().unique())
    by_group = Layout(groups.get_indexer(labels["group"]), len(groups))
    cells, _ = product_layout([by_asset, by_group])
    reports = clustering_by_segment(sub, by_asset, windows)
    return ResidualSummary(
        positive_share=share, empirical=empirical,
        cell_pair=rows[cells.order[cells.bounds[:-1]]],
        rank_sums=[rank_sums(sub, cells, start, end) for start, end in windows],
        residual_sums=column_sums(sub.est_ar, cells),
        asset_reports={str(name): reports[k] for k, name in enumerate(assets)})


def empirical_pvalue_table(est_ar: np.ndarray, car: np.ndarray,
                           windows: Sequence[tuple[int, int]]) -> np.ndarray:
    """``(pairs, windows)`` empirical p-values of the CARs ``car``
    (:func:`~eventstudy.models.engine.empirical_pvalues`), in row chunks on threads."""
    out = np.empty(car.shape)
    lengths = [end - start + 1 for start, end in windows]

    def fill(chunk: slice) -> None:  # each chunk writes its own rows
        out[chunk] = empirical_pvalues(est_ar[chunk], car[chunk], lengths)

    chunk_map([slice(a, a + EMPIRICAL_ROWS) for a in range(0, car.shape[0], EMPIRICAL_ROWS)], fill)
    return out


def prefetched_rho(arrays: PairArrays, layouts: Sequence[Layout], windows: Sequence[tuple[int, int]],
                   fetch: Fetch) -> RhoMemo:
    """The ``rho`` of every couple that :func:`~eventstudy.inference.clusters.clustering_by_segment`
    uses for ``layouts`` and ``windows``, from the residual rows of those couples only.

    A first pass records the couples (which couples count, and which are sampled,
    depends on the window dates only, never on ``rho``); their rows are fetched at once;
    a second pass, with the returned memo, finds every couple in it.
    """
    asked: list[tuple[np.ndarray, np.ndarray]] = []

    def record(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        asked.append((left, right))
        return np.zeros(left.size)

    recorder = RhoMemo(arrays.n_pairs, record)
    for layout in layouts:
        clustering_by_segment(arrays, layout, windows, recorder)

    def unknown(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        raise AssertionError(f"r-bar asked for {left.size} couples that were not fetched")

    memo = RhoMemo(arrays.n_pairs, unknown)
    if not asked:
        return memo
    left = np.concatenate([a for a, _ in asked])
    right = np.concatenate([b for _, b in asked])
    rows = np.unique(np.concatenate([left, right]))
    fetched = dataclasses.replace(arrays.subset(rows), est_ar=fetch(rows))
    at_left, at_right = np.searchsorted(rows, left), np.searchsorted(rows, right)
    memo.add(left, right, in_batches(at_left, at_right, lambda a, b: couple_rho(fetched, a, b)))
    return memo
