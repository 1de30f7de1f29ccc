"""Entry point of the ``eventstudy`` command and its lazy command table.

Each command lives in its own module under :mod:`eventstudy.cli` and exposes
``add_parser(subparsers)`` and ``run(args) -> int``. The table below names each
command's module and one-line summary, so ``eventstudy --help`` lists the commands
without importing any of them, and a run imports only the command it runs (pip's
``commands_dict`` pattern).

Exit codes (docs/cli.md): 0 success, 2 bad input, 3 data unavailable, 1 other, 141
when the reader of standard output went away (``eventstudy assets | head -3``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import NamedTuple

from eventstudy import __version__
from eventstudy.errors import DataUnavailableError, EventStudyWarning, InputError, print_warning


class CommandInfo(NamedTuple):
    """A command's module (under :mod:`eventstudy.cli`) and its one-line summary."""

    module: str
    summary: str


COMMANDS: dict[str, CommandInfo] = {
    "run": CommandInfo("run", "run a study and write the results folder"),
    "validate": CommandInfo("validate", "check an events file without running"),
    "fetch": CommandInfo("fetch", "download prices into the cache (and optionally a CSV)"),
    "assets": CommandInfo("assets", "list built-in assets with their source, symbol and observation time"),
    "report": CommandInfo("report", "re-render the report of a results folder"),
    "export": CommandInfo("export", "write the prices a study needs (and their provenance) to a CSV"),
    "convert-events": CommandInfo("convert", "convert a published event list (Bank of Russia decisions, "
                                  "dividend announcements) into an events file"),
    "completion": CommandInfo("completion", "print a shell completion script (bash, zsh, tcsh)"),
}

EXAMPLES = """\
examples:
  eventstudy run seeds/events.csv --prices prices/ --out results/
  eventstudy run seeds/events.csv --config study.toml --model market --benchmark SP500
  eventstudy validate seeds/events.csv
  cat events.csv | eventstudy validate -     ('-' reads the events from standard input)
  eventstudy run --help        (every option of a subcommand)
"""

EXIT_INPUT, EXIT_DATA = 2, 3  # 0 success; 1 an unexpected error (a bug)
# 128 + SIGPIPE: what a shell reports for a program cut off by a closed pipe (`yes | head`);
# the command did not finish its work (e.g. fetch's --csv is not written), so not 0.
EXIT_BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every command listed, only ``command``'s options loaded.

    ``command=None`` loads no command module (enough for ``--help``); ``"*"`` loads all.
    """
    parser = _Parser(
        prog="eventstudy",
        description="Measure how markets react to dated announcements.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"eventstudy {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, info in COMMANDS.items():
        if command in (name, "*"):
            importlib.import_module(f"eventstudy.cli.{info.module}").add_parser(subparsers)
        else:
            subparsers.add_parser(name, help=info.summary, add_help=False)
    return parser


def _command_name(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: its first argument that is not an option."""
    for token in argv:
        if not token.startswith("-"):
            return token if token in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` console script; returns the exit code.

    A closed standard output (``eventstudy assets | head -3``) ends the command
    quietly with :data:`EXIT_BROKEN_PIPE`, without a traceback, as the Python
    documentation recommends (note on SIGPIPE in the ``signal`` module).
    """
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # here, so a closed pipe is seen now and not at interpreter exit
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE


def _discard_stdout() -> None:
    """Point standard output at the null device, so Python's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):  # an in-memory stdout (tests) has no descriptor
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _main(argv: Sequence[str] | None) -> int:
    arguments = _attach_negative_values(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(_command_name(arguments))
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default", EventStudyWarning)
            warnings.showwarning = print_warning
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
