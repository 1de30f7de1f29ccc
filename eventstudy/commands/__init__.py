"""Subcommands of the ``eventstudy`` command line, one module each.

A module defines ``add_parser(subparsers)``, which registers its parser and sets
``handler=run`` as the default, and ``run(args) -> int``.
"""
