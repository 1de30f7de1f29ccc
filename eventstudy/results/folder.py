"""The results folder on disk: writing it safely and atomically, and reading it back.

A results folder holds the tables (``abnormal_returns.csv``, ``car.csv``,
``aggregate.csv``, ``skipped.csv``), ``study.json`` (the spec, the provenance and the
report options), ``events.csv`` (the validated events), ``prices.csv`` (each asset's
prices over the study span, for the timeline), then the figures and the report, and a
marker file, ``.eventstudy``, which says that eventstudy wrote it.

Safety rules (``docs/outputs.md``): a destination is written only if it does not
exist, is an empty folder, or is a previous results folder of ours (it has the
marker); it must not be, or contain, one of the study's inputs. Everything is written
into a staging folder beside it and moved into place only when complete, so a failure
leaves the previous folder as it was. Staging folders left by an interrupted run are
removed on the next save.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.events import Events
from eventstudy.results.csvfile import write_csv
from eventstudy.sources.base import SHA256_DEFINITION, SeriesProvenance
from eventstudy.spec import StudySpec

MARKER = ".eventstudy"
MARKER_TEXT = "This folder was written by eventstudy; 'eventstudy run --out' may replace it.\n"
TABLES = ("abnormal_returns", "car", "aggregate", "skipped")
REQUIRED_FILES = ("study.json", *(f"{t}.csv" for t in TABLES), "events.csv")
TEXT_COLUMNS = ("flags", "note", "group", "reason", "description", "source")
#: Tables written only when the study computes them (``Results.extra_tables``).
OPTIONAL_TABLES = ("regression", "bhar", "synthetic")


@dataclass(frozen=True)
class FolderContents:
    """What a results folder holds, besides the figures and the report."""

    spec: StudySpec
    events: Events
    provenance: tuple[SeriesProvenance, ...]
    prices: Mapping[str, pd.Series]
    car: pd.DataFrame
    aggregate: pd.DataFrame
    skipped: pd.DataFrame
    abnormal_returns: pd.DataFrame
    diagnostics: Mapping[str, Any]
    version: str
    report_options: Mapping[str, Any] | None = None
    extra_tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)


def study_record(contents: FolderContents) -> dict[str, Any]:
    """The content of ``study.json``."""
    n_pairs = contents.car[["event_id", "asset"]].drop_duplicates().shape[0] if len(contents.car) else 0
    return {
        "eventstudy_version": contents.version,
        "events_file": contents.events.path,
        "settings": contents.spec.to_dict(),
        "provenance": [_provenance_record(p) for p in contents.provenance],
        "sha256_definition": SHA256_DEFINITION,
        "events": len(contents.events),
        "pairs": n_pairs,
        "skipped": len(contents.skipped),
        "diagnostics": dict(contents.diagnostics),
    }


def _provenance_record(provenance: SeriesProvenance) -> dict[str, Any]:
    """One series' provenance; the intraday-only ``url`` and ``interval`` only when set."""
    record = asdict(provenance)
    for key in ("url", "interval"):
        if record[key] is None:
            del record[key]
    return record


# -- writing ------------------------------------------------------------------------------------


def input_paths(events: Events, provenance: Iterable[SeriesProvenance]) -> list[Path]:
    """The files a study reads: the events file and the local price files."""
    paths = [Path(p.path) for p in provenance if p.path]
    if events.path:
        paths.append(Path(events.path))
    return paths


def check_destination(out: Path, inputs: Iterable[Path] = ()) -> None:
    """Refuse a destination that is a file, a folder not written by eventstudy, an input or
    a folder holding an input, or a place that cannot be written; call it before computing.

    Raises
    ------
    InputError
        Saying what is wrong with ``out`` and how to choose another.
    """
    fix = "choose another --out folder"
    if out.exists() and not out.is_dir():
        raise InputError("is a file, not a folder", path=out, fix=f"{fix}; the file was left as it was")
    target = out.resolve()
    for path in inputs:
        source = Path(path).resolve()
        if source == target or target in source.parents:
            raise InputError(f"the output folder would hold the input {path}", path=out,
                             fix=f"{fix} outside the inputs")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise InputError("is a folder that eventstudy did not write (it has files and no "
                         f"{MARKER} marker); nothing in it was changed", path=out,
                         fix=f"{fix}, or empty this one")
    parent = _existing_ancestor(target.parent)
    if not parent.is_dir():
        raise InputError(f"{parent} is a file, so no folder can be made under it", path=out,
                         fix=f"{fix} under an existing folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write into {parent}", path=out, fix=f"{fix} where you may write")


def write_folder(out: Path, contents: FolderContents, report_options: Mapping[str, Any],
                 render: Callable[[Path, Callable[[], None]], None], inputs: Iterable[Path] = ()) -> Path:
    """Write the tables, ``study.json``, events and prices, and the figures and report, into a
    staging folder, and move it to ``out`` when complete.

    ``render(folder, write_tables)`` draws the figures and writes the report; it calls
    ``write_tables`` once, before the report (while worker processes draw figures).

    Raises
    ------
    InputError
        If ``out`` is not a safe destination (:func:`check_destination`) or cannot be written.
    """
    check_destination(out, inputs)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(out)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    except OSError as error:
        raise InputError(f"cannot write results: {error.strerror or error}", path=out,
                         fix="choose another --out folder where you may write") from None
    try:
        (staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        written: list[bool] = []

        def write_tables() -> None:
            _write_contents(staging, contents, report_options)
            written.append(True)

        render(staging, write_tables)
        if written != [True]:
            raise RuntimeError("render must write the tables exactly once")
        _replace_folder(staging, out)
    except OSError as error:
        raise InputError(f"cannot write results: {error.strerror or error}", path=out,
                         fix="free some space or choose another --out folder") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out


def _write_contents(folder: Path, contents: FolderContents, report_options: Mapping[str, Any]) -> None:
    tables = {"abnormal_returns": contents.abnormal_returns, "car": contents.car,
              "aggregate": contents.aggregate, "skipped": contents.skipped}
    tables.update({name: contents.extra_tables[name] for name in OPTIONAL_TABLES
                   if name in contents.extra_tables})
    for name, table in tables.items():
        write_csv(table, folder / f"{name}.csv", date_format="%Y-%m-%d")
    record = study_record(contents)
    record["report"] = dict(report_options)
    (folder / "study.json").write_text(json.dumps(record, indent=2, default=_json_default) + "\n",
                                       encoding="utf-8")
    write_events(contents.events.frame, folder / "events.csv")
    if contents.prices:
        wide = pd.concat(contents.prices, axis=1, sort=True)
        wide.index.name = "date"
        # Intraday prices keep their UTC instants (a bar per row), daily ones their dates.
        daily = contents.spec.interval == "1d"
        wide.to_csv(folder / "prices.csv", date_format="%Y-%m-%d" if daily else None, float_format="%.10g")


def write_events(events: pd.DataFrame, path: Path) -> None:
    """The validated events as CSV (``assets`` joined by ``;``, ``announced`` in UTC ISO)."""
    frame = events.copy()
    frame["assets"] = frame["assets"].map(lambda v: ";".join(v) if isinstance(v, tuple | list) else "")
    frame["announced"] = frame["announced"].map(lambda v: "" if pd.isna(v) else pd.Timestamp(v).isoformat())
    frame["date"] = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False)


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _remove_leftovers(out: Path) -> None:
    """Staging and replaced folders of an interrupted earlier save (they carry our marker)."""
    for pattern in (f".{out.name}.staging-*", f".{out.name}.old-*"):
        for leftover in out.parent.glob(pattern):
            if leftover.is_dir() and (leftover / MARKER).is_file():
                shutil.rmtree(leftover, ignore_errors=True)


def _replace_folder(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``; an existing ``out`` is removed only after the move."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, out)


def _json_default(value: object) -> object:
    if isinstance(value, np.integer | np.floating):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


# -- reading ------------------------------------------------------------------------------------


def read_folder(folder: Path) -> FolderContents:
    """Read a results folder written by :func:`write_folder`.

    Raises
    ------
    InputError
        If ``folder`` is not a complete results folder.
    """
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if not folder.is_dir() or missing:
        raise InputError(f"is not an eventstudy results folder (missing "
                         f"{', '.join(missing) if folder.is_dir() else 'the folder'})", path=folder,
                         fix="give the --out folder of 'eventstudy run'")
    try:
        record = json.loads((folder / "study.json").read_text(encoding="utf-8"))
        spec = StudySpec.from_dict(record["settings"])
        provenance = tuple(SeriesProvenance(**p) for p in record["provenance"])
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"is not a study record ({error})", path=folder / "study.json",
                         fix="re-run 'eventstudy run' to write it") from None
    prices: dict[str, pd.Series] = {}
    if (folder / "prices.csv").is_file():
        wide = pd.read_csv(folder / "prices.csv", index_col="date", parse_dates=["date"])
        prices = {str(c): wide[c].dropna() for c in wide.columns}
    options = record.get("report")
    return FolderContents(
        spec=spec, events=_read_events(folder / "events.csv", record.get("events_file")),
        provenance=provenance, prices=prices, car=_read_table(folder / "car.csv"),
        aggregate=_read_table(folder / "aggregate.csv"), skipped=_read_table(folder / "skipped.csv"),
        # intraday dates keep their text (local time with offset; offsets differ across DST)
        abnormal_returns=_read_table(folder / "abnormal_returns.csv",
                                     dates=["date"] if spec.interval == "1d" else []),
        diagnostics=record.get("diagnostics") or {}, version=str(record.get("eventstudy_version", "")),
        report_options=options if isinstance(options, dict) else None,
        extra_tables={name: _read_table(folder / f"{name}.csv") for name in OPTIONAL_TABLES
                      if (folder / f"{name}.csv").is_file()})


def _read_table(path: Path, dates: Sequence[str] = ()) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=True)
    for column in dates:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    for column in TEXT_COLUMNS:
        if column in frame:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return frame


def _read_events(path: Path, events_file: str | None) -> Events:
    frame = _read_table(path, dates=["date"])
    frame["id"] = frame["id"].astype(str)
    frame["announced"] = pd.to_datetime(frame["announced"].where(frame["announced"].astype(str) != ""),
                                        utc=True, format="ISO8601")
    frame["assets"] = frame["assets"].map(
        lambda v: tuple(v.split(";")) if isinstance(v, str) and v else None).astype(object)
    return Events(frame=frame, path=events_file)
