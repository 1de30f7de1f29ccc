"""``eventstudy completion SHELL``: print a static shell completion script (with ``shtab``).

The script is generated from the full argument parser, so it knows every command and
option; it is static, so the shell does not start Python to complete. Install it once
(see ``docs/cli.md``), e.g. for bash::

    eventstudy completion bash > ~/.local/share/bash-completion/completions/eventstudy
"""

from __future__ import annotations

import argparse
from typing import Any

from eventstudy.cli.options import add_output_options

SHELLS = ("bash", "zsh", "tcsh")
HELP = "print a shell completion script (bash, zsh, tcsh)"
EPILOG = """\
install:
  bash: eventstudy completion bash > ~/.local/share/bash-completion/completions/eventstudy
  zsh:  eventstudy completion zsh > ~/.zfunc/_eventstudy   (with fpath+=~/.zfunc before compinit)
  tcsh: eventstudy completion tcsh > ~/.eventstudy.tcsh; add 'source ~/.eventstudy.tcsh' to ~/.tcshrc"""
# Arguments that name files or folders, by destination: completed as paths.
FILE_ARGUMENTS = frozenset({"events", "prices", "config", "csv", "out"})
FOLDER_ARGUMENTS = frozenset({"cache_dir", "out_dir"})


def add_parser(subparsers: Any) -> None:
    """Register ``completion``."""
    parser = subparsers.add_parser("completion", help=HELP, description=HELP.capitalize() + ".",
                                   epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    add_output_options(parser)  # accepted like everywhere; the script is the command's data
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the script for ``args.shell`` on standard output; return 0."""
    import shtab

    from eventstudy.cli.main import build_parser

    parser = build_parser("*")
    for subparser in _subparsers(parser):
        for action in subparser._actions:
            if action.dest in FILE_ARGUMENTS:
                action.complete = shtab.FILE  # type: ignore[attr-defined]
            elif action.dest in FOLDER_ARGUMENTS:
                action.complete = shtab.DIRECTORY  # type: ignore[attr-defined]
    print(shtab.complete(parser, shell=args.shell))
    return 0


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every command's parser."""
    return [choice for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for choice in action.choices.values()]
