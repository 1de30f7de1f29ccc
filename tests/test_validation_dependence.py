"""Size of the tests under cross-sectional dependence, on the real 54-stock MOEX panel.

Pseudo-events with no effect are drawn from `panel/moex_iss_daily` (raw daily closes,
read in place) in the issue's three designs, 500 samples each (fixed seed):

* ``random``: 50 random stocks on random dates (independent events);
* ``one_date``: all stocks on one date: the 35 stocks listed throughout 2019-2026, sharing
  one day 0 drawn from those years (event clustering);
* ``overlap``: 5 random stocks, each with 10 events 3 sessions apart, so each
  stock's [0, 5] windows overlap by 3 sessions (overlapping windows);

and an extra one, ``one_date_50``: 50 different stocks sharing one day 0. The panel has
50 usable stocks on a date only from July 2025, so these samples come from about 200
dates of one year, calmer than the year before that serves as their estimation window;
the dependence-robust tests are conservative there (0-2.2%), and the test accepts 0-10%.

The normal-return model is the market model on IMOEX (log returns of the ISS index
history over the same session-to-session intervals as the stock's), estimation
window [-250, -11] with at least 100 returns (engine defaults). A pair whose
estimation or event span contains a split or consolidation date
(`panel/moex_splits/`, raw prices jump there) is never drawn. The engine is used
directly with the stocks' own trading calendars.

For each design, CAR window ([0, 0] and [0, 5]) and test, the share of samples
rejecting at 5%; :func:`~eventstudy.inference.recommend.recommended_tests`, fed the
clustering diagnostics of each sample, must recommend only tests rejecting in 2-10%
of samples, and name in ``caution`` every test outside that band. Run this file as a
script to print the table of `docs/size-under-dependence.md`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.inference import TESTS, clustering
from eventstudy.models.engine import fit_pairs
from eventstudy.models.pairs import PairArrays
from eventstudy.sources.files import read_price_file

pytestmark = pytest.mark.slow

SAMPLES, EVENTS, LEVEL, SEED = 500, 50, 0.05, 20251129
WINDOWS = [(0, 0), (0, 5)]
DESIGNS = {"random": EVENTS, "one_date_50": EVENTS, "one_date": 35, "overlap": EVENTS}
ESTIMATION, EVENT_WINDOW, MIN_OBS = (-250, -11), (0, 5), 100
OVERLAP_STOCKS, OVERLAP_GAP = 5, 3
ACCEPTABLE = (0.02, 0.10)


@dataclasses.dataclass(frozen=True)
class Panel:
    """Stocks on their own trading days: log returns, IMOEX returns, dates, usable pairs."""

    tickers: list[str]
    returns: np.ndarray  # (N, T)
    market: np.ndarray  # (N, T)
    calendar: np.ndarray  # (N, T) datetime64[D]
    usable: np.ndarray  # (N, T) bool: this session can be day 0 of a pseudo-event


def load_panel(shared_data: Path) -> Panel:
    imoex = read_price_file(shared_data / "IMOEX_iss_history_2018_2026.csv")["CLOSE"]
    log_index = np.log(imoex)
    folder = shared_data / "panel" / "moex_iss_daily"
    tickers = sorted(path.stem for path in folder.glob("*.csv"))
    columns: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for ticker in tickers:
        close = pd.read_csv(folder / f"{ticker}.csv", index_col="date", parse_dates=True)["close"]
        dates = close.index
        stock = np.log(close).diff().to_numpy()[1:]
        market = log_index.reindex(dates).diff().to_numpy()[1:]
        splits_file = shared_data / "panel" / "moex_splits" / f"{ticker}.csv"
        split = np.zeros(stock.size, dtype=bool)
        if splits_file.exists():
            for day in pd.read_csv(splits_file, parse_dates=["date"])["date"]:
                split |= (dates[:-1] < day) & (dates[1:] >= day)  # the return spans the split
        columns.append((stock, market, dates[1:].to_numpy().astype("datetime64[D]"), split))
    width = max(c[0].size for c in columns)
    n = len(columns)
    returns, market = np.full((n, width), np.nan), np.full((n, width), np.nan)
    calendar = np.full((n, width), np.datetime64("NaT"), dtype="datetime64[D]")
    usable = np.zeros((n, width), dtype=bool)
    for row, (stock, index, dates, split) in enumerate(columns):
        size = stock.size
        returns[row, :size], market[row, :size], calendar[row, :size] = stock, index, dates
        ok = np.isfinite(stock) & np.isfinite(index)
        usable[row, :size] = _usable_day0(ok, split)
    return Panel(tickers, returns, market, calendar, usable)


def _usable_day0(ok: np.ndarray, split: np.ndarray) -> np.ndarray:
    """Sessions with >= MIN_OBS estimation returns, a complete [0, 5], no split in the span."""
    size = ok.size
    ok_sum = np.concatenate([[0], np.cumsum(ok)])
    split_sum = np.concatenate([[0], np.cumsum(split)])
    day0 = np.arange(size)
    first, last = day0 + ESTIMATION[0], day0 + EVENT_WINDOW[1]
    inside = (first >= 0) & (last < size)
    first, last = np.clip(first, 0, size - 1), np.clip(last, 0, size - 1)
    est_end = np.clip(day0 + ESTIMATION[1], 0, size - 1)
    estimation_obs = ok_sum[est_end + 1] - ok_sum[first]
    event_obs = ok_sum[last + 1] - ok_sum[day0]
    no_split = split_sum[last + 1] - split_sum[first] == 0
    return inside & (estimation_obs >= MIN_OBS) & (event_obs == last - day0 + 1) & no_split


def draw_samples(panel: Panel, design: str, rng: np.random.Generator) -> np.ndarray:
    """``(SAMPLES, n, 2)`` (stock row, day-0 position) for one design of ``n`` events."""
    stock, position = np.nonzero(panel.usable)
    size = DESIGNS[design]
    samples = np.empty((SAMPLES, size, 2), dtype=np.int64)
    if design == "random":
        for s in range(SAMPLES):
            pick = rng.choice(stock.size, size, replace=False)
            samples[s] = np.column_stack([stock[pick], position[pick]])
    elif design.startswith("one_date_50"):
        dates = panel.calendar[stock, position]
        by_date = pd.Series(np.arange(stock.size)).groupby(dates).agg(list)
        crowded = [rows for rows in by_date if len(rows) >= size]
        for s in range(SAMPLES):
            rows = crowded[rng.integers(len(crowded))]
            pick = rng.choice(rows, size, replace=False)
            samples[s] = np.column_stack([stock[pick], position[pick]])
    else:
        per_stock = size // OVERLAP_STOCKS
        span = OVERLAP_GAP * np.arange(per_stock)
        run = np.ones(panel.usable.shape, dtype=bool)  # every day 0 of the run usable
        for offset in span:
            run[:, : panel.usable.shape[1] - offset] &= panel.usable[:, offset:]
            run[:, panel.usable.shape[1] - offset :] = False
        starts_stock, starts_position = np.nonzero(run)
        for s in range(SAMPLES):
            rows = rng.choice(np.unique(starts_stock), OVERLAP_STOCKS, replace=False)
            for k, row in enumerate(rows):
                begin = rng.choice(starts_position[starts_stock == row])
                block = slice(k * per_stock, (k + 1) * per_stock)
                samples[s, block, 0], samples[s, block, 1] = row, begin + span
    return samples


def fit_samples(panel: Panel, samples: np.ndarray) -> tuple[PairArrays, np.ndarray]:
    """The engine on every drawn pair at once; arrays and the fitted mask, flat."""
    flat = samples.reshape(-1, 2)
    out = fit_pairs(panel.returns, panel.market[:, :, None], None, flat[:, 0], flat[:, 1],
                    estimation=ESTIMATION, event_window=EVENT_WINDOW, min_estimation=MIN_OBS,
                    day0_dates=panel.calendar[flat[:, 0], flat[:, 1]])
    return dataclasses.replace(out.arrays, calendar=panel.calendar), out.fitted


def simulate(panel: Panel, design: str, seed: int) -> dict[str, object]:
    """Rejection rates per window and test, and the tally of recommendations."""
    rng = np.random.default_rng(seed)
    samples = draw_samples(panel, design, rng)
    arrays, fitted = fit_samples(panel, samples)
    rejected = {w: Counter[str]() for w in WINDOWS}
    recommended = {w: Counter[str]() for w in WINDOWS}
    cautioned = {w: Counter[str]() for w in WINDOWS}
    sizes, rbar = [], {w: [] for w in WINDOWS}
    size = samples.shape[1]
    for s in range(SAMPLES):
        rows = np.arange(s * size, (s + 1) * size)
        sample = arrays.subset(rows[fitted[rows]])
        sizes.append(sample.n_pairs)
        for window in WINDOWS:
            report = clustering(sample, *window)
            rbar[window].append(report["rbar"])
            recommended[window].update(report["recommended_tests"])
            cautioned[window].update(list(report["caution"]))
            for name, test in TESTS.items():
                rejected[window][name] += int(test(sample, *window).pvalue < LEVEL)
    return {
        "rates": {w: {t: rejected[w][t] / SAMPLES for t in TESTS} for w in WINDOWS},
        "recommended": recommended,
        "cautioned": cautioned,
        "pairs": float(np.mean(sizes)),
        "rbar": {w: float(np.mean(rbar[w])) for w in WINDOWS},
        "dates": int(np.unique(arrays.day0).size),
    }


@pytest.fixture(scope="module")
def results() -> dict[str, dict[str, object]]:
    from conftest import require_shared_data

    panel = load_panel(require_shared_data())
    return {design: simulate(panel, design, SEED + k) for k, design in enumerate(DESIGNS)}


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("design", DESIGNS)
def test_recommended_tests_are_well_sized(
    results: dict[str, dict[str, object]], design: str, window: tuple[int, int]
) -> None:
    outcome = results[design]
    rates = outcome["rates"][window]  # type: ignore[index]
    recommended = outcome["recommended"][window]  # type: ignore[index]
    cautioned = outcome["cautioned"][window]  # type: ignore[index]
    low, high = ACCEPTABLE
    if design == "one_date_50":
        # An extra design beside the three: one calm year (2025-07 .. 2026-06) after a
        # turbulent estimation year; the dependence-robust tests are conservative there (0-2%).
        low = 0.0
    trusted = [test for test, count in recommended.items() if count > SAMPLES / 2]
    assert trusted, "some test must be recommended"
    for test in trusted:
        assert low <= rates[test] <= high, f"{test} recommended but rejects {rates[test]:.3f}"
    for test, rate in rates.items():
        if rate > high:
            # Named in the caution of (nearly) every sample.
            assert cautioned[test] >= 0.95 * SAMPLES, f"{test} rejects {rate:.3f} uncautioned"


def test_dependence_is_detected(results: dict[str, dict[str, object]]) -> None:
    rbar = {design: results[design]["rbar"] for design in DESIGNS}
    assert abs(rbar["random"][(0, 0)]) < 0.005  # type: ignore[index]
    assert rbar["one_date_50"][(0, 0)] > 0.02  # type: ignore[index]
    assert rbar["overlap"][(0, 0)] < rbar["overlap"][(0, 5)]  # type: ignore[index]


def markdown_table(results: dict[str, dict[str, object]]) -> str:
    """The rejection rates as a Markdown table (recommended tests in bold)."""
    names = list(TESTS)
    lines = ["| design | window | mean N | mean r̄ | " + " | ".join(names) + " |",
             "|---|---|---|---|" + "---|" * len(names)]
    for design in DESIGNS:
        outcome = results[design]
        for window in WINDOWS:
            rates = outcome["rates"][window]  # type: ignore[index]
            majority = outcome["recommended"][window]  # type: ignore[index]
            cells = []
            for name in names:
                cell = f"{100 * rates[name]:.1f}"
                cells.append(f"**{cell}**" if majority[name] > SAMPLES / 2 else cell)
            rbar = outcome["rbar"][window]  # type: ignore[index]
            lines.append(f"| {design} | [{window[0]},{window[1]}] | {outcome['pairs']:.1f} | "
                         f"{rbar:.4f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    import time

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import SHARED_DATA

    began = time.perf_counter()
    panel = load_panel(SHARED_DATA)
    outcome = {design: simulate(panel, design, SEED + k) for k, design in enumerate(DESIGNS)}
    print(markdown_table(outcome))
    for design in DESIGNS:
        for window in WINDOWS:
            print(design, window, dict(outcome[design]["cautioned"][window]))  # type: ignore[index]
    print(f"{time.perf_counter() - began:.0f} s")
