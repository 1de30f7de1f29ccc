"""The TOML study file: study settings, asset definitions and asset files.

Example::

    [study]
    assets = ["IMOEX", "RUBUSD"]
    model = "market"
    benchmark = "EEM"
    estimation = [-250, -11]
    windows = [[0, 0], [-1, 1], [0, 5]]

    [assets.RUBUSD]
    file = "data/USDRUB_cbr.csv"   # relative to this file
    column = "usdrub_cbr"
    invert = true                  # RUBUSD = 1 / USDRUB
    dated_by = "effective"         # Bank of Russia files: re-date to the day the rate was set

``[study]`` holds any setting of :data:`eventstudy.spec.SETTINGS` (except the live-data
options) plus ``events`` and ``prices`` paths; it becomes one :class:`~eventstudy.spec.Layer`
of the spec, so its values are checked exactly as keyword arguments and flags are,
with errors naming the file and the key. Types are strict: a boolean must be a TOML
boolean (``invert = "false"`` is refused, not read as true). A UTF-8 byte-order mark
is accepted. Command-line flags and keyword arguments override the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventstudy.errors import ConfigError, UnknownAssetError
from eventstudy.sources.local import DATED_BY, AssetFile
from eventstudy.spec import SETTINGS, SOURCE_SETTINGS, Layer
from eventstudy.timing.assets import Asset, resolve_asset
from eventstudy.timing.bars import check_bar_keys

PATH_KEYS = ("events", "prices")
STUDY_KEYS = tuple(name for name in SETTINGS if name not in SOURCE_SETTINGS) + PATH_KEYS
TEXT_ASSET_KEYS = ("file", "column", "dated_by", "observed_at", "timezone", "source", "symbol", "units",
                   "description", "board", "market", "engine", "bar_label", "session", "shift",
                   "volume_column")
ASSET_KEYS = (*TEXT_ASSET_KEYS, "invert")


@dataclass(frozen=True)
class StudyFile:
    """A parsed study file.

    Attributes
    ----------
    path
        The file.
    settings
        The ``[study]`` settings as a spec layer (paths excluded).
    events, prices
        The ``events`` and ``prices`` paths of ``[study]``, resolved against the file's folder.
    assets
        Asset definitions from ``[assets.NAME]`` (catalogue entries with the file's changes).
    files
        Local files bound to assets by ``[assets.NAME] file = ...``.
    """

    path: Path
    settings: Layer
    events: Path | None = None
    prices: Path | None = None
    assets: dict[str, Asset] = field(default_factory=dict)
    files: dict[str, AssetFile] = field(default_factory=dict)


def load_study_file(path: str | Path) -> StudyFile:
    """Parse and check a TOML study file.

    Raises
    ------
    ConfigError
        For a missing file, TOML syntax errors (with line and column), unknown keys or
        values of the wrong type, naming the file, the key and the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError("no such study file" if not path.exists() else "is not a file", path=path,
                          fix="give the path of a .toml study file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", path=path, fix="save the study file as UTF-8") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"invalid TOML: {error}", path=path,
                          fix="check the quoting and brackets on that line") from None
    unknown = set(document) - {"study", "assets"}
    if unknown:
        raise ConfigError(f"unknown section(s) {', '.join(sorted(unknown))}", path=path,
                          fix="use [study] and [assets.NAME]")
    study = _table(document.get("study", {}), "[study]", path)
    _check_keys(study, STUDY_KEYS, "[study]", path)
    paths = {key: _path_value(study.pop(key), path, f"[study] {key}") for key in PATH_KEYS if key in study}
    if "splits" in study:  # a setting, and a path relative to this file
        study["splits"] = str(_path_value(study["splits"], path, "[study] splits"))
    assets: dict[str, Asset] = {}
    files: dict[str, AssetFile] = {}
    for name, spec in _table(document.get("assets", {}), "[assets]", path).items():
        where = f"[assets.{name}]"
        spec = _table(spec, where, path)
        _check_keys(spec, ASSET_KEYS, where, path)
        _check_types(spec, where, path)
        assets[name] = _asset(name, spec, path)
        if "file" in spec:
            dated_by = spec.get("dated_by", "observation")
            if dated_by not in DATED_BY:
                raise ConfigError(f"{where} dated_by = {dated_by!r} is not valid", path=path,
                                  fix=f"use one of {', '.join(DATED_BY)}")
            files[name] = AssetFile(path=_path_value(spec["file"], path, f"{where} file"),
                                    column=spec.get("column"), invert=spec.get("invert", False),
                                    dated_by=dated_by, volume_column=spec.get("volume_column"))
    return StudyFile(path=path, settings=Layer(study, lambda key: f"{path}: [study] {key}"),
                     events=paths.get("events"), prices=paths.get("prices"), assets=assets, files=files)


def _table(value: Any, where: str, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table", path=path,
                          fix=f"write it as {where} followed by key = value lines")
    return dict(value)


def _check_keys(table: dict[str, Any], allowed: tuple[str, ...], where: str, path: Path) -> None:
    unknown = set(table) - set(allowed)
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))} in {where}", path=path,
                          fix=f"valid keys: {', '.join(sorted(allowed))}")


def _check_types(spec: dict[str, Any], where: str, path: Path) -> None:
    for key, value in spec.items():
        if key == "invert" and not isinstance(value, bool):
            raise ConfigError(f"{where} invert = {value!r} is not a boolean", path=path,
                              fix="write invert = true or invert = false (without quotes)")
        if key in TEXT_ASSET_KEYS and not isinstance(value, str):
            raise ConfigError(f"{where} {key} = {value!r} is not text", path=path,
                              fix=f'write it in quotes, e.g. {key} = "..."')


def _path_value(value: Any, path: Path, where: str) -> Path:
    if not isinstance(value, str):
        raise ConfigError(f"{where} = {value!r} is not a path", path=path, fix="write the path in quotes")
    return (path.parent / value).resolve()


def _asset(name: str, spec: dict[str, Any], path: Path) -> Asset:
    try:
        base = resolve_asset(name)
    except UnknownAssetError:
        base = Asset(name, spec.get("source", "file"), spec.get("symbol", name))
    changed = ("source", "symbol", "units", "description", "invert", "bar_label", "session", "shift")
    changes: dict[str, Any] = {key: spec[key] for key in changed if key in spec}
    if "observed_at" in spec:
        changes["observed_at"] = _clock(spec["observed_at"], name, path)
    if "timezone" in spec:
        try:
            ZoneInfo(spec["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"[assets.{name}] unknown time zone {spec['timezone']!r}", path=path,
                              fix="use an IANA name such as Europe/Moscow") from None
        changes["timezone"] = spec["timezone"]
    check_bar_keys(spec, f"[assets.{name}]", path)
    options = {k: spec[k] for k in ("board", "market", "engine") if k in spec}
    if options:
        changes["options"] = {**base.options, **options}
    return base.replace(**changes)


def _clock(value: str, name: str, path: Path) -> time:
    try:
        hour, minute = (int(part) for part in value.split(":"))
        return time(hour, minute)
    except ValueError:
        raise ConfigError(f"[assets.{name}] observed_at = {value!r} is not a time", path=path,
                          fix="write it as \"HH:MM\" in the asset's time zone") from None
