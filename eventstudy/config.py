"""The TOML study file: assets, their files, and study options.

Example::

    [study]
    assets = ["IMOEX", "RUBUSD"]
    model = "market"
    benchmark = "SP500"
    estimation = [-250, -11]
    windows = [[0, 0], [-1, 1], [0, 5]]

    [assets.RUBUSD]
    file = "data/USDRUB_cbr.csv"   # relative to this file
    column = "usdrub_cbr"
    invert = true                  # RUBUSD = 1 / USDRUB
    dated_by = "effective"         # Bank of Russia files: re-date to the day the rate was set

Command-line flags override the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from eventstudy.assets import Asset, resolve_asset
from eventstudy.errors import ConfigError
from eventstudy.sources.cbr import EFFECTIVE_LAG

STUDY_KEYS = {"assets", "model", "benchmark", "returns", "estimation", "windows", "event_window",
              "min_estimation", "exclude_event_windows", "events", "prices"}
ASSET_KEYS = {"file", "column", "invert", "dated_by", "observed_at", "timezone", "source", "symbol",
              "units", "description", "board", "market", "engine"}
DATED_BY = ("observation", "effective")


@dataclass(frozen=True)
class AssetFile:
    """A local file bound to an asset by the study file."""

    path: Path
    column: str | None = None
    invert: bool = False
    dated_by: str = "observation"


@dataclass
class StudyFile:
    """The parsed study file: study options, asset overrides and asset files."""

    path: Path | None = None
    study: dict[str, Any] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    files: dict[str, AssetFile] = field(default_factory=dict)


def load_study_file(path: str | Path) -> StudyFile:
    """Parse and check a TOML study file.

    Raises
    ------
    ConfigError
        For a missing file, TOML syntax errors (with line and column), unknown keys
        or invalid values, naming the key and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError("no such study file" if not path.exists() else "is not a file", path=path,
                          fix="give the path of a .toml study file")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", path=path, fix="save the study file as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"invalid TOML: {error}", path=path,
                          fix="check the quoting and brackets on that line") from None
    unknown = set(document) - {"study", "assets"}
    if unknown:
        raise ConfigError(f"unknown section(s) {', '.join(sorted(unknown))}", path=path,
                          fix="use [study] and [assets.NAME]")
    study = dict(document.get("study", {}))
    _check_keys(study, STUDY_KEYS, "[study]", path)
    for key in ("events", "prices"):
        if key in study:
            study[key] = str((path.parent / study[key]).resolve())
    result = StudyFile(path=path, study=study)
    for name, spec in document.get("assets", {}).items():
        if not isinstance(spec, dict):
            raise ConfigError(f"[assets.{name}] must be a table", path=path,
                              fix=f"write it as [assets.{name}] followed by key = value lines")
        _check_keys(spec, ASSET_KEYS, f"[assets.{name}]", path)
        result.assets[name] = _asset(name, spec, path)
        if "file" in spec:
            dated_by = spec.get("dated_by", "observation")
            if dated_by not in DATED_BY:
                raise ConfigError(f"[assets.{name}] dated_by = {dated_by!r} is not valid", path=path,
                                  fix=f"use one of {', '.join(DATED_BY)}")
            result.files[name] = AssetFile(path=(path.parent / spec["file"]).resolve(),
                                           column=spec.get("column"),
                                           invert=bool(spec.get("invert", False)), dated_by=dated_by)
    return result


def _check_keys(table: dict[str, Any], allowed: set[str], where: str, path: Path) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))} in {where}", path=path,
                          fix=f"valid keys: {', '.join(sorted(allowed))}")


def _asset(name: str, spec: dict[str, Any], path: Path) -> Asset:
    try:
        base = resolve_asset(name)
    except ConfigError:
        base = Asset(name, spec.get("source", "file"), spec.get("symbol", name))
    changes: dict[str, Any] = {}
    for key in ("source", "symbol", "units", "description"):
        if key in spec:
            changes[key] = str(spec[key])
    if "invert" in spec:
        changes["invert"] = bool(spec["invert"])
    if "observed_at" in spec:
        changes["observed_at"] = _clock(spec["observed_at"], name, path)
    if "timezone" in spec:
        try:
            ZoneInfo(spec["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"[assets.{name}] unknown time zone {spec['timezone']!r}", path=path,
                              fix="use an IANA name such as Europe/Moscow") from None
        changes["timezone"] = spec["timezone"]
    options = {k: str(spec[k]) for k in ("board", "market", "engine") if k in spec}
    if options:
        changes["options"] = {**base.options, **options}
    return base.replace(**changes)


def _clock(value: object, name: str, path: Path) -> time:
    try:
        hour, minute = (int(part) for part in str(value).split(":"))
        return time(hour, minute)
    except ValueError:
        raise ConfigError(f"[assets.{name}] observed_at = {value!r} is not a time", path=path,
                          fix="write it as \"HH:MM\" in the asset's time zone") from None


def effective_to_set_date(series: pd.Series) -> pd.Series:
    """Re-date a Bank of Russia series from the day each rate took effect to the day it was set.

    A rate set on day D takes effect on the next calendar day, so the set day is the
    effective date minus one day; the live source applies the same rule (see
    :mod:`eventstudy.sources.cbr`, which checks it against the full 2014-2026 history).
    """
    moved = series.copy()
    moved.index = pd.DatetimeIndex(series.index, name=series.index.name) - EFFECTIVE_LAG
    return moved
