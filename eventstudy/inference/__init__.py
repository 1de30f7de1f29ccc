"""Test statistics across event-asset pairs (README, "Models and statistics").

The package: :mod:`~eventstudy.inference.base` (result type, registry, chunked
passes), :mod:`~eventstudy.inference.parametric` (``t_cs``, ``bw_cda``, ``patell``,
``bmp``, ``patell_adj``, ``kp``), :mod:`~eventstudy.inference.rank` (``corrado``,
``sign``, ``gen_sign``, ``wilcoxon``), :mod:`~eventstudy.inference.dependence`
(``r̄`` in calendar time, clustering and overlap diagnostics) and
:mod:`~eventstudy.inference.recommend` (which tests to trust under dependence).
Importing the package registers every test in :data:`TESTS`,
in the order of the tables.

Each test takes the :class:`~eventstudy.models.pairs.PairArrays` of one scope (already
restricted to its pairs) and a CAR window ``[start, end]`` in event days (a single
day is ``start == end``), and returns a :class:`TestResult` with the statistic and
its two-sided p-value. Tests are registered by their table name in :data:`TESTS`.

Conventions shared by all tests
-------------------------------
* ``N`` is the number of pairs whose CAR over the window is defined (no missing AR
  in the window); pairs without it are left out of that test, never imputed.
* Each pair's estimation window is its own: ``n_est`` observations (``L1`` in the
  literature) and ``dof = n_est - K`` residual degrees of freedom, so missing days
  in one pair's estimation window change only that pair's terms.
* A test that cannot be computed (too few pairs, zero variance, no estimation
  data) returns NaN statistic and p-value with a ``note`` giving the reason. No
  test raises or emits a warning for data reasons; a window outside the event
  window is a settings error and raises :class:`ValueError`.
* Everything is vectorised over pairs. Quantities reused across tests (the
  average cross-correlation of the Kolari-Pynnönen adjustments and the Corrado rank
  series, per window; the estimation-window AAR series and each pair's share of
  positive estimation ARs) are computed once per ``PairArrays`` object and
  cached, so treat a ``PairArrays`` as immutable (``dataclasses.replace`` gives a
  new object). Passes over the ``pairs x days`` arrays run in row chunks
  (:data:`CHUNK_ROWS`) on up to :data:`N_THREADS` threads, bounding memory.
* Many scopes at once: ``aggregate.csv`` runs every test on every scope (all pairs,
  each asset, each group), described by a :class:`~eventstudy.inference.base.Layout`.
  The CAR tests run by segment (:mod:`~eventstudy.inference.segments`), Corrado's and
  Brown-Warner's series are per-scope column sums from one pass over the pairs for all
  layouts (:mod:`~eventstudy.inference.scope_columns`), and the clustering diagnostics
  and ``r̄`` run by segment (:mod:`~eventstudy.inference.clusters`); each gives the
  numbers the registered test gives on the scope's own pairs (to rounding).

Cross-sectional correlation and clustering
------------------------------------------
``patell_adj`` and ``kp`` use ``r̄``, the average correlation of the pairs'
standardized CARs over all ``N (N - 1)`` ordered couples, which is what the
variance of a sum of ``N`` such statistics needs: ``Var(sum) = N (1 + (N - 1) r̄)``
(Kolari & Pynnönen 2010). It is estimated in *calendar time*: a couple whose CAR
windows share ``c`` calendar dates contributes the correlation of the two pairs'
estimation-window residuals on their common dates times ``c / L2``; couples whose
windows share no date contribute zero (:mod:`~eventstudy.inference.dependence`).
Only overlapping couples are visited (sorted by window start; sampled above a cap),
so a million pairs are fine. :func:`clustering` reports shared day-0 dates,
overlapping windows and ``r̄``, and :func:`recommended_tests` turns them into the
tests to trust.
"""

from __future__ import annotations

from eventstudy.inference import parametric, rank  # noqa: F401  (registers the tests in order)
from eventstudy.inference.base import CHUNK_ROWS, N_THREADS, TESTS, TestResult
from eventstudy.inference.clusters import clustering
from eventstudy.inference.dependence import average_cross_correlation
from eventstudy.inference.rank import WILCOXON_EXACT_MAX, signed_rank_pvalue
from eventstudy.inference.recommend import recommended_tests
from eventstudy.models.pairs import PairArrays

__all__ = [
    "CHUNK_ROWS",
    "N_THREADS",
    "TESTS",
    "WILCOXON_EXACT_MAX",
    "TestResult",
    "average_cross_correlation",
    "clustering",
    "recommended_tests",
    "run_tests",
    "signed_rank_pvalue",
]


def run_tests(arrays: PairArrays, start: int, end: int) -> list[TestResult]:
    """Run every registered test on one scope and window."""
    return [test(arrays, start, end) for test in TESTS.values()]
