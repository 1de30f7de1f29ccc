"""The ``eventstudy`` command line: one module per command, imported only when it runs.

:mod:`eventstudy.cli.main` holds the lazy command table (as pip's
``commands_dict``), the entry point and the exit codes; each command module defines
``add_parser(subparsers)`` and ``run(args) -> int``.
"""

from eventstudy.cli.main import main

__all__ = ["main"]
