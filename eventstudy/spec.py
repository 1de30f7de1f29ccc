"""The study specification: every setting of a study, its default and its check, in one place.

A :class:`StudySpec` is frozen. It is built through one path, :meth:`StudySpec.from_layers`,
from any number of layers of raw values (the TOML study file's ``[study]`` table, the
command line's flags, keyword arguments), later layers overriding earlier ones. Each
raw value is checked by its :class:`Setting`, and an error names where the value came
from (``study.toml: [study] estimation``, ``--window``, ``windows=``). The spec writes
itself to ``study.json`` (:meth:`StudySpec.to_dict`) and reads itself back
(:meth:`StudySpec.from_dict`).

The checks are those of CONVENTIONS 4 (validate once, at the boundary): inner code
trusts a spec.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from eventstudy.errors import ConfigError
from eventstudy.models.registry import MODELS, get_model
from eventstudy.timing.assets import Asset
from eventstudy.timing.bars import INTERVALS

Window = tuple[int, int]

DAY0_RULE = ("first session whose observation time is at or after the announcement; "
             "a bare date means that day if the asset trades then, else its next session")
RETURN_KINDS = ("log", "simple")
SAME_DAY_PRICES = ("error", "last")
FIGURE_CHOICES = ("all", "summary", "none")
FIGURE_FORMATS = ("png", "svg", "pdf")
MEASURES = ("returns", "volume", "volatility")
LAGGED_MODELS = ("market", "factor")  # models whose benchmark returns are OLS regressors (Dimson lags)


# -- parsers: raw value (TOML, flag text or Python) -> checked value ------------------------------


def _fail(where: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{where}: {problem}", fix=fix)


def parse_names(value: object, where: str) -> tuple[str, ...]:
    """Asset names from a list or a comma-separated string, blanks dropped."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: Iterable[object] = value.split(",")
    elif isinstance(value, Sequence):
        items = value
    else:
        raise _fail(where, f"{value!r} is not a list of names", 'write e.g. ["IMOEX", "RUBUSD"]')
    names = []
    for item in items:
        if not isinstance(item, str):
            raise _fail(where, f"{item!r} is not a name", "write names as text, e.g. \"IMOEX\"")
        if item.strip():
            names.append(item.strip())
    return tuple(names)


def parse_model(value: object, where: str) -> str:
    """A registered model name."""
    if not isinstance(value, str) or value not in MODELS:
        raise _fail(where, f"unknown model {value!r}", f"use one of {', '.join(MODELS)}")
    return value


def parse_return_kind(value: object, where: str) -> str:
    """``log`` or ``simple``."""
    if value not in RETURN_KINDS:
        raise _fail(where, f"unknown return kind {value!r}", f"use one of {', '.join(RETURN_KINDS)}")
    return str(value)


def parse_window(value: object, where: str) -> Window:
    """A ``(start, end)`` pair of whole numbers, from ``[-1, 1]``, ``(-1, 1)`` or ``"-1,1"``."""
    parts: Sequence[object]
    if isinstance(value, str):
        parts = value.replace(":", ",").split(",")
    elif isinstance(value, Sequence):
        parts = value
    else:
        parts = ()
    numbers = []
    for part in parts:
        if isinstance(part, bool) or isinstance(part, float) and not part.is_integer():
            break
        try:
            numbers.append(int(part))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            break
    if len(parts) != 2 or len(numbers) != 2:
        raise _fail(where, f"{value!r} is not a pair of whole numbers",
                    "write it as START,END in trading days, e.g. -1,1")
    start, end = numbers
    if start > end:
        raise _fail(where, f"[{start}, {end}] starts after it ends",
                    "write it as START,END with START <= END")
    return start, end


def parse_windows(value: object, where: str) -> tuple[Window, ...]:
    """One or more windows; a single ``"0,5"`` or ``[0, 5]`` counts as one window."""
    if isinstance(value, str) or (isinstance(value, Sequence) and len(value) == 2
                                  and all(isinstance(v, int | str) for v in value)
                                  and not all(isinstance(v, str) and "," in v for v in value)):
        windows: tuple[Window, ...] = (parse_window(value, where),)
    elif isinstance(value, Sequence):
        windows = tuple(parse_window(w, where) for w in value)
    else:
        raise _fail(where, f"{value!r} is not a list of windows", "write e.g. [[0, 0], [-1, 1]]")
    if not windows:
        raise _fail(where, "no CAR window given", "give at least one, e.g. 0,0")
    return windows


def _whole_number(value: object, where: str, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _fail(where, f"{value!r} is not a whole number", f"write e.g. {example}")
    try:
        return int(value)
    except ValueError:
        raise _fail(where, f"{value!r} is not a whole number", f"write e.g. {example}") from None


def parse_min_estimation(value: object, where: str) -> int:
    """A whole number of at least 3."""
    number = _whole_number(value, where, 100)
    if number < 3:
        raise _fail(where, f"minimum estimation observations {number} is too small",
                    "use at least 3 (the default is 100)")
    return number


def parse_days(value: object, where: str) -> int:
    """A whole, non-negative number of calendar days."""
    number = _whole_number(value, where, 7)
    if number < 0:
        raise _fail(where, f"{number} days is negative", "give a number of calendar days, 0 or more")
    return number


def parse_jump_ratio(value: object, where: str) -> float:
    """A price ratio above 1 (a move by that factor up, or its inverse down)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(where, f"{value!r} is not a number", "give a factor above 1, e.g. 3")
    try:
        ratio = float(value)
    except ValueError:
        raise _fail(where, f"{value!r} is not a number", "give a factor above 1, e.g. 3") from None
    if not ratio > 1:
        raise _fail(where, f"{value!r} is not above 1", "give a factor above 1, e.g. 3 (x3 up or x1/3 down)")
    return ratio


def parse_same_day_prices(value: object, where: str) -> str:
    """``error`` or ``last``: what to do with several prices on one date of a daily file."""
    if value not in SAME_DAY_PRICES:
        raise _fail(where, f"unknown choice {value!r}", f"use one of {', '.join(SAME_DAY_PRICES)}")
    return str(value)


def parse_flag(value: object, where: str) -> bool:
    """A true boolean: ``true``/``false`` in TOML, ``True``/``False`` in Python.

    A string such as ``"false"`` is refused rather than read as true.
    """
    if not isinstance(value, bool):
        raise _fail(where, f"{value!r} is not a boolean", "write true or false (without quotes)")
    return value


def parse_interval(value: object, where: str) -> str:
    """A bar interval of :data:`eventstudy.timing.bars.INTERVALS` (``1d``: a daily study)."""
    if value not in INTERVALS:
        raise _fail(where, f"unknown interval {value!r}", f"use one of {', '.join(INTERVALS)}")
    return str(value)


def parse_optional_path(value: object, where: str) -> str | None:
    """A path as text, or ``None``."""
    if value is None:
        return None
    if not isinstance(value, str | Path):
        raise _fail(where, f"{value!r} is not a path", "write the path as text")
    return str(value)


def parse_measure(value: object, where: str) -> str:
    """``returns``, ``volume`` or ``volatility``: what ``ar`` and ``car`` measure."""
    if value not in MEASURES:
        raise _fail(where, f"unknown measure {value!r}", f"use one of {', '.join(MEASURES)}")
    return str(value)


def parse_optional_text(value: object, where: str) -> str | None:
    """A non-blank text (a column name, a formula), or ``None``."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"{value!r} is not a text", "write it as text, e.g. \"car ~ C(group)\"")
    return value.strip()


def parse_lags(value: object, where: str) -> int:
    """Dimson lags of the benchmarks: a whole number from 0 to 5."""
    number = _whole_number(value, where, 1)
    if not 0 <= number <= 5:
        raise _fail(where, f"{number} lags is outside 0..5", "use 0 (no lag), 1 or 2")
    return number


def parse_optional_window(value: object, where: str) -> Window | None:
    """A window, or ``None``."""
    return None if value is None else parse_window(value, where)


@dataclass(frozen=True)
class Setting:
    """One study setting: its name, default, check and help text.

    ``name`` is the keyword argument, the TOML key in ``[study]`` and, with dashes, the
    command-line flag (``min_estimation`` -> ``--min-estimation``).
    """

    name: str
    default: Any
    parse: Callable[[object, str], Any]
    help: str
    metavar: str | None = None

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--min-estimation``."""
        return "--" + self.name.replace("_", "-")


SETTINGS: dict[str, Setting] = {s.name: s for s in [
    Setting("assets", (), parse_names, "asset names to study (default: every price column that is not "
            "a benchmark, or IMOEX,RUBUSD when fetching)", "NAMES"),
    Setting("model", "constant-mean", parse_model, "normal-return model: " + ", ".join(MODELS), "NAME"),
    Setting("benchmark", (), parse_names, "benchmark asset(s) for the market, market-adjusted, factor and "
            "garch models, e.g. SP500 or BRENT,EEM", "NAMES"),
    Setting("returns", "log", parse_return_kind, "return kind: log (default) or simple", "KIND"),
    Setting("estimation", (-250, -11), parse_window, "estimation window in trading days relative to day 0 "
            "(default -250,-11)", "START,END"),
    Setting("windows", ((0, 0), (-1, 1), (0, 5)), parse_windows, "CAR windows (default 0,0 -1,1 0,5)",
            "START,END"),
    Setting("event_window", (-10, 10), parse_window, "window of the AR table and charts (default -10,10)",
            "START,END"),
    Setting("min_estimation", 100, parse_min_estimation, "minimum estimation returns per pair; pairs with "
            "fewer are skipped (default 100)", "N"),
    Setting("exclude_event_windows", False, parse_flag, "drop other events' windows from each estimation "
            "window"),
    Setting("one_per_day", False, parse_flag, "aggregate tests on one observation per asset and day 0: pairs "
            "that share a day 0 are averaged into one (the ids collapsed are listed)"),
    Setting("max_day0_gap", 7, parse_days, "most calendar days from an announcement to its day 0; a pair "
            "whose next session is further away (a gap in the prices) is skipped (default 7)", "DAYS"),
    Setting("max_window_gap", 10, parse_days, "calendar days between two sessions above which a window is "
            "flagged as spanning a gap in the prices, e.g. a trading halt (default 10)", "DAYS"),
    Setting("skip_window_gaps", False, parse_flag, "skip pairs whose event window spans such a gap "
            "instead of flagging them"),
    Setting("max_price_jump", 3.0, parse_jump_ratio, "skip pairs whose estimation or event window holds a "
            "move between two sessions' prices by more than this factor, up or down: an unadjusted split or "
            "consolidation (default 3)", "RATIO"),
    Setting("splits", None, parse_optional_path, "folder of split files, <ASSET>.csv with date,before,after "
            "(as panel/moex_splits): each asset's prices before a split are multiplied by before/after",
            "DIR"),
    Setting("max_benchmark_age", 4, parse_days, "flag pairs whose event window uses a benchmark value older "
            "than this many days (default 4)", "DAYS"),
    Setting("same_day_prices", "error", parse_same_day_prices, "several prices on one date in a daily price "
            "file: error (default) or keep the last of the day", "CHOICE"),
    Setting("interval", "1d", parse_interval, "bar interval: 1min, 5min, 10min, 1h or 1d (default 1d, "
            "a daily study); windows count bars", "INTERVAL"),
    Setting("measure", "returns", parse_measure, "what ar and car measure: returns (default), volume "
            "(abnormal log volume, Campbell & Wasley 1996) or volatility (adds Beaver's variance ratio)",
            "MEASURE"),
    Setting("volume_column", None, parse_optional_text, "volume column of the price files for measure "
            "volume (default: VALUE or VOLUME for ISS, Volume for Yahoo, value or volume in the panel)",
            "COLUMN"),
    Setting("lags", 0, parse_lags, "Dimson (1979) lags of the benchmark returns in the market and factor "
            "models, for benchmarks that close after the asset (default 0)", "N"),
    Setting("bhar_window", None, parse_optional_window, "long-horizon buy-and-hold window, written to "
            "bhar.csv (default: every CAR window longer than 21 days)", "START,END"),
    Setting("regress", None, parse_optional_text, "cross-sectional regression of the first window's CARs "
            "on the events' columns, e.g. \"car ~ C(group)\", written to regression.csv", "FORMULA"),
    Setting("cache_dir", None, parse_optional_path, "cache folder for live data (default: the user cache "
            "folder)", "DIR"),
    Setting("offline", False, parse_flag, "use only cached live data"),
    Setting("refresh", False, parse_flag, "fetch live data again, replacing cached values"),
]}

# Settings that describe where live data comes from, not the study; not in the TOML file.
SOURCE_SETTINGS = ("cache_dir", "offline", "refresh")


@dataclass(frozen=True)
class Layer:
    """Raw setting values from one origin, e.g. a study file's ``[study]`` table.

    ``label`` turns a setting name into the place it came from for error messages:
    ``"study.toml: [study] windows"``, ``"--window"`` or ``"windows="``.
    """

    values: Mapping[str, Any]
    label: Callable[[str], str]


def keyword_layer(values: Mapping[str, Any]) -> Layer:
    """Keyword arguments of the Python API; ``None`` values are left out."""
    return Layer({k: v for k, v in values.items() if v is not None}, lambda name: f"{name}=")


@dataclass(frozen=True)
class StudySpec:
    """Every setting of a study, checked and frozen.

    Attributes
    ----------
    assets
        Asset names to study (empty until resolved against the prices: every price
        column that is not a benchmark, or the default universe when fetching).
    model
        Normal-return model name (:data:`eventstudy.models.MODELS`).
    benchmark
        Benchmark asset names of the model.
    returns
        ``log`` or ``simple``.
    estimation, event_window
        Windows in trading days relative to day 0.
    windows
        CAR windows.
    min_estimation
        Minimum estimation returns per pair.
    exclude_event_windows
        Drop other events' windows from each estimation window.
    one_per_day
        Run the aggregate tests on one observation per asset and day 0.
    max_day0_gap, max_window_gap, skip_window_gaps, max_benchmark_age
        Gaps in the prices: the most calendar days from an announcement to day 0 (further
        is skipped), the gap between sessions that flags (or with ``skip_window_gaps``
        skips) a window, and the age of a benchmark value that flags a window.
    max_price_jump, splits
        Splits: the factor between two sessions' prices above which a pair whose window
        holds it is skipped (an unadjusted split), and a folder of split files to adjust
        the prices with.
    same_day_prices
        ``error`` or ``last``: several prices on one date of a daily file.
    interval
        Bar interval (``1d``: trading days; else intraday bars, :mod:`eventstudy.timing.bars`).
    measure, volume_column
        What ``ar`` and ``car`` measure (``returns``, ``volume``, ``volatility``) and the
        volume column of the price files for ``volume``.
    lags
        Dimson (1979) lags of the benchmark returns.
    bhar_window
        Long-horizon buy-and-hold window (``bhar.csv``).
    regress
        Cross-sectional regression formula (``regression.csv``).
    asset_overrides
        Asset definitions that replace the catalogue's (from ``[assets.NAME]`` tables).
    cache_dir, offline, refresh
        Options of the live sources.

    Raises
    ------
    ConfigError
        For any invalid value or inconsistent combination, naming the setting and the fix.

    Examples
    --------
    >>> spec = StudySpec(model="market", benchmark=("SP500",), windows=((0, 0), (-1, 1)))
    >>> spec.span
    (-10, 10)
    """

    assets: tuple[str, ...] = ()
    model: str = "constant-mean"
    benchmark: tuple[str, ...] = ()
    returns: str = "log"
    estimation: Window = (-250, -11)
    windows: tuple[Window, ...] = ((0, 0), (-1, 1), (0, 5))
    event_window: Window = (-10, 10)
    min_estimation: int = 100
    exclude_event_windows: bool = False
    one_per_day: bool = False
    max_day0_gap: int = 7
    max_window_gap: int = 10
    skip_window_gaps: bool = False
    max_benchmark_age: int = 4
    max_price_jump: float = 3.0
    splits: str | None = None
    same_day_prices: str = "error"
    interval: str = "1d"
    measure: str = "returns"
    volume_column: str | None = None
    lags: int = 0
    bhar_window: Window | None = None
    regress: str | None = None
    cache_dir: str | None = None
    offline: bool = False
    refresh: bool = False
    asset_overrides: Mapping[str, Asset] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for name, setting in SETTINGS.items():
            object.__setattr__(self, name, setting.parse(getattr(self, name), f"{name}="))
        object.__setattr__(self, "asset_overrides", types.MappingProxyType(dict(self.asset_overrides)))
        get_model(self.model).check_benchmarks(list(self.benchmark))
        if self.lags and self.model not in LAGGED_MODELS:
            raise ConfigError(f"lags = {self.lags} needs a model with benchmark regressors, "
                              f"not {self.model!r}",
                              fix=f"use --model {' or '.join(LAGGED_MODELS)}, or lags = 0")
        _check_window_order(self.estimation, self.event_window, self.windows)
        if self.splits is not None and self.interval != "1d":
            raise ConfigError(f"splits = {self.splits} adjusts daily prices, not {self.interval} bars",
                              fix="adjust the bar files for their splits, and leave splits out")

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_layers(cls, *layers: Layer, asset_overrides: Mapping[str, Asset] | None = None) -> StudySpec:
        """The spec from layers of raw values, later layers winning; each value checked
        with the label of the layer it came from.

        Raises
        ------
        ConfigError
            For an unknown setting or an invalid value, naming its origin.
        """
        values: dict[str, Any] = {}
        for layer in layers:
            for name, raw in layer.values.items():
                if name not in SETTINGS:
                    raise ConfigError(f"{layer.label(name)}: unknown setting",
                                      fix=f"valid settings: {', '.join(SETTINGS)}")
                values[name] = SETTINGS[name].parse(raw, layer.label(name))
        return cls(**values, asset_overrides=asset_overrides or {})

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> StudySpec:
        """The spec written by :meth:`to_dict` (the ``settings`` of ``study.json``)."""
        values = {name: record[name] for name in SETTINGS if name in record}
        overrides = {name: _asset_from_dict(name, fields)
                     for name, fields in (record.get("asset_overrides") or {}).items()}
        return cls.from_layers(Layer(values, lambda name: f"study.json settings.{name}"),
                               asset_overrides=overrides)

    def replace(self, **changes: Any) -> StudySpec:
        """A copy with some settings changed (and checked again)."""
        return dataclasses.replace(self, **changes)

    # -- derived -----------------------------------------------------------------------------

    @property
    def span(self) -> Window:
        """Relative days computed per pair: the event window and every CAR window."""
        starts = [self.event_window[0]] + [w[0] for w in self.windows]
        ends = [self.event_window[1]] + [w[1] for w in self.windows]
        return min(starts), max(ends)

    def to_dict(self) -> dict[str, Any]:
        """The settings as written to ``study.json`` (JSON types only)."""
        record: dict[str, Any] = {}
        for name in SETTINGS:
            value = getattr(self, name)
            if name in ("estimation", "event_window") or name == "bhar_window" and value is not None:
                value = list(value)
            elif name == "windows":
                value = [list(w) for w in value]
            elif isinstance(value, tuple):
                value = list(value)
            record[name] = value
        record["asset_overrides"] = {name: _asset_to_dict(a) for name, a in self.asset_overrides.items()}
        record["day0_rule"] = DAY0_RULE
        return record


def _asset_to_dict(asset: Asset) -> dict[str, Any]:
    fields = dataclasses.asdict(asset)
    fields["observed_at"] = None if asset.observed_at is None else f"{asset.observed_at:%H:%M}"
    return fields


def _asset_from_dict(name: str, fields: Mapping[str, Any]) -> Asset:
    values = dict(fields)
    if values.get("observed_at"):
        hour, minute = (int(p) for p in str(values["observed_at"]).split(":"))
        values["observed_at"] = time(hour, minute)
    values["name"] = name
    return Asset(**values)


def _check_window_order(estimation: Window, event_window: Window, windows: Sequence[Window]) -> None:
    for name, window in [("event window", event_window)] + [("CAR window", w) for w in windows]:
        if estimation[1] >= window[0]:
            raise ConfigError(
                f"the estimation window [{estimation[0]}, {estimation[1]}] overlaps the {name} "
                f"[{window[0]}, {window[1]}]",
                fix=f"end the estimation window before day {window[0]} (e.g. --estimation "
                    f"{estimation[0]},{window[0] - 1})")
