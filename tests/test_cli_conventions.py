"""Command-line conventions: events from stdin, closed pipes, --quiet/--verbose, completion, tables."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.cli.main import COMMANDS, EXIT_BROKEN_PIPE
from eventstudy.cli.options import print_table
from eventstudy.errors import InputError
from eventstudy.events import load_events

pytest_plugins = ["conftest_sources"]  # fixtures: replay

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds" / "events.csv"
CLI = [sys.executable, "-m", "eventstudy.cli"]


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*CLI, *args], input=stdin, capture_output=True, check=False, cwd=REPO)


# -- events from standard input ------------------------------------------------------


def test_validate_reads_events_from_stdin() -> None:
    done = cli("validate", "-", stdin=SEEDS.read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("<stdin>: 9 events, 2021-06-16 to 2025-08-15; groups: ")


def test_stdin_errors_name_stdin_line_and_column() -> None:
    done = cli("validate", "-", stdin=b"date,event\n2025-08-07,ok\n03/04/2025,x\n")
    assert done.returncode == 2
    assert done.stderr.decode().startswith(
        "eventstudy: error: <stdin>:3: column 'date': cannot read the date '03/04/2025'")


def test_load_events_dash_and_open_files_equal_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = load_events(SEEDS).frame
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xef\xbb\xbf" + SEEDS.read_bytes()),
                                                       encoding="utf-8"))
    from_stdin = load_events("-")
    pd.testing.assert_frame_equal(from_stdin.frame, expected)
    assert from_stdin.path == "<stdin>"
    with SEEDS.open(encoding="utf-8") as handle:
        pd.testing.assert_frame_equal(load_events(handle).frame, expected)
    with pytest.raises(InputError, match=r"^x\.csv:2: column 'event': the event label is empty"):
        load_events(_named(io.StringIO("date,event\n2025-08-07,\n"), "x.csv"))


def _named(stream: io.StringIO, name: str) -> io.StringIO:
    stream.name = name  # type: ignore[attr-defined]
    return stream


# -- closed pipes --------------------------------------------------------------------


def big_events(tmp_path: Path) -> Path:
    """An events file whose verbose listing is far larger than a pipe's buffer (64 KiB)."""
    with SEEDS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(rows[0])
        for copy in range(300):
            for row in rows[1:]:
                writer.writerow([f"{row[0]}_{copy}", *row[1:]])
    return path


def test_a_closed_pipe_ends_quietly_with_141(tmp_path: Path) -> None:
    with subprocess.Popen([*CLI, "validate", "--verbose", str(big_events(tmp_path))],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()  # like `| head -1`: read a line, then go away
        process.stdout.close()
        error = process.stderr.read()
        assert process.wait(timeout=60) == EXIT_BROKEN_PIPE == 141
    assert first.startswith(str(tmp_path / "many.csv").encode() + b": 2700 events")
    assert error == b""  # no traceback, no "Exception ignored" line


def test_head_in_a_shell_pipeline(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    command = (f"{' '.join(CLI)} validate -v {big_events(tmp_path)} | head -n 2; "
               "echo \"status ${PIPESTATUS[0]}\"")
    done = subprocess.run([bash, "-c", command], capture_output=True, text=True, check=False, cwd=REPO)
    assert done.stdout.splitlines()[-1] == "status 141"
    assert len(done.stdout.splitlines()) == 3 and done.stderr == ""


# -- --quiet and --verbose -----------------------------------------------------------


def test_validate_quiet_and_verbose(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", "--quiet", str(SEEDS)]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["validate", "-v", str(SEEDS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    alaska = next(line for line in lines if line.startswith("ALASKA_SET "))
    # 21:00 New York (EDT) on 8 August is 01:00 UTC on 9 August.
    assert alaska.split()[1:4] == ["2025-08-08", "2025-08-09", "01:00"]
    assert len(lines) == 1 + 2 + 9  # summary, header and rule, nine events
    bad = tmp_path / "bad.csv"
    bad.write_text("date,event\n2025-08-07,\n", encoding="utf-8")
    assert main(["validate", "-q", str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"eventstudy: error: {bad}:2: column 'event'")


def test_quiet_and_verbose_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["assets", "-q", "-v"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_assets_quiet_and_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assets"]) == 0
    normal = capsys.readouterr().out
    assert main(["assets", "--quiet"]) == 0
    quiet = capsys.readouterr().out
    assert "default universe" in normal and "default universe" not in quiet
    assert quiet.strip() == normal.split("\n\n")[0].strip()
    assert main(["assets", "--verbose"]) == 0
    imoex = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("IMOEX"))
    assert imoex.endswith("board=SNDX engine=stock market=index")


def test_fetch_quiet_and_verbose(replay, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["fetch", "IMOEX", "RUBUSD", "--start", "2025-08-01", "--end", "2025-08-31",
              "--cache-dir", str(tmp_path / "cache")]
    out = tmp_path / "prices.csv"
    assert main([*common, "--csv", str(out), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    frame = pd.read_csv(out, index_col="date", parse_dates=True)
    assert frame.loc["2025-08-07", "IMOEX"] == 2876.43
    assert frame.loc["2025-08-07", "RUBUSD"] == 1 / 79.3847  # written with every digit
    assert main([*common, "--offline", "--verbose"]) == 0
    captured = capsys.readouterr()
    assert "IMOEX" in captured.out
    detail = captured.err.splitlines()
    assert detail[0].startswith("eventstudy: assets IMOEX, RUBUSD; 2025-08-01 to 2025-08-31; offline")
    assert detail[1].startswith(f"eventstudy: IMOEX: moex IMOEX from {replay.url}")
    assert detail[2].startswith(f"eventstudy: RUBUSD: cbr R01235 from {replay.url}")


# -- shell completion ----------------------------------------------------------------


def test_bash_completion_names_every_command_and_option() -> None:
    done = cli("completion", "bash")
    assert done.returncode == 0, done.stderr
    script = done.stdout.decode()
    for name in COMMANDS:
        assert name in script
    for option in ("--offline", "--quiet", "--verbose", "--config", "--figure-format", "--csv"):
        assert option in script


def test_bash_completes_commands_options_and_choices(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = tmp_path / "eventstudy.bash"
    script.write_bytes(cli("completion", "bash").stdout)

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        program = (f"source {script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
                   f"COMP_CWORD={len(words) - 1}\nCOMP_LINE={line!r}\nCOMP_POINT=${{#COMP_LINE}}\n"
                   f"_shtab_eventstudy eventstudy {words[-1]!r} {words[-2]!r}\n"
                   "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
        done = subprocess.run([bash, "-c", program], capture_output=True, text=True, check=True)
        return done.stdout.split()

    assert complete("eventstudy", "va") == ["validate"]
    assert complete("eventstudy", "fetch", "--of") == ["--offline"]
    assert complete("eventstudy", "completion", "") == ["bash", "zsh", "tcsh"]


def test_other_shells() -> None:
    zsh, tcsh = cli("completion", "zsh"), cli("completion", "tcsh")
    assert zsh.returncode == 0 and b"#compdef eventstudy" in zsh.stdout
    assert b"validate" in zsh.stdout and b"--offline" in zsh.stdout
    assert tcsh.returncode == 0 and b"complete eventstudy" in tcsh.stdout
    assert b"n/completion/(bash zsh tcsh)/" in tcsh.stdout


# -- tables for other programs -------------------------------------------------------


def table() -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": ["SUMMIT_AGREED", "DEADLINE"],
        "day0": pd.to_datetime(["2025-08-07", "2025-08-08"]),
        "car": [0.039274512345678912, float("nan")],
        "n": [1, 2],
    })


def test_print_table_csv(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(table(), "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["event_id", "day0", "car", "n"]
    assert rows[1][:2] + rows[1][3:] == ["SUMMIT_AGREED", "2025-08-07", "1"]
    assert float(rows[1][2]) == 0.039274512345678912  # every digit kept
    assert rows[2] == ["DEADLINE", "2025-08-08", "", "2"]


def test_print_table_json(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(table().set_index("event_id"), "json")
    records = json.loads(capsys.readouterr().out)
    assert records == [{"event_id": "SUMMIT_AGREED", "day0": "2025-08-07", "car": 0.039274512345678912,
                        "n": 1},
                       {"event_id": "DEADLINE", "day0": "2025-08-08", "car": None, "n": 2}]


def test_print_table_text_and_unknown_format(capsys: pytest.CaptureFixture[str]) -> None:
    print_table(table(), "text")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["event_id", "day0", "car", "n"]
    assert lines[1].split()[:2] == ["SUMMIT_AGREED", "2025-08-07"]
    with pytest.raises(ValueError, match="unknown table format 'xml'"):
        print_table(table(), "xml")


@pytest.mark.parametrize("flags, expected", [(["--quiet"], False), ([], None)])
def test_run_passes_quiet_to_the_live_price_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                flags: list[str], expected: bool | None) -> None:
    """``run --quiet`` never shows the live-data progress bar; otherwise it shows on a
    terminal only (``progress=None``)."""
    from eventstudy.errors import DataUnavailableError
    from eventstudy.sources import live

    seen: list[bool | None] = []

    def fake(*args: object, progress: bool | None = None, **kwargs: object) -> None:
        seen.append(progress)
        raise DataUnavailableError("stopped by the test")

    monkeypatch.setattr(live, "load_live_prices", fake)
    events = tmp_path / "events.csv"
    events.write_text("date,event,assets\n2025-08-07,summit,IMOEX\n")
    assert main(["run", str(events), "--out", str(tmp_path / "out"), *flags]) == 3
    assert seen == [expected]
