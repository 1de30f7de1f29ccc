"""Which tests to trust given the dependence between pairs.

The rules follow the size simulation on the 54-stock MOEX panel
(``tests/test_validation_dependence.py``, table in ``docs/size-under-dependence.md``):

* Independent pairs (no two CAR windows share a calendar date, or so few that the
  variance of a sum of standardized CARs grows by less than
  :data:`DEPENDENCE_INFLATION`): every test is close to its nominal size except
  Patell's, which standardizes by the estimation-window variance and over-rejects
  when volatility changes (about 9% at 5% on the panel, 12% on IMOEX alone).
* Pairs sharing a day 0 (clustering): the tests that assume independence
  (``t_cs``, ``bmp``, ``patell``, ``sign``, ``gen_sign``, ``wilcoxon``) reject in
  25-75% of samples; ``kp`` and ``patell_adj`` (adjusted by r̄), ``bw_cda`` (variance
  of the average AR over time) and ``corrado`` (ranks of the average over time)
  hold their size.
* Windows overlapping in calendar time without a shared day 0 (one stock's events a
  few sessions apart): only ``kp`` and ``patell_adj``, whose r̄ counts the shared
  dates, hold their size; ``bw_cda`` and ``corrado`` also over-reject (12-14%)
  because the averages of consecutive event days then share abnormal returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Dependence matters when it inflates the variance of a sum of N standardized CARs,
# N (1 + (N - 1) r̄), by at least this factor (standard errors 5% too small).
DEPENDENCE_INFLATION = 1.1

# Share of pairs whose window overlaps another's without sharing its day 0, above
# which the event-time tests (bw_cda, corrado) are no longer trusted.
STAGGERED_SHARE = 0.1

INDEPENDENCE_TESTS = ("t_cs", "bmp", "patell", "sign", "gen_sign", "wilcoxon")
EVENT_TIME_TESTS = ("bw_cda", "corrado")
# The tests the simulation covered; others registered later are neither recommended
# nor cautioned.
SIMULATED_TESTS = ("t_cs", "bw_cda", "patell", "bmp", "patell_adj", "kp", "corrado", "sign",
             "gen_sign", "wilcoxon")

_PATELL = ("standardizes by the estimation-window variance and over-rejects when "
           "volatility changes between the estimation and event windows (about 9% at 5% "
           "on the MOEX panel); prefer bmp or kp")


def recommended_tests(diagnostics: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The tests to trust for one scope and window, and why the others may over-reject.

    Parameters
    ----------
    diagnostics
        The report of :func:`~eventstudy.inference.clustering` (keys ``n_pairs``,
        ``n_clustered``, ``n_overlapping``, ``rbar``, ``window``).

    Returns
    -------
    recommended
        Test names, in table order.
    caution
        Test name -> one sentence on why it may reject too often here.

    Notes
    -----
    With ``N`` pairs, the variance of a sum of their standardized CARs is ``N (1 + (N
    - 1) r̄)`` (Kolari & Pynnönen 2010). Below :data:`DEPENDENCE_INFLATION` the pairs
    are treated as independent. Above it, the tests that assume independence are
    cautioned; and when more than :data:`STAGGERED_SHARE` of the pairs overlap
    another pair's window without sharing its day 0, so are ``bw_cda`` and
    ``corrado``. Thresholds and the lists come from the size simulation in
    ``docs/size-under-dependence.md``.

    Examples
    --------
    >>> recommended_tests({"n_pairs": 50, "n_clustered": 50, "n_overlapping": 50,
    ...                    "rbar": 0.2, "window": (0, 0)})[0]
    ['bw_cda', 'patell_adj', 'kp', 'corrado']
    """
    n = int(diagnostics["n_pairs"])
    rbar = float(diagnostics["rbar"])
    inflation = 1 + (n - 1) * rbar if n > 1 else 1.0
    caution: dict[str, str] = {"patell": _PATELL}
    if inflation < DEPENDENCE_INFLATION:
        caution["patell_adj"] = _PATELL + " (no dependence to adjust for here)"
        return [t for t in SIMULATED_TESTS if t not in caution], caution
    start, end = diagnostics["window"]
    reason = (f"assumes independent pairs, but their windows share calendar dates: "
              f"r_bar = {rbar:.3g} over {n} pairs makes the variance of the sum "
              f"{inflation:.1f} times what it assumes, so it over-rejects; use kp")
    for test in INDEPENDENCE_TESTS:
        caution[test] = reason
    staggered = int(diagnostics["n_overlapping"]) - int(diagnostics["n_clustered"])
    if end > start and staggered > STAGGERED_SHARE * n:
        for test in EVENT_TIME_TESTS:
            caution[test] = (f"{staggered} pairs' windows overlap others' without sharing "
                             "their day 0, so the averages of consecutive event days "
                             "share abnormal returns, which this test's variance ignores; "
                             "use kp")
    return [t for t in SIMULATED_TESTS if t not in caution], caution
