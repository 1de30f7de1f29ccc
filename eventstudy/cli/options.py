"""Options every command shares, and how commands print (conventions: ``docs/cli.md``).

- ``-q/--quiet`` and ``-v/--verbose`` (:func:`add_output_options`): quiet silences
  progress bars and information lines (``eventstudy: wrote ...``), keeping errors,
  warnings and the data a command exists to print; verbose adds detail (the resolved
  settings, each series fetched). Commands read the level with :func:`verbosity` and
  print through :func:`info` and :func:`detail`, which write to standard error so
  standard output carries only data.
- ``--format text|csv|json`` (:func:`add_format_option`) and :func:`print_table` for
  commands whose output is a table.

This module imports neither pandas nor any command, so parsers stay cheap to build.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from eventstudy.spec import Layer


class Verbosity(IntEnum):
    """How much a command prints besides its data and its errors."""

    QUIET = 0
    NORMAL = 1
    VERBOSE = 2


TABLE_FORMATS = ("text", "csv", "json")


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Add ``-q/--quiet`` and ``-v/--verbose`` (mutually exclusive) to a command's parser."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=Verbosity.QUIET,
                       help="print only errors, warnings and the command's data (no progress, "
                            "no information lines)")
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const",
                       const=Verbosity.VERBOSE,
                       help="print more detail (resolved settings, each series read or fetched)")
    parser.set_defaults(verbosity=Verbosity.NORMAL)


def verbosity(args: argparse.Namespace) -> Verbosity:
    """The level chosen on the command line (normal when the command has no such option)."""
    return Verbosity(getattr(args, "verbosity", Verbosity.NORMAL))


def info(args: argparse.Namespace, message: str) -> None:
    """An information line on standard error, unless ``--quiet``."""
    if verbosity(args) >= Verbosity.NORMAL:
        print(f"eventstudy: {message}", file=sys.stderr)


def detail(args: argparse.Namespace, message: str) -> None:
    """A detail line on standard error, only with ``--verbose``."""
    if verbosity(args) >= Verbosity.VERBOSE:
        print(f"eventstudy: {message}", file=sys.stderr)


def show_progress(args: argparse.Namespace) -> bool | None:
    """The ``progress`` argument of the live loaders: off when quiet, else automatic (a terminal)."""
    return False if verbosity(args) is Verbosity.QUIET else None


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    """Add ``-j/--jobs N``: processes drawing the figures (default: every core)."""
    parser.add_argument("-j", "--jobs", type=_positive_int, metavar="N",
                        help="processes drawing the figures at once (default: every core; 1: no "
                             "worker processes)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, at least 1, not {text!r}")
    return value


def jobs(args: argparse.Namespace) -> int:
    """``--jobs``, or every core this process may use."""
    chosen = getattr(args, "jobs", None)
    if chosen:
        return int(chosen)
    from eventstudy.output.figures.drawing import available_cores

    return available_cores()


def add_setting_arguments(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    """A flag for each study setting in ``names`` (default: all of :data:`eventstudy.spec.SETTINGS`),
    with the registry's help; values stay text until the spec checks them (:func:`flag_layer`)."""
    from eventstudy.spec import SETTINGS

    for name in names or SETTINGS:
        setting = SETTINGS[name]
        if setting.default is False:
            parser.add_argument(setting.flag, action="store_true", default=None, help=setting.help)
        elif name == "windows":
            parser.add_argument("--window", action="append", dest="windows", metavar=setting.metavar,
                                help=setting.help + "; repeatable")
        else:
            parser.add_argument(setting.flag, dest=name, metavar=setting.metavar, help=setting.help)


def flag_layer(args: argparse.Namespace) -> Layer:
    """The settings given on the command line, as a spec layer whose errors name the flag."""
    from eventstudy.spec import SETTINGS, Layer

    values = {name: getattr(args, name) for name in SETTINGS if getattr(args, name, None) is not None}
    return Layer(values, lambda name: "--window" if name == "windows" else SETTINGS[name].flag)


def add_format_option(parser: argparse.ArgumentParser, default: str = "text",
                      extra: Mapping[str, str] | None = None) -> None:
    """Add ``--format text|csv|json`` for a command that prints a table on standard output;
    ``extra`` adds choices, each with its help text."""
    extra = extra or {}
    parser.add_argument("--format", choices=[*TABLE_FORMATS, *extra], default=default, dest="format",
                        help=f"how to print the table on standard output (default: {default}); "
                             "csv and json are for other programs"
                             + "".join(f"; {name}: {text}" for name, text in extra.items()))


def print_table(frame: pd.DataFrame, fmt: str) -> None:
    """Print a table on standard output as ``text``, ``csv`` or ``json``.

    Parameters
    ----------
    frame
        The table. A ``RangeIndex`` is left out; any other index is written as columns.
    fmt
        ``text`` (aligned columns), ``csv`` (comma-separated, empty cells for missing
        values) or ``json`` (an array of one object per row, ``null`` for missing
        values); csv and json numbers read back as the same floats.

    Notes
    -----
    Dates without a time of day are written ``YYYY-MM-DD``, other instants in ISO
    8601. The text is flushed before returning, so a reader that closed the pipe
    (``| head``) raises ``BrokenPipeError`` here, which the command line's ``main``
    turns into a quiet exit (code 141).

    Raises
    ------
    ValueError
        For an unknown ``fmt``.
    """
    import pandas as pd

    if fmt not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {fmt!r}; use one of {', '.join(TABLE_FORMATS)}")
    table = frame if isinstance(frame.index, pd.RangeIndex) else frame.reset_index()
    table = table.copy()
    for name in table.columns:
        column = table[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(column):
            is_day = column.dropna().eq(column.dropna().dt.normalize()).all()
            table[name] = column.map(lambda t, d=is_day: None if pd.isna(t) else (
                f"{t:%Y-%m-%d}" if d else t.isoformat()))
    if fmt == "csv":
        text = table.to_csv(index=False, lineterminator="\n")
    elif fmt == "json":
        records = table.astype(object).where(table.notna(), None).to_dict("records")
        text = json.dumps(records, ensure_ascii=False, allow_nan=False, default=str) + "\n"
    else:
        text = table.to_string(index=False) + "\n"
    sys.stdout.write(text)
    sys.stdout.flush()
