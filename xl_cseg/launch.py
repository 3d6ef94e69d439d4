"""The ``xl-cseg`` console entry: the workbook named on the command line starts being parsed
(:mod:`io.preload`) before the command line's heavy imports (pandas, typer, rich)."""

from __future__ import annotations

import sys

_READING_COMMANDS = frozenset({"segment", "validate"})
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


def main() -> None:  # pragma: no cover - console entry point
    workbook = workbook_argument(sys.argv[1:])
    if workbook is not None:
        from .io import preload

        preload.start(workbook)
    from .cli import main as cli_main

    cli_main()
