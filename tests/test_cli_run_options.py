"""``eventstudy run``'s conventions: --format csv|json on stdout, --quiet, --verbose, --title,
events from standard input, and --help for every command."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO_ROOT

from eventstudy.cli.main import COMMANDS, main

SEEDS = REPO_ROOT / "seeds" / "events.csv"
STUDY = REPO_ROOT / "seeds" / "summer-2025.toml"


def run(*args: object) -> int:
    return main([str(a) for a in args])


def test_format_json_prints_the_car_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run("run", SEEDS, "--config", STUDY, "--out", out, "--figures", "none", "--format", "json",
               "-q") == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    car = pd.read_csv(out / "car.csv", keep_default_na=False)
    assert len(rows) == len(car) and list(rows[0]) == list(car.columns)
    assert [r["car"] for r in rows] == pytest.approx(car["car"].tolist(), abs=0, rel=1e-15)
    assert "wrote" not in captured.err


def test_format_csv_equals_car_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run("run", SEEDS, "--config", STUDY, "--out", out, "--figures", "none", "--format", "csv") == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    pd.testing.assert_frame_equal(printed, pd.read_csv(out / "car.csv"))


def test_quiet_prints_no_summary_and_verbose_prints_the_settings(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run("run", SEEDS, "--config", STUDY, "--out", tmp_path / "q", "--figures", "none", "-q") == 0
    quiet = capsys.readouterr()
    assert quiet.out == "" and "wrote" not in quiet.err
    assert run("run", SEEDS, "--config", STUDY, "--out", tmp_path / "v", "--figures", "none", "-v") == 0
    verbose = capsys.readouterr()
    assert "Cumulative abnormal returns" in verbose.out
    assert "settings: " in verbose.err and "IMOEX: file" in verbose.err and "wrote" in verbose.err


def test_title_names_the_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("run", SEEDS, "--config", STUDY, "--out", out, "--figures", "none", "-q",
               "--title", "Summer 2025 & the summit") == 0
    assert "<title>Summer 2025 &amp; the summit</title>" in (out / "report.html").read_text(encoding="utf-8")
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# Summer 2025 & the summit\n")
    assert run("report", out, "-q") == 0  # re-rendering keeps the title
    assert "<title>Summer 2025 &amp; the summit</title>" in (out / "report.html").read_text(encoding="utf-8")


def test_run_reads_events_from_standard_input(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "eventstudy.cli", "run", "-", "--config", str(STUDY),
                           "--figures", "none", "--format", "csv", "-q"],
                          input=SEEDS.read_text(encoding="utf-8"), capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "eventstudy-results" / "stdin" / "car.csv").is_file()
    printed = pd.read_csv(io.StringIO(done.stdout))
    assert set(printed["event_id"]) == set(pd.read_csv(SEEDS)["id"])


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_takes_quiet_and_verbose(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--quiet" in text and "--verbose" in text
