"""Events file loading and validation (docs/events-file.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from eventstudy.errors import InputError
from eventstudy.events import check_events, load_events

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "events.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_seed_events_load_with_groups_and_times() -> None:
    events = load_events(REPO / "seeds" / "events.csv")
    frame = events.frame.set_index("id")
    assert len(events) == 9
    assert frame.loc["SUMMIT_AGREED", "date"] == pd.Timestamp("2025-08-07")
    assert pd.isna(frame.loc["SUMMIT_AGREED", "announced"])
    # 21:00 in New York on 8 August 2025 (EDT, UTC-4) is 01:00 UTC on 9 August.
    assert frame.loc["ALASKA_SET", "announced"] == pd.Timestamp("2025-08-09T01:00Z")
    assert set(frame["group"]) == {"diplomacy", "sanctions", "trade", "war"}


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_and_bom(tmp_path: Path, delimiter: str) -> None:
    text = delimiter.join(["date", "event", "group"]) + "\n" + delimiter.join(
        ["2025-08-07", "Summit agreed", "diplomacy"]) + "\n"
    events = load_events(write(tmp_path, "\ufeff" + text))
    assert events.frame.loc[0, "event"] == "Summit agreed"
    assert events.ids == ["E1"]


def test_default_ids_follow_file_order_and_metadata_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "date,event,analyst\n2025-08-06,A,anna\n2025-08-07,B,boris\n")
    frame = load_events(path).frame
    assert list(frame["id"]) == ["E1", "E2"]
    assert list(frame["analyst"]) == ["anna", "boris"]


def test_offset_datetime_and_time_zone_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "id,date,time,timezone,event\n"
                           "A,2025-08-07T15:30+03:00,,,x\n"
                           "B,2025-08-07,15:30,Europe/Moscow,y\n")
    frame = load_events(path).frame.set_index("id")
    assert frame.loc["A", "announced"] == pd.Timestamp("2025-08-07T12:30Z")
    assert frame.loc["B", "announced"] == pd.Timestamp("2025-08-07T12:30Z")


def test_assets_column_is_split(tmp_path: Path) -> None:
    frame = load_events(write(tmp_path, "date,event,assets\n2025-08-07,x,IMOEX; RUBUSD\n")).frame
    assert frame.loc[0, "assets"] == ("IMOEX", "RUBUSD")


def test_dataframe_input() -> None:
    frame = pd.DataFrame({"date": ["2025-08-07"], "event": ["x"]})
    assert load_events(frame).frame.loc[0, "date"] == pd.Timestamp("2025-08-07")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,event\n03/04/2025,x\n", r"events\.csv:2: column 'date': cannot read the date '03/04/2025'; "
                                       r"it is ambiguous .* 2025-04-03 or 2025-03-04"),
        ("date,event\n07.08.2025,x\n", r":2: column 'date': .*write it as ISO YYYY-MM-DD: 2025-08-07"),
        ("date,event\n2025-02-30,x\n", r":2: column 'date': '2025-02-30' is not a calendar date"),
        ("date,event,time\n2025-08-07,x,15:30\n", r":2: column 'timezone': time '15:30' is given without"),
        ("date,event,time,timezone\n2025-08-07,x,25:00,UTC\n", r":2: column 'time': cannot read the time"),
        ("date,event,timezone\n2025-08-07,x,Moscow/Europe\n", r":2: column 'timezone': unknown time zone"),
        ("id,date,event\nA,2025-08-07,x\nA,2025-08-08,y\n", r":3: column 'id': duplicate id 'A' "
                                                            r"\(first used on line 2\)"),
        ("date,event\n2025-08-07,\n", r":2: column 'event': the event label is empty"),
        ("date,label\n2025-08-07,x\n", r":1: missing required column\(s\) event"),
        ("date,event\n", r"header but no events"),
        ("", r"the file is empty"),
        ('date,event\n2025-08-07,"unclosed\n', r"broken CSV quoting"),
        ("date,event\n2025-08-07,x,extra\n", r":2: 3 fields but the header has 2"),
    ],
)
def test_bad_files_name_line_column_and_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_events(write(tmp_path, text))


def test_binary_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a text file"):
        load_events(write(tmp_path, "date,event\n\x00\x01", name="bin.csv"))
    path = tmp_path / "latin.csv"
    path.write_bytes("date,event\n2025-08-07,Sommet à Genève\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin\.csv:2: is not valid UTF-8"):
        load_events(path)


def test_missing_path_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_events(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder"):
        load_events(tmp_path)


def test_check_events_lists_every_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "date,event\n03/04/2025,x\n2025-08-07,\n2025-08-08,ok\n")
    events, problems = check_events(path)
    assert events is None
    assert [p.line for p in problems] == [2, 3]
    with pytest.raises(InputError, match=r"1 more problem\(s\)"):
        load_events(path)


def test_the_canonical_frame_and_a_filtered_copy_load_back() -> None:
    events = load_events(REPO / "seeds" / "events.csv")
    again = load_events(events.frame)
    pd.testing.assert_frame_equal(again.frame, events.frame)
    summer = events.frame[events.frame["date"] >= "2025-01-01"]
    assert load_events(summer).ids == events.ids[2:]


def test_select_keeps_file_order_and_rejects_unknown_ids() -> None:
    events = load_events(REPO / "seeds" / "events.csv")
    assert events.select(["ALASKA", "WITKOFF"]).ids == ["WITKOFF", "ALASKA"]
    with pytest.raises(InputError, match="no event with id NOPE; known ids: GENEVA21"):
        events.select(["NOPE"])


def test_dataframe_with_timestamps() -> None:
    frame = pd.DataFrame({"date": pd.to_datetime(["2025-08-07"]), "event": ["x"]})
    assert load_events(frame).frame.loc[0, "date"] == pd.Timestamp("2025-08-07")


def _row_by_row(source, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``load_events`` with the column-wise path turned off (every row parsed alone)."""
    import eventstudy.events as events_module

    with monkeypatch.context() as patch:
        patch.setattr(events_module, "_validate_plain", lambda *args: None)
        return events_module.load_events(source)


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"date": ["2025-01-02", " 2025-01-03"], "event": ["a", "b "], "assets": ["X; Y", ""],
                  "group": ["g", None], "note": ["1", ""]}),
    pd.DataFrame({"id": ["A.1", ""], "date": ["2025-01-02", "2025-01-03"], "event": ["a", "b"],
                  "description": ["", "long, text"], "source": [None, "tass.ru"], "amount": [3, 4.5]}),
    pd.DataFrame({"date": pd.to_datetime(["2025-01-02", "2025-01-03"]), "event": ["a", "b"]}),
])
def test_plain_files_are_read_column_wise_into_the_same_events(frame: pd.DataFrame,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import eventstudy.events as events_module

    calls = []
    plain = events_module._validate_plain
    monkeypatch.setattr(events_module, "_validate_plain", lambda *args: calls.append(1) or plain(*args))
    fast = load_events(frame)
    assert calls and plain(*_plain_args(frame)) is not None  # the column-wise path was taken
    slow = _row_by_row(frame, monkeypatch)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.line_numbers == slow.line_numbers
    assert fast.frame["assets"].tolist()[0] in (("X", "Y"), None)


def _plain_args(frame: pd.DataFrame):  # type: ignore[no-untyped-def]
    from eventstudy.events import _cell_text, _check_header

    header = [str(c) for c in frame.columns]
    rows = [(i + 2, [_cell_text(v) for v in row]) for i, row in enumerate(frame.itertuples(index=False))]
    return _check_header(header, None, 1), rows, None


@pytest.mark.parametrize("text, message", [
    ("date,event,time,timezone\n2025-08-07,x,13:30,Europe/Moscow\n", None),  # a time: row by row
    ("date,event\n2025-02-30,x\n", "not a calendar date"),
    ("id,date,event\nA,2025-01-02,x\nA,2025-01-03,y\n", "duplicate id 'A'"),
    ("date,event\n07.08.2025,x\n", "cannot read the date"),
])
def test_files_that_are_not_plain_are_validated_row_by_row(tmp_path: Path, text: str,
                                                           message: str | None) -> None:
    from eventstudy.events import _check_header, _read_csv, _validate_plain

    path = tmp_path / "events.csv"
    path.write_text(text)
    header, rows = _read_csv(path)
    assert _validate_plain(_check_header(header, str(path), 1), rows, str(path)) is None
    if message is None:
        assert load_events(path).frame["announced"].notna().all()
    else:
        with pytest.raises(InputError, match=message) as error:
            load_events(path)
        assert error.value.line == 2 + (message.startswith("duplicate"))
