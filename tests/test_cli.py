"""The command line end to end: outputs, exit codes, one-line errors, untouched --out."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.cli import main

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds" / "events.csv"
EXAMPLE = REPO / "examples" / "summer-2025.toml"
OUTPUT_FILES = ["abnormal_returns.csv", "car.csv", "aggregate.csv", "skipped.csv", "study.json",
                "report.html"]


@pytest.fixture
def prices_dir(shared_data: Path, tmp_path: Path) -> Path:
    """A --prices folder whose IMOEX.csv and EEM.csv link to the real files (not copies)."""
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "IMOEX.csv").symlink_to(shared_data / "IMOEX_close_candles_2014_2026.csv")
    (folder / "EEM.csv").symlink_to(shared_data / "EEM_ohlcv_yahoo_2018_2026.csv")
    return folder


def run_cli(*args: str | Path) -> int:
    return main([str(a) for a in args])


def test_run_with_study_file_writes_every_output(shared_data: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--config", EXAMPLE, "--out", out) == 0
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert "prices_IMOEX.png" in figures
    assert "car_SUMMIT_AGREED_IMOEX.png" in figures
    ar = pd.read_csv(out / "abnormal_returns.csv", parse_dates=["date"])
    day0 = ar.query("event_id == 'SUMMIT_AGREED' and asset == 'IMOEX' and day == 0").iloc[0]
    assert day0["date"] == pd.Timestamp("2025-08-07")
    assert day0["return"] == pytest.approx(math.log(2876.43 / 2764.62), abs=1e-12)
    # Rouble: the rate set on 7 Aug (effective 8 Aug, 79.3847) against the one set on 6 Aug
    # (effective 7 Aug, 80.1914); RUBUSD = 1/USDRUB, so the rouble gained ln(80.1914/79.3847).
    rub = ar.query("event_id == 'SUMMIT_AGREED' and asset == 'RUBUSD' and day == 0").iloc[0]
    assert rub["date"] == pd.Timestamp("2025-08-07")
    assert rub["return"] == pytest.approx(math.log(80.1914 / 79.3847), abs=1e-12)
    study = json.loads((out / "study.json").read_text())
    assert study["settings"]["model"] == "market"
    assert [s["asset"] for s in study["provenance"]] == ["IMOEX", "RUBUSD", "EEM"]
    assert all(len(s["sha256"]) == 64 for s in study["provenance"])
    captured = capsys.readouterr()
    assert "SUMMIT_AGREED" in captured.out
    assert "wrote" in captured.err


def test_run_with_prices_folder(shared_data: Path, prices_dir: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    (prices_dir / "IMOEX.csv").unlink()
    (prices_dir / "IMOEX.csv").symlink_to(shared_data / "IMOEX_ohlc_2022_2026.csv")
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--model", "market",
                   "--benchmark", "EEM", "--window", "0,0", "--window", "-1,1", "--estimation",
                   "-200,-11", "--out", out, "--figures", "none") == 0
    car = pd.read_csv(out / "car.csv")
    assert sorted(set(zip(car["start"], car["end"], strict=True))) == [(-1, 1), (0, 0)]
    # The IMOEX OHLC file starts in January 2022: the 2021 summit cannot be estimated.
    skipped = pd.read_csv(out / "skipped.csv")
    assert "GENEVA21" in set(skipped["event_id"])
    assert not (out / "figures").exists()
    # That file ends with a line without a date: dropped, with a one-line warning.
    err = capsys.readouterr().err
    assert "eventstudy: warning:" in err and "IMOEX.csv" in err


def test_reruns_are_identical(prices_dir: Path, tmp_path: Path) -> None:
    args = ["run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--figures", "none"]
    assert run_cli(*args, "--out", tmp_path / "a") == 0
    assert run_cli(*args, "--out", tmp_path / "b") == 0
    for name in ["abnormal_returns.csv", "car.csv", "aggregate.csv", "skipped.csv"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_validate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run_cli("validate", SEEDS) == 0
    assert "9 events, 2021-06-16 to 2025-08-15" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("date,event\n03/04/2025,a\n2025-08-07,\n")
    assert run_cli("validate", bad) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and ":2:" in lines[0] and ":3:" in lines[1]


BAD_EVENTS = {
    "empty": ("", "the file is empty"),
    "header_only": ("date,event\n", "header but no events"),
    "missing_columns": ("when,what\n2025-08-07,x\n", "missing required column(s) date, event"),
    "ambiguous_date": ("date,event\n03/04/2025,x\n", "ambiguous"),
    "bad_time": ("date,event,time,timezone\n2025-08-07,x,7pm,UTC\n", "cannot read the time '7pm'"),
    "bad_timezone": ("date,event,timezone\n2025-08-07,x,MSK\n", "unknown time zone 'MSK'"),
    "duplicate_ids": ("id,date,event\nA,2025-08-07,x\nA,2025-08-08,y\n", "duplicate id 'A'"),
    "broken_quoting": ('date,event\n2025-08-07,"x\n', "broken CSV quoting"),
    "binary": ("date,event\n\x00\x00\x00", "not a text file"),
}


@pytest.mark.parametrize("case", sorted(BAD_EVENTS))
def test_bad_events_exit_2_with_one_line_and_no_output(case: str, prices_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    text, message = BAD_EVENTS[case]
    events = tmp_path / "events.csv"
    events.write_bytes(text.encode())
    out = tmp_path / "out"
    assert run_cli("run", events, "--prices", prices_dir, "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"eventstudy: error: {events}")
    assert message in err[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--assets", "IMOX"], "no price file for 'IMOX'"),
        (["--model", "market"], "takes exactly one benchmark"),
        (["--estimation=-250,0"], "overlaps the event window"),
        (["--window", "a,b"], "--window: 'a,b' is not a pair of whole numbers"),
    ],
)
def test_bad_settings_exit_2(extra: list[str], message: str, prices_dir: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--out", out, *extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


def test_missing_paths_exit_2(tmp_path: Path, prices_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("run", tmp_path / "none.csv", "--prices", prices_dir) == 2
    assert "none.csv: no such file" in capsys.readouterr().err
    assert run_cli("run", tmp_path, "--prices", prices_dir) == 2
    assert "is a folder" in capsys.readouterr().err
    assert run_cli("run", SEEDS, "--prices", tmp_path / "nowhere") == 2
    assert "nowhere" in capsys.readouterr().err


def test_unreadable_price_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "IMOEX.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00junk")
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", folder, "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "IMOEX.csv" in err[0]
    assert not out.exists()


def test_bad_study_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "study.toml"
    config.write_text("[study]\nmodel = 'market\n")
    assert run_cli("run", SEEDS, "--config", config) == 2
    assert "study.toml: invalid TOML" in capsys.readouterr().err
    config.write_text("[study]\nmodle = 'market'\n")
    assert run_cli("run", SEEDS, "--config", config) == 2
    assert "unknown key(s) modle in [study]" in capsys.readouterr().err


def test_existing_results_survive_a_failed_run(prices_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", out,
                   "--figures", "none") == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def broken_report(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("eventstudy.output.report.html_report_builder", broken_report)
    with pytest.raises(RuntimeError, match="disk full"):
        run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", out,
                "--figures", "none", "--window", "0,1")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "prices"]


def test_console_script_errors_have_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "events.csv"
    bad.write_text("date,event\n2025-13-01,x\n")
    done = subprocess.run([sys.executable, "-m", "eventstudy.cli", "validate", str(bad)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"eventstudy: error: {bad}:2: column 'date': '2025-13-01' is not a "
                                   "calendar date; check the month and day (YYYY-MM-DD)")


def test_help_and_version_do_not_import_heavy_libraries() -> None:
    code = ("import sys\nfrom eventstudy.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('matplotlib', 'statsmodels', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "eventstudy run seeds/events.csv" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
    version = subprocess.run([sys.executable, "-m", "eventstudy.cli", "--version"], capture_output=True,
                             text=True, check=True)
    assert version.stdout.strip() == "eventstudy 0.1.0"


def test_summit_abnormal_return_from_the_command_line(shared_data: Path, prices_dir: Path,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--prices", prices_dir, "--assets", "IMOEX", "--out", out,
                   "--figures", "none") == 0
    ar = pd.read_csv(out / "abnormal_returns.csv", parse_dates=["date"])
    day0 = ar.query("event_id == 'SUMMIT_AGREED' and day == 0").iloc[0]
    # Independent computation: log close-to-close move minus the mean log return of the
    # 240 sessions from day -250 to day -11, straight from the candles file.
    closes = pd.read_csv(shared_data / "IMOEX_close_candles_2014_2026.csv", index_col="date",
                         parse_dates=True)["imoex"]
    log_returns = (closes.apply(math.log).diff()).dropna()
    at = log_returns.index.get_loc(pd.Timestamp("2025-08-07"))
    expected = math.log(2876.43 / 2764.62) - log_returns.iloc[at - 250: at - 10].mean()
    assert day0["ar"] == pytest.approx(expected, abs=1e-12)
    assert day0["ar"] == pytest.approx(0.0397, abs=5e-5)


def test_study_file_from_python_equals_the_command_line(shared_data: Path, tmp_path: Path) -> None:
    import eventstudy as es

    out = tmp_path / "out"
    assert run_cli("run", SEEDS, "--config", EXAMPLE, "--out", out, "--figures", "none") == 0
    results = es.EventStudy.from_file(EXAMPLE, SEEDS).run()
    from_cli = pd.read_csv(out / "car.csv")
    pd.testing.assert_series_equal(results.car["car"].reset_index(drop=True), from_cli["car"],
                                   check_exact=False, rtol=1e-13)
    assert repr(results).startswith("<Results: 9 events x IMOEX, RUBUSD, market model; 18 pairs")


def test_help_lists_every_command_without_importing_them() -> None:
    code = ("import sys, contextlib, io\nfrom eventstudy.cli.main import COMMANDS, main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
            "loaded = [m for m in sys.modules\n"
            "          if m.startswith('eventstudy.cli.') and m != 'eventstudy.cli.main']\n"
            "heavy = [m for m in ('pandas', 'numpy', 'matplotlib', 'statsmodels') if m in sys.modules]\n"
            "missing = [name for name in COMMANDS if name not in out.getvalue()]\n"
            "sys.exit(f'{loaded} {heavy} {missing}' if loaded or heavy or missing else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_command_help_loads_only_that_command() -> None:
    done = subprocess.run([sys.executable, "-m", "eventstudy.cli", "fetch", "--help"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and "--offline" in done.stdout


def test_skipped_pairs_on_stderr_are_grouped_and_capped(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The pairs of one event skipped for one reason share a line on stderr naming their
    assets, up to SKIPPED_LINES lines; the pairs left are counted and skipped.csv holds all."""
    from eventstudy.output.summary import SKIPPED_LINES

    # Days in the seed snapshot's first weeks: fewer than 100 estimation returns before them.
    early = pd.bdate_range("2020-06-01", periods=25)
    events = pd.DataFrame({"id": [f"EARLY{i:02d}" for i in range(len(early))] + ["SUMMIT"],
                           "date": [f"{d:%Y-%m-%d}" for d in early] + ["2025-08-07"],
                           "event": ["too early"] * len(early) + ["summit agreed"]})
    events.to_csv(tmp_path / "events.csv", index=False)
    out = tmp_path / "out"
    assert run_cli("run", tmp_path / "events.csv", "--config", REPO / "seeds" / "summer-2025.toml",
                   "--out", out, "--figures", "none", "--quiet") == 0
    skipped = pd.read_csv(out / "skipped.csv")
    assert len(skipped) == 2 * len(early) == 50  # IMOEX and RUBUSD for each early day
    # By hand: both assets of an early day share its reason (as few estimation returns).
    first = skipped[skipped["event_id"] == "EARLY00"]
    assert first["asset"].tolist() == ["IMOEX", "RUBUSD"] and first["reason"].nunique() == 1
    lines = capsys.readouterr().err.strip().splitlines()
    listed = [line for line in lines if line.startswith("eventstudy: skipped EARLY")]
    assert len(listed) == SKIPPED_LINES == 20
    assert listed[0] == f"eventstudy: skipped EARLY00 IMOEX, RUBUSD: {first['reason'].iloc[0]}"
    # One line per event and reason, in the table's order (an early day whose two series
    # lack different numbers of returns has two lines); the pairs of the others counted.
    groups = skipped.groupby(["event_id", "reason"], sort=False).size().head(SKIPPED_LINES)
    assert [line.split()[2] for line in listed] == [event for event, _ in groups.index]
    left = len(skipped) - int(groups.sum())
    assert left >= 10
    assert f"eventstudy: skipped {left} more pairs, each with its reason in {out / 'skipped.csv'}" in lines


def test_skipped_line_names_four_assets_and_counts_the_rest() -> None:
    from eventstudy.output.summary import skipped_lines

    skipped = pd.DataFrame({"event_id": ["A"] * 6 + ["B", "A"],
                            "asset": ["S1", "S2", "S3", "S4", "S5", "S6", "S1", "S7"],
                            "reason": ["gap"] * 6 + ["gap", "halt"]})
    assert skipped_lines(skipped) == (["A S1, S2, S3, S4 and 2 more: gap", "B S1: gap", "A S7: halt"], 0)
