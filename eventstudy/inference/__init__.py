"""Test statistics across event-asset pairs (DESIGN section 5).

The package: :mod:`~eventstudy.inference.base` (result type, registry, chunked
passes), :mod:`~eventstudy.inference.parametric` (``t_cs``, ``bw_cda``, ``patell``,
``bmp``, ``patell_adj``, ``kp``), :mod:`~eventstudy.inference.rank` (``corrado``,
``sign``, ``gen_sign``, ``wilcoxon``) and :mod:`~eventstudy.inference.dependence`
(``r̄``, clustering). Importing the package registers every test in :data:`TESTS`,
in the order of the tables.

Each test takes the :class:`~eventstudy.pairs.PairArrays` of one scope (already
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
* Everything is vectorised over pairs. Quantities that do not depend on the window
  (the average cross-correlation of the Kolari-Pynnönen adjustments, the rank
  series of the Corrado test, the estimation-window AAR series, each pair's share
  of positive estimation ARs) are computed once per ``PairArrays`` object and
  cached, so treat a ``PairArrays`` as immutable (``dataclasses.replace`` gives a
  new object). Passes over the ``pairs x days`` arrays run in row chunks
  (:data:`CHUNK_ROWS`) on up to :data:`N_THREADS` threads, bounding memory.

Cross-sectional correlation and clustering
------------------------------------------
``patell_adj`` and ``kp`` use the average pairwise correlation ``r̄`` of the pairs'
standardized estimation-window residuals (Kolari & Pynnönen 2010). Residual series
are aligned in *event time*, and only pairs sharing the same calendar day 0 are
treated as correlated: pairs with distinct day-0 dates contribute zero to ``r̄``
(their estimation windows are different calendar stretches, so an event-time
correlation between them is noise). ``r̄`` is the mean over all ``N (N - 1)``
ordered pairs, which is exactly what the variance of a sum of ``N`` equally
correlated statistics needs: ``Var(sum) = N (1 + (N - 1) r̄)``. It is computed with
the identity ``sum_{i != j} z_i'z_j = ||sum_i z_i||^2 - sum_i ||z_i||^2`` within each
day-0 group, so no ``N x N`` matrix is formed (1,000,000 pairs take one pass).
"""

from __future__ import annotations

from eventstudy.inference import parametric, rank  # noqa: F401  (registers the tests in order)
from eventstudy.inference.base import CHUNK_ROWS, N_THREADS, TESTS, TestResult
from eventstudy.inference.dependence import average_cross_correlation, clustering
from eventstudy.inference.rank import WILCOXON_EXACT_MAX, signed_rank_pvalue
from eventstudy.pairs import PairArrays

__all__ = [
    "CHUNK_ROWS",
    "N_THREADS",
    "TESTS",
    "WILCOXON_EXACT_MAX",
    "TestResult",
    "average_cross_correlation",
    "clustering",
    "run_tests",
    "signed_rank_pvalue",
]


def run_tests(arrays: PairArrays, start: int, end: int) -> list[TestResult]:
    """Run every registered test on one scope and window."""
    return [test(arrays, start, end) for test in TESTS.values()]
