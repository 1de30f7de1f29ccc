"""Benchmark: the public path, ``EventStudy(...).run()`` with ``.car`` and ``.aggregate``.

Run from the repository root (each part prints as it finishes)::

    python benchmarks/bench_public.py                    # everything, about 10-15 minutes
    python benchmarks/bench_public.py --parts public     # 10,000 events vs statsmodels, ~2 min
    python benchmarks/bench_public.py --parts numpy      # 100,000 pairs vs tight numpy, ~2 min
    python benchmarks/bench_public.py --parts million    # 1,000,000 pairs, child process, ~5 min
    python benchmarks/bench_public.py --parts scaling    # pairs x assets table, ~3 min
    python benchmarks/bench_public.py --parts garch      # GARCH, 1,000 pairs vs a direct arch loop, ~2 min
    python benchmarks/bench_public.py --parts peers      # other Python event-study packages

What is timed
-------------
A synthetic wide price table (``--assets`` assets, 500 by default, plus a market index
``MKT``, 3,000 business days; log returns ``r = b m + e``) and an events table with one
asset per event, random days. Each public-path timing covers ``EventStudy(events,
prices, ...)`` (the events are validated by :func:`eventstudy.events.load_events`
first, timed apart) through ``run()``, ``.car`` and ``.aggregate`` (every test, three
CAR windows, scopes ``all``, each asset and each of three groups); the lazily built
abnormal-return table is timed apart. The market model, estimation ``[-250, -11]``,
event window ``[-10, 10]``.

Baselines, timed in the same run on the same data:

* ``statsmodels``: one ``statsmodels.OLS`` per event on its estimation window, then its
  ARs, AR variances, and CARs with MacKinlay variances for the three windows, timed on
  ``--loop-sample`` events and extrapolated linearly (each event is independent work).
  The ratio is the loop's seconds over the public path's.
* ``tight numpy``: the same work without any table, written as tightly as numpy allows:
  gather every pair's estimation and event windows with one fancy index, solve the 2x2
  normal equations of the market model in closed form with the missing days masked,
  compute the ARs and the CARs over the three windows. The ratio is the public path's
  seconds over numpy's.

Every measure is repeated ``--repeats`` times (3) and the median and the range printed:
the machine is shared, so the spread says how noisy the figure is.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's eventstudy

from bench_engine import ESTIMATION, EVENT_WINDOW, WINDOWS, run_loop  # noqa: E402  (the same loop)

N_DAYS = 3000


def make_prices(n_assets: int, n_days: int = N_DAYS, seed: int = 0) -> pd.DataFrame:
    """Wide prices: ``n_assets`` assets and ``MKT``, business days, 1% of returns missing."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.01, n_days)
    beta = rng.uniform(0.5, 1.5, (n_assets, 1))
    returns = beta * market + rng.normal(0, 0.015, (n_assets, n_days))
    levels = 100 * np.exp(np.cumsum(np.vstack([np.zeros((1, n_assets + 1)),
                                               np.column_stack([returns.T, market])]), axis=0))
    days = pd.bdate_range("2012-01-02", periods=n_days + 1)
    prices = pd.DataFrame(levels, index=pd.DatetimeIndex(days, name="date"),
                          columns=[f"A{i:04d}" for i in range(n_assets)] + ["MKT"])
    missing = rng.random((n_days + 1, n_assets)) < 0.01
    missing[0] = False
    prices.iloc[:, :n_assets] = prices.iloc[:, :n_assets].mask(missing)
    return prices


def make_events(n_events: int, prices: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """One asset per event, day 0 between 270 sessions in and 20 before the end."""
    rng = np.random.default_rng(seed)
    n_assets = prices.shape[1] - 1
    asset = rng.integers(0, n_assets, n_events)
    day = rng.integers(270, len(prices) - 20, n_events)
    return pd.DataFrame({
        "id": [f"E{i}" for i in range(n_events)],
        "date": prices.index[day].strftime("%Y-%m-%d"),
        "event": "synthetic", "group": rng.choice(["g1", "g2", "g3"], n_events),
        "assets": np.asarray(prices.columns[:n_assets])[asset],
    })


def public_path(prices: pd.DataFrame, events: pd.DataFrame, peak_before_ar: bool = False,
                ar_table: bool = True) -> dict[str, Any]:
    """Seconds for each step of the public path, and the table sizes (and with
    ``peak_before_ar`` the peak resident memory before the abnormal-return table, which
    is built only with ``ar_table``)."""
    from eventstudy import EventStudy
    from eventstudy.events import load_events

    t0 = time.perf_counter()
    loaded = load_events(events)
    t1 = time.perf_counter()
    study = EventStudy(loaded, prices, model="market", benchmark="MKT", estimation=ESTIMATION,
                       event_window=EVENT_WINDOW, windows=WINDOWS)
    results = study.run()
    car, aggregate = results.car, results.aggregate
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2 if peak_before_ar else None
    ar = results.abnormal_returns if ar_table else pd.DataFrame()
    t3 = time.perf_counter()
    return {"load_events_s": t1 - t0, "public_s": t2 - t1, "ar_table_s": t3 - t2,
            "car_rows": len(car), "aggregate_rows": len(aggregate), "ar_rows": len(ar),
            "car_csv_bytes_per_row": _csv_bytes_per_row(car), "peak_public_gb": peak}


def _csv_bytes_per_row(table: pd.DataFrame) -> float:
    sample = table.head(2000)
    return len(sample.to_csv(index=False).encode()) / max(len(sample), 1)


def _returns(prices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(assets, days)`` log returns with NaN where a price is missing, and the market's."""
    logs = np.log(prices.to_numpy())
    returns = np.diff(logs, axis=0).T
    return returns[:-1], returns[-1]


def _event_positions(prices: pd.DataFrame, events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    asset = pd.Index(prices.columns).get_indexer(events["assets"])
    # return j is dated by price j + 1, so day 0's return sits one position before its price.
    day0 = prices.index.get_indexer(pd.to_datetime(events["date"])) - 1
    return asset, day0


def tight_market_model(returns: np.ndarray, market: np.ndarray, asset: np.ndarray,
                       day0: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The market model as tightly as numpy allows: gather the windows with one fancy
    index, solve the 2x2 normal equations in closed form with the missing days masked,
    compute the CARs and their MacKinlay variances for the three windows. Returns the
    estimation residuals (0 on missing days), which of them are observed, and the
    event-window ARs."""
    est = np.arange(ESTIMATION[0], ESTIMATION[1] + 1)
    ev = np.arange(EVENT_WINDOW[0], EVENT_WINDOW[1] + 1)
    y = returns[asset[:, None], day0[:, None] + est]
    x = market[day0[:, None] + est]
    ok = np.isfinite(y)
    n = ok.sum(axis=1)
    y0, x0 = np.where(ok, y, 0.0), np.where(ok, x, 0.0)
    sx, sy = x0.sum(axis=1), y0.sum(axis=1)
    sxx, sxy = (x0 * x0).sum(axis=1), (x0 * y0).sum(axis=1)
    det = n * sxx - sx * sx
    beta = (n * sxy - sx * sy) / det
    alpha = (sy - beta * sx) / n
    resid = np.where(ok, y0 - alpha[:, None] - beta[:, None] * x0, 0.0)
    sigma2 = (resid * resid).sum(axis=1) / (n - 2)
    x_ev = market[day0[:, None] + ev]
    ar = returns[asset[:, None], day0[:, None] + ev] - alpha[:, None] - beta[:, None] * x_ev
    for start, end in WINDOWS:
        cols = slice(start - EVENT_WINDOW[0], end - EVENT_WINDOW[0] + 1)
        length = cols.stop - cols.start
        s = x_ev[:, cols].sum(axis=1)
        _car = ar[:, cols].sum(axis=1)
        # (X'X)^-1 of [1, x] is [[sxx, -sx], [-sx, n]] / det; s-vector is (length, s).
        _var = sigma2 * (length + (length * length * sxx - 2 * length * s * sx + s * s * n) / det)
    return resid, ok, ar


def tight_numpy(returns: np.ndarray, market: np.ndarray, asset: np.ndarray, day0: np.ndarray) -> float:
    """Seconds of :func:`tight_market_model`."""
    t0 = time.perf_counter()
    tight_market_model(returns, market, asset, day0)
    return time.perf_counter() - t0


def corrado_ranks(resid: np.ndarray, ar: np.ndarray) -> float:
    """Seconds to rank each pair's estimation residuals (NaN where missing) with each
    CAR window's ARs, as Corrado's test needs, for one scope: the project's own
    sort-based ranking on the study's worker threads."""
    from eventstudy.inference.base import Layout
    from eventstudy.inference.scope_columns import _accumulate, centred_rank_partials

    cells = Layout.single(len(resid))
    t0 = time.perf_counter()
    for start, end in WINDOWS:
        cols = slice(start - EVENT_WINDOW[0], end - EVENT_WINDOW[0] + 1)

        def part(rows: np.ndarray, cols: slice = cols) -> tuple[np.ndarray, ...]:
            block = np.concatenate([resid[rows], ar[rows, cols]], axis=1)
            return centred_rank_partials(block, cells.codes[rows])

        _accumulate(part, cells, resid.shape[1] + cols.stop - cols.start)
    return time.perf_counter() - t0


def _repeat(fn: Callable[[], Any], repeats: int) -> list[Any]:
    return [fn() for _ in range(repeats)]


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3g} s (range {min(values):.3g}-{max(values):.3g})"


def part_public(args: argparse.Namespace) -> None:
    prices = make_prices(args.assets)
    events = make_events(args.events, prices)
    returns, market = _returns(prices)
    asset, day0 = _event_positions(prices, events)
    runs = _repeat(lambda: public_path(prices, events), args.repeats)
    sample = np.random.default_rng(3).choice(args.events, min(args.loop_sample, args.events), replace=False)
    loops = _repeat(lambda: run_loop(returns, market, asset[sample], day0[sample]), args.repeats)
    loop_all = [t / sample.size * args.events for t in loops]
    public = [r["public_s"] for r in runs]
    ratios = [lp / pb for lp, pb in zip(loop_all, public, strict=True)]
    print(f"[public] {args.assets} assets x {N_DAYS} days, {args.events:,} market-model events")
    print(f"  public path run()+car+aggregate: {_spread(public)}; load_events "
          f"{statistics.median(r['load_events_s'] for r in runs):.2f} s; abnormal-return table (lazy) "
          f"{statistics.median(r['ar_table_s'] for r in runs):.2f} s")
    print(f"  statsmodels loop, extrapolated from {sample.size} events: {_spread(loop_all)}")
    print(f"  ratio loop / public path: median {statistics.median(ratios):.2f}x "
          f"(range {min(ratios):.2f}-{max(ratios):.2f}); car rows {runs[0]['car_rows']:,}, "
          f"aggregate rows {runs[0]['aggregate_rows']:,}, "
          f"car.csv {runs[0]['car_csv_bytes_per_row']:.0f} B/row")


def part_numpy(args: argparse.Namespace) -> None:
    prices = make_prices(args.assets)
    events = make_events(args.pairs_numpy, prices, seed=4)
    returns, market = _returns(prices)
    asset, day0 = _event_positions(prices, events)
    baseline = _repeat(lambda: tight_numpy(returns, market, asset, day0), args.repeats)
    runs = _repeat(lambda: public_path(prices, events), args.repeats)
    public = [r["public_s"] for r in runs]
    ratios = [pb / nb for pb, nb in zip(public, baseline, strict=True)]
    print(f"[numpy] {args.pairs_numpy:,} pairs on {args.assets} assets")
    print(f"  tight numpy (gather, normal equations, CARs): {_spread(baseline)}")
    print(f"  public path run()+car+aggregate: {_spread(public)}")
    print(f"  ratio public / numpy: median {statistics.median(ratios):.1f}x "
          f"(range {min(ratios):.1f}-{max(ratios):.1f})")


def part_floor(args: argparse.Namespace) -> None:
    """Two pieces of the public path's work, each as fast as this project can do it,
    against the 30x target's budget (the statsmodels loop's time over 30)."""
    prices = make_prices(args.assets)
    events = make_events(args.events, prices)
    returns, market = _returns(prices)
    asset, day0 = _event_positions(prices, events)
    sample = np.random.default_rng(3).choice(args.events, min(args.loop_sample, args.events), replace=False)
    loops = [t / sample.size * args.events
             for t in _repeat(lambda: run_loop(returns, market, asset[sample], day0[sample]), args.repeats)]
    engine = _repeat(lambda: tight_numpy(returns, market, asset, day0), 2 * args.repeats + 1)
    resid, observed, ar = tight_market_model(returns, market, asset, day0)
    resid = np.where(observed, resid, np.nan)
    ranks = _repeat(lambda: corrado_ranks(resid, ar), 2 * args.repeats + 1)
    budget = statistics.median(loops) / 30
    floor = statistics.median(engine) + statistics.median(ranks)
    print(f"[floor] {args.events:,} market-model events on {args.assets} assets")
    print(f"  statsmodels loop {_spread(loops)}; the 30x target's budget: {budget:.3f} s")
    print(f"  tight numpy market model (gather, solve, CARs; no test, no table): {_spread(engine)}")
    print(f"  Corrado's ranks for the three CAR windows (one scope): {_spread(ranks)}")
    print(f"  these two pieces alone: {floor:.3f} s, {floor / budget:.1f}x the budget "
          f"(the loop over them: {statistics.median(loops) / floor:.1f}x)")


def part_million_child(args: argparse.Namespace) -> None:
    prices = make_prices(args.assets)
    events = make_events(args.pairs_million, prices, seed=5)
    result = public_path(prices, events, peak_before_ar=True, ar_table=not args.skip_ar_table)
    result["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(json.dumps(result))


def part_million(args: argparse.Namespace) -> None:
    child = subprocess.run([sys.executable, __file__, "--million-child", "--assets", str(args.assets),
                            "--pairs-million", str(args.pairs_million),
                            *(["--skip-ar-table"] if args.skip_ar_table else [])],
                           capture_output=True, text=True, check=True)
    big = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"[million] {args.pairs_million:,} pairs on {args.assets} assets through the public path: "
          f"load_events {big['load_events_s']:.1f} s, run()+car+aggregate {big['public_s']:.1f} s, "
          f"abnormal-return table {big['ar_table_s']:.1f} s ({big['ar_rows']:,} rows); "
          f"peak RSS {big['peak_public_gb']:.2f} GB through run()+car+aggregate, "
          f"{big['peak_rss_gb']:.2f} GB with the abnormal-return table (child process)")


def part_scaling(args: argparse.Namespace) -> None:
    print("[scaling] run()+car+aggregate seconds (median of repeats), pairs x assets")
    assets_list = [int(a) for a in args.scaling_assets.split(",")]
    pairs_list = [int(p) for p in args.scaling_pairs.split(",")]
    print("  pairs \\ assets | " + " | ".join(f"{a:>6}" for a in assets_list))
    for n_pairs in pairs_list:
        cells = []
        for n_assets in assets_list:
            prices = make_prices(n_assets)
            events = make_events(n_pairs, prices, seed=6)
            cells.append(statistics.median(public_path(prices, events)["public_s"]
                                           for _ in range(args.repeats)))
        print(f"  {n_pairs:>13,} | " + " | ".join(f"{c:6.2f}" for c in cells))


def garch_windows(prices: pd.DataFrame, events: pd.DataFrame) -> list[tuple[np.ndarray, ...]]:
    """Each event's estimation returns (asset, ``MKT``) and day-0 returns, as the study takes them.

    On the asset's own sessions (days with a price): log returns ``log p_t - log p_{t-1}``
    and ``log(m_t / m_{t-1})`` of the market over the same sessions; day 0 is the event
    date or the asset's next session; estimation days ``[-250, -11]`` without missing values.
    """
    windows = []
    for name, date in zip(events["assets"], pd.to_datetime(events["date"]), strict=True):
        levels = prices[[name, "MKT"]].dropna()
        returns = np.diff(np.log(levels[name].to_numpy()))
        market = np.log(levels["MKT"].to_numpy()[1:] / levels["MKT"].to_numpy()[:-1])
        day0 = int(levels.index[1:].searchsorted(date))
        est = slice(day0 + ESTIMATION[0], day0 + ESTIMATION[1] + 1)
        windows.append((returns[est], market[est], returns[day0], market[day0]))
    return windows


def direct_arch_loop(windows: list[tuple[np.ndarray, ...]],
                     fast: bool = False) -> tuple[float, np.ndarray, list[np.ndarray]]:
    """Seconds for one ``arch_model(...).fit()`` per pair (the numbers the GARCH model
    reads: parameters, covariance, conditional volatilities), each pair's day-0 AR and
    parameters; with ``fast``, the model's own fit (``garch_fit.fit_garch11``) instead."""
    import warnings

    from arch import arch_model

    from eventstudy.models.garch_fit import fit_garch11

    day0_ar, params = np.full(len(windows), np.nan), []
    t0 = time.perf_counter()
    for i, (y, x, y0, x0) in enumerate(windows):
        if fast:
            fitted = fit_garch11(100 * y, 100 * x)
            params.append(fitted.params)
        else:
            model = arch_model(100 * y, x=100 * x[:, None], mean="LS", vol="GARCH", p=1, q=1,
                               dist="normal", rescale=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = model.fit(disp="off", show_warning=False)
            params.append(fit.params.to_numpy())
            _ = fit.param_cov, fit.conditional_volatility
        day0_ar[i] = y0 - params[-1][0] / 100 - params[-1][1] * x0
    return time.perf_counter() - t0, day0_ar, params


def part_garch(args: argparse.Namespace) -> None:
    """GARCH(1,1) market model on ``--garch-pairs`` pairs against a direct arch loop.

    Per repeat, on the same pairs: the direct loop (:func:`direct_arch_loop`), the same
    loop with the model's fit (``fit_garch11``), the public path ``run()`` + ``.car`` +
    ``.aggregate`` in one process, and the same with the model's worker processes. Also
    prints how many pairs' parameters differ from arch's (0 expected: the fit is arch's
    bit for bit) and the largest difference between the study's day-0 ARs and the direct
    fits' (rounding of the inputs only).
    """
    from eventstudy import EventStudy
    from eventstudy.events import load_events
    from eventstudy.models import garch

    prices = make_prices(20)
    events = make_events(args.garch_pairs, prices, seed=7)
    windows = garch_windows(prices, events)
    study = EventStudy(load_events(events), prices, model="garch", benchmark="MKT",
                       estimation=ESTIMATION, event_window=EVENT_WINDOW, windows=WINDOWS)
    workers = garch.N_PROCESSES
    loop, fast, serial, parallel, largest, differing = [], [], [], [], 0.0, 0
    for _ in range(args.repeats):
        seconds, day0_ar, direct_params = direct_arch_loop(windows)
        loop.append(seconds)
        seconds, _, fast_params = direct_arch_loop(windows, fast=True)
        fast.append(seconds)
        differing = max(differing, sum(not np.array_equal(a, b) for a, b in zip(direct_params, fast_params,
                                                                                  strict=True)))
        for n_processes, times in ((1, serial), (workers, parallel)):
            garch.N_PROCESSES = n_processes
            t0 = time.perf_counter()
            results = study.run()
            _ = results.car, results.aggregate
            times.append(time.perf_counter() - t0)
        garch.N_PROCESSES = workers
        study_ar = results.arrays.ar[:, results.arrays.columns(0, 0)][:, 0]
        largest = max(largest, float(np.nanmax(np.abs(study_ar - day0_ar))))
    n = args.garch_pairs
    labels = ("fit_garch11 loop", "public path, one process", f"public path, {workers} processes")
    for label, times in zip(labels, (fast, serial, parallel), strict=True):
        ratios = [a / b for a, b in zip(loop, times, strict=True)]
        print(f"[garch] {n:,} pairs, {label}: {_spread(times)}, "
              f"{statistics.median(times) / n * 1000:.1f} ms a pair; direct arch loop / this "
              f"{statistics.median(ratios):.1f}x (range {min(ratios):.1f}-{max(ratios):.1f})")
    print(f"[garch] direct arch loop: {_spread(loop)}, {statistics.median(loop) / n * 1000:.1f} ms a pair; "
          f"pairs whose fit_garch11 parameters differ from arch's: {differing}; "
          f"largest |day-0 AR, study - direct arch| {largest:.1e}")


LEMAIRE_CHILD = """
import json, sys, time
import numpy as np
from eventstudy import Multiple, Single  # Lemaire's package, not this one
returns_csv, events_json = sys.argv[1], sys.argv[2]
events = json.load(open(events_json))
t0 = time.perf_counter()
Single.import_returns(returns_csv)
t1 = time.perf_counter()
sample = [Single.market_model(security_ticker=a, market_ticker="MKT", event_date=np.datetime64(d),
                              event_window=(-10, 10), estimation_size=240, buffer_size=0)
          for a, d in zip(events["assets"], events["dates"])]
Multiple(sample)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "events_s": t2 - t1, "n": len(sample)}))
"""


def part_peers(args: argparse.Namespace) -> None:
    """Lemaire's ``eventstudy`` (PyPI ``eventstudy==0.1a12``) on a sample of the same events.

    Its import name is this package's, so it runs in a child process from the folder
    ``--lemaire-path`` (``pip install --no-deps --target DIR eventstudy==0.1a12``), with
    the same log returns written to a CSV, its market model (statsmodels OLS per event)
    and its aggregation over events (``Multiple``); timed on ``--loop-sample`` events and
    extrapolated to ``--events``.
    """
    import os
    import tempfile

    if not args.lemaire_path or not (Path(args.lemaire_path) / "eventstudy" / "single.py").exists():
        print("[peers] Lemaire's eventstudy: not found; install it with "
              "pip install --no-deps --target DIR eventstudy==0.1a12 and pass --lemaire-path DIR")
        return
    prices = make_prices(args.assets)
    events = make_events(args.events, prices)
    returns, market = _returns(prices)
    # Lemaire's market model needs complete windows: its OLS does not skip missing days.
    complete = np.nan_to_num(returns, nan=0.0)
    sample = np.random.default_rng(3).choice(args.events, min(args.loop_sample, args.events), replace=False)
    with tempfile.TemporaryDirectory() as tmp:
        table = pd.DataFrame(complete.T, columns=prices.columns[:-1])
        table.insert(0, "date", prices.index[1:].strftime("%Y-%m-%d"))
        table["MKT"] = market
        table.to_csv(Path(tmp) / "returns.csv", index=False)
        (Path(tmp) / "events.json").write_text(json.dumps({
            "assets": events["assets"].iloc[sample].tolist(), "dates": events["date"].iloc[sample].tolist()}))
        env = {**os.environ, "PYTHONPATH": args.lemaire_path}
        runs = [json.loads(subprocess.run(
            [sys.executable, "-c", LEMAIRE_CHILD, str(Path(tmp) / "returns.csv"),
             str(Path(tmp) / "events.json")],
            capture_output=True, text=True, check=True, cwd=tmp, env=env).stdout.strip().splitlines()[-1])
            for _ in range(args.repeats)]
    per_event = [r["events_s"] / r["n"] for r in runs]
    extrapolated = [p * args.events for p in per_event]
    public = [public_path(prices, events)["public_s"] for _ in range(args.repeats)]
    ratios = [e / p for e, p in zip(extrapolated, public, strict=True)]
    print(f"[peers] Lemaire's eventstudy 0.1a12, market model + Multiple, {sample.size} events "
          f"extrapolated to {args.events:,}: {_spread(extrapolated)} (+ reading the CSV "
          f"{statistics.median(r['import_s'] for r in runs):.1f} s); this package's public path "
          f"{_spread(public)}; ratio {statistics.median(ratios):.1f}x "
          f"(range {min(ratios):.1f}-{max(ratios):.1f})")
    print("[peers] easyeventstudies 2.0: not timed; its one entry point, run_event_study, downloads "
          "the prices from Yahoo (yfinance) and the factors from Kenneth French's site inside each "
          "call, so it cannot run on this panel offline")


PARTS = {"public": part_public, "numpy": part_numpy, "floor": part_floor, "million": part_million,
         "scaling": part_scaling, "garch": part_garch, "peers": part_peers}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS))
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--loop-sample", type=int, default=500)
    parser.add_argument("--pairs-numpy", type=int, default=100_000)
    parser.add_argument("--pairs-million", type=int, default=1_000_000)
    parser.add_argument("--scaling-pairs", default="5000,20000,50000")
    parser.add_argument("--scaling-assets", default="50,500")
    parser.add_argument("--garch-pairs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lemaire-path", default="", help="folder holding Lemaire's eventstudy package")
    parser.add_argument("--skip-ar-table", action="store_true",
                        help="million: leave out the lazily built abnormal-return table (21M rows, ~4 GB)")
    parser.add_argument("--million-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.million_child:
        part_million_child(args)
        return
    for name in args.parts.split(","):
        PARTS[name.strip()](args)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
