"""Benchmark: the command line on real series at scale, against a bare statsmodels loop.

Run from the repository root (needs ``../shared/data``)::

    python benchmarks/bench_cli.py                       # 1,500 dates x 8 series, seed case
    python benchmarks/bench_cli.py --scale 5000 50000    # also the time and memory at scale
    python benchmarks/bench_cli.py --repeats 5
    python benchmarks/bench_cli.py --seed-only --repeats 5    # the seed case only (no ../shared needed)

What is timed (each a fresh ``python -m eventstudy.cli run`` child process, so imports
count, as for a user; the median of ``--repeats`` runs, with the range to show the noise)
-------------------------------------------------------------------------------------------
* **At scale**: ``N`` (default 1,500) announcement dates drawn without replacement from
  the MOEX trading days 2019-06 to 2025-12 (seed 0), each concerning 8 real series read
  in place: IMOEX, SBER, GAZP, LKOH, ROSN (``panel/moex_iss_daily``, no splits in the
  span), Brent, S&P 500, EEM; market model on the MOEX total-return index MCFTRR,
  estimation ``[-250,-11]``, CAR windows ``[0,0]``, ``[-1,1]``, ``[0,5]``,
  ``--figures summary``, report included, ``--jobs`` default (every core) and 1.
* **Baseline**, timed in the same run: a bare per-pair loop over the same pairs, one
  ``statsmodels.OLS`` of the asset's log return on the benchmark's (dates aligned by an
  inner join) over the estimation window, then the ARs of the event window and the
  three CARs with their MacKinlay variances. Only the arithmetic: no files read or
  written, no figures, no report, no checks (so the ratio is conservative).
* **Seed case**: ``eventstudy run seeds/events.csv --config seeds/summer-2025.toml``
  with every figure, ``--jobs`` default and 1.
* **Sizes**: ``report.html`` and ``car.csv`` bytes (per row) of the scale run.
* ``--scale``: for each size, one run with that many events (dates drawn with
  replacement) on the same 8 series; wall time and the child's peak resident memory
  (``os.wait4``), to check linear growth.
* ``--before DIR``: also time the scale case with the code of another checkout (say
  ``git archive <commit> | tar -x -C DIR``), its runs interleaved with this checkout's so
  both see the same load; its ratio to this checkout is printed per repeat.

The machine is shared, so the load average before and after is printed; compare ratios
from the same run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
SERIES = {
    "IMOEX": "IMOEX_close_candles_2014_2026.csv",
    "SBER": "panel/moex_iss_daily/SBER.csv", "GAZP": "panel/moex_iss_daily/GAZP.csv",
    "LKOH": "panel/moex_iss_daily/LKOH.csv", "ROSN": "panel/moex_iss_daily/ROSN.csv",
    "BRENT": "BRENT_eia_spot_2018_2026.csv", "SP500": "SP500_close_yahoo_2018_2026.csv",
    "EEM": "EEM_ohlcv_yahoo_2018_2026.csv",
}
BENCHMARK = ("MCFTRR", "panel/MCFTRR_iss_close_2003_2026.csv")
ESTIMATION, EVENT_WINDOW, WINDOWS = (-250, -11), (-10, 10), [(0, 0), (-1, 1), (0, 5)]


def price_folder(folder: Path) -> Path:
    """Symbolic links to the real files (read in place, nothing copied)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, relative in [*SERIES.items(), BENCHMARK]:
        link = folder / f"{name}.csv"
        if not link.exists():
            link.symlink_to(DATA / relative)
    return folder


def trading_days() -> pd.DatetimeIndex:
    frame = pd.read_csv(DATA / SERIES["SBER"], usecols=["date"], parse_dates=["date"])
    days = pd.DatetimeIndex(frame["date"])
    return days[(days >= "2019-06-01") & (days <= "2025-12-31") & (days.day_of_week < 5)]


def events_file(path: Path, n: int, seed: int = 0) -> Path:
    days = trading_days()
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(days), size=n, replace=n > len(days)))
    frame = pd.DataFrame({"id": [f"E{i:05d}" for i in range(n)], "date": days[picked].strftime("%Y-%m-%d"),
                          "event": [f"announcement {i}" for i in range(n)]})
    frame.to_csv(path, index=False)
    return path


def cli_run(args: list[str], checkout: Path = REPO) -> tuple[float, int]:
    """Wall time and peak resident memory (KB on Linux) of one ``eventstudy`` child process
    running the code of ``checkout``."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "eventstudy.cli", *args], cwd=checkout,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"eventstudy {' '.join(args)} failed: {child.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss


def study_args(events: Path, prices: Path, out: Path, jobs: int | None) -> list[str]:
    args = ["run", str(events), "--prices", str(prices), "--model", "market", "--benchmark", BENCHMARK[0],
            f"--estimation={ESTIMATION[0]},{ESTIMATION[1]}",
            f"--event-window={EVENT_WINDOW[0]},{EVENT_WINDOW[1]}",
            *[f"--window={a},{b}" for a, b in WINDOWS], "--figures", "summary", "--out", str(out), "--quiet"]
    return args + (["--jobs", str(jobs)] if jobs else [])


def statsmodels_loop(events: Path, prices: Path) -> float:
    """The bare per-pair loop (module docstring); returns its wall time."""
    import statsmodels.api as sm

    def close(path: Path) -> pd.Series:
        frame = pd.read_csv(path)
        date = next(c for c in frame.columns if c.lower() == "date")
        value = next((c for c in frame.columns if c.lower() in ("close", "price")), frame.columns[1])
        return pd.Series(frame[value].to_numpy(float), index=pd.to_datetime(frame[date])).sort_index()

    start = time.perf_counter()
    market = np.log(close(prices / f"{BENCHMARK[0]}.csv")).diff()
    dates = pd.to_datetime(pd.read_csv(events)["date"])
    for name in SERIES:
        joined = pd.concat({"r": np.log(close(prices / f"{name}.csv")).diff(), "m": market}, axis=1,
                           join="inner").dropna()
        index = joined.index
        r, m = joined["r"].to_numpy(), joined["m"].to_numpy()
        for when in dates:
            day0 = int(index.searchsorted(when))
            lo, hi = day0 + ESTIMATION[0], day0 + ESTIMATION[1] + 1
            if lo < 0 or day0 + EVENT_WINDOW[1] >= len(index):
                continue
            x = sm.add_constant(m[lo:hi])
            fit = sm.OLS(r[lo:hi], x).fit()
            sigma2 = fit.scale
            xe = sm.add_constant(m[day0 + EVENT_WINDOW[0]: day0 + EVENT_WINDOW[1] + 1], has_constant="add")
            ar = r[day0 + EVENT_WINDOW[0]: day0 + EVENT_WINDOW[1] + 1] - xe @ fit.params
            cov = fit.cov_params()
            for a, b in WINDOWS:
                rows = slice(a - EVENT_WINDOW[0], b - EVENT_WINDOW[0] + 1)
                window_x = xe[rows]
                ones = np.ones(len(window_x))
                variance = sigma2 * len(window_x) + ones @ window_x @ cov @ window_x.T @ ones
                _ = ar[rows].sum() / np.sqrt(variance)
    return time.perf_counter() - start


def median_and_range(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} s (range {min(values):.1f}-{max(values):.1f})"


def seed_case(work: Path, repeats: int) -> None:
    """Time the seed case with every figure, ``--jobs`` default and 1, alternating."""
    seed: dict[str, list[float]] = {"all cores": [], "--jobs 1": []}
    for repeat in range(repeats):
        for label, jobs in (("all cores", None), ("--jobs 1", 1)):
            args = ["run", "seeds/events.csv", "--config", "seeds/summer-2025.toml", "--out",
                    str(work / f"seed{repeat}{label[0]}"), "--quiet", "--figures", "all"]
            seed[label].append(cli_run(args + (["--jobs", str(jobs)] if jobs else []))[0])
    print("\nseed case, every figure:")
    for label, values in seed.items():
        print(f"  {label:<10} {median_and_range(values)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dates", type=int, default=1500, help="announcement dates of the scale case")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", type=int, nargs="*", default=[], help="event counts to time for growth")
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--seed-only", action="store_true", help="time only the seed case")
    parser.add_argument("--before", type=Path, help="another checkout to time the scale case with, "
                        "interleaved (module docstring)")
    options = parser.parse_args()
    if options.seed_only:
        print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")
        with tempfile.TemporaryDirectory() as temporary:
            seed_case(Path(temporary), options.repeats)
        print(f"\nload average after: {os.getloadavg()}")
        return 0
    if not DATA.is_dir():
        print(f"needs the real data in {DATA}", file=sys.stderr)
        return 2
    print(f"load average before: {os.getloadavg()}; cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        prices = price_folder(work / "prices")
        events = events_file(work / "events.csv", options.dates)
        pairs = options.dates * len(SERIES)
        timings: dict[str, list[float]] = {"loop": [], "cli": [], "cli_jobs1": [], "before": [],
                                           "before_jobs1": []}
        for repeat in range(options.repeats):
            timings["loop"].append(statsmodels_loop(events, prices))
            for key, jobs in (("cli", None), ("cli_jobs1", 1)):
                if options.before:
                    before = work / f"before{key}{repeat}"
                    timings[key.replace("cli", "before")].append(
                        cli_run(study_args(events, prices, before, jobs), options.before.resolve())[0])
                timings[key].append(cli_run(study_args(events, prices, work / f"{key}{repeat}", jobs))[0])
        loop = statistics.median(timings["loop"])
        print(f"\n{options.dates} dates x {len(SERIES)} series = {pairs} pairs, --figures summary:")
        print(f"  statsmodels loop          {median_and_range(timings['loop'])}")
        rows = (("before", "--before (all cores)"), ("before_jobs1", "--before --jobs 1"),
                ("cli", "eventstudy run (all cores)"), ("cli_jobs1", "eventstudy run --jobs 1"))
        for key, label in rows:
            if not timings[key]:
                continue
            ratios = [t / loop for t in timings[key]]
            print(f"  {label:<26}{median_and_range(timings[key])}  = "
                  f"{statistics.median(ratios):.2f}x the loop "
                  f"(range {min(ratios):.2f}-{max(ratios):.2f})")
        for key in ("cli", "cli_jobs1"):
            if timings[key.replace("cli", "before")]:
                speedups = [b / a for a, b in zip(timings[key], timings[key.replace("cli", "before")],
                                                   strict=True)]
                print(f"  {key}: --before / this checkout, each repeat: "
                      + ", ".join(f"{x:.2f}x" for x in speedups))
        out = work / "cli0"
        car_rows = max(len(pd.read_csv(out / "car.csv")), 1)
        print(f"  report.html {(out / 'report.html').stat().st_size / 1e6:.2f} MB; car.csv "
              f"{(out / 'car.csv').stat().st_size / car_rows:.0f} bytes a row ({car_rows} rows); figures "
              f"{sum(p.stat().st_size for p in (out / 'figures').glob('*')) / 1e6:.2f} MB")
        if not options.skip_seed:
            seed_case(work, options.repeats)
        for n in options.scale:
            scaled = events_file(work / f"events{n}.csv", n, seed=1)
            elapsed, rss = cli_run(study_args(scaled, prices, work / f"scale{n}", None))
            size = (work / f"scale{n}" / "report.html").stat().st_size / 1e6
            print(f"\n{n} events x {len(SERIES)} series: {elapsed:.1f} s, peak memory {rss / 1e6:.2f} GB, "
                  f"report.html {size:.2f} MB")
    print(f"\nload average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
