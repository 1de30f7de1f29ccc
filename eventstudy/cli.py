"""The ``eventstudy`` command.

Each subcommand lives in its own module under :mod:`eventstudy.commands` and exposes
``add_parser(subparsers)`` and ``run(args) -> int``. Modules are imported only when
needed, so ``eventstudy --help`` stays fast (no matplotlib or statsmodels import).

Exit codes (DESIGN section 6): 0 success, 2 bad input, 3 data unavailable, 1 other.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import TextIO

from eventstudy import __version__
from eventstudy.errors import DataUnavailableError, EventStudyWarning, InputError

# Subcommand name -> module under eventstudy.commands.
COMMANDS: dict[str, str] = {
    "run": "run",
    "validate": "validate",
    "fetch": "fetch",
    "assets": "assets",
    "report": "report",
}

EXAMPLES = """\
examples:
  eventstudy run seeds/events.csv --prices prices/ --out results/
  eventstudy run seeds/events.csv --config study.toml --model market --benchmark SP500
  eventstudy validate seeds/events.csv
  eventstudy run --help        (every option of a subcommand)
"""

EXIT_INPUT, EXIT_DATA = 2, 3  # 0 success; 1 an unexpected error (a bug)


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every available subcommand."""
    parser = _Parser(
        prog="eventstudy",
        description="Measure how markets react to dated announcements.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"eventstudy {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMANDS.values():
        module = _command_module(module_name)
        if module is not None:
            module.add_parser(subparsers)
    return parser


def _command_module(module_name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"eventstudy.commands.{module_name}")
    except ModuleNotFoundError as error:
        if error.name == f"eventstudy.commands.{module_name}":
            return None
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(_attach_negative_values(list(sys.argv[1:] if argv is None else argv)))
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default", EventStudyWarning)
            warnings.showwarning = _show_warning
            return int(args.handler(args))
    except InputError as error:
        print(f"eventstudy: error: {error}", file=sys.stderr)
        return EXIT_INPUT
    except DataUnavailableError as error:
        print(f"eventstudy: data unavailable: {error}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("eventstudy: interrupted", file=sys.stderr)
        return 130


WINDOW_OPTIONS = ("--estimation", "--window", "--event-window")


def _attach_negative_values(argv: list[str]) -> list[str]:
    """Join ``--window -1,1`` into ``--window=-1,1`` so argparse does not read ``-1,1`` as an option."""
    joined: list[str] = []
    for token in argv:
        previous = joined[-1] if joined else ""
        if previous in WINDOW_OPTIONS and token[:2].lstrip("-")[:1].isdigit() and token.startswith("-"):
            joined[-1] = f"{previous}={token}"
        else:
            joined.append(token)
    return joined


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """Print warnings as one plain line, without source location."""
    print(f"eventstudy: warning: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
