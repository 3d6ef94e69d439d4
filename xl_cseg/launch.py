"""The ``xl-cseg`` console entry: the workbook named on the command line starts being parsed
(:mod:`io.preload`) before the command line's heavy imports (pandas, typer, rich), and a big
one that is written gets its sheet scans from a helper process (:mod:`io.prescan`)."""

from __future__ import annotations

import os
import sys

_READING_COMMANDS = frozenset({"segment", "validate"})
_WRITING_COMMANDS = frozenset({"segment"})
_VALUE_OPTIONS = frozenset({"--out", "-o"})


def workbook_argument(args: list[str]) -> str | None:
    """The workbook argument of a command that reads one (None for other commands)."""
    if not args or args[0] not in _READING_COMMANDS:
        return None
    rest = iter(args[1:])
    for arg in rest:
        if arg in _VALUE_OPTIONS:
            next(rest, None)
        elif not arg.startswith("-"):
            return arg
    return None


PRESCAN_MIN_BYTES = 1_000_000
"""Workbooks from this file size on get the sheet scans of :mod:`io.prescan` in a helper
process (for smaller ones starting it costs more than it saves)."""


def start_reading(args: list[str]) -> None:
    """Start reading the workbook the command line names, if the command reads one: the
    preload thread, and for a big workbook that is written the helper process of the scans."""
    workbook = workbook_argument(args)
    if workbook is None:
        return
    from .io import preload, prescan

    preload.start(workbook)
    if args[0] in _WRITING_COMMANDS and _size(workbook) >= PRESCAN_MIN_BYTES:
        prescan.start(workbook)


def main() -> None:  # pragma: no cover - console entry point
    start_reading(sys.argv[1:])
    from .cli import main as cli_main

    cli_main()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
