"""No traceback reaches a user: every command of the command line runs inside :func:`guarded`.

The project's own errors (:class:`WorkbookError`) already carry a German message; an error of
the operating system (disk full, no permission, a name too long) gets one from
:func:`xlsx.errors.environment_error`; anything else is a fault of this program and is said to
be one, with the exit code "nothing written".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from .xlsx.errors import WorkbookError, environment_error

# intended exits and the command line's own usage errors (its ClickException)
_PASS = (typer.Exit, typer.Abort, typer.BadParameter.__mro__[2], SystemExit, KeyboardInterrupt)


def user_message(exc: BaseException) -> str:
    """The German text shown for an error that ended a command."""
    if isinstance(exc, WorkbookError):
        return exc.message
    if isinstance(exc, OSError):
        return environment_error(exc).message
    if isinstance(exc, MemoryError):
        return ("Zu wenig Arbeitsspeicher für diese Datei. Bitte andere Programme schließen "
                "oder die Datei verkleinern und erneut versuchen.")
    if isinstance(exc, RecursionError):
        return ("Die Datei ist zu tief verschachtelt und wird nicht verarbeitet. Bitte in Excel "
                "öffnen, neu speichern und erneut versuchen.")
    return (f"Unerwarteter Programmfehler ({type(exc).__name__}). Bitte die Datei und diese "
            "Meldung an die Betreuung von xl-cseg geben.")


def guarded(func: Callable[..., Any], err: Console, exit_code: int) -> Callable[..., Any]:
    """``func`` with every error but an intended exit turned into a message on ``err`` and
    ``exit_code``."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except _PASS:
            raise
        except BaseException as exc:  # noqa: BLE001 - the one place that ends every command
            err.print(f"[red]Fehler:[/red] {escape(user_message(exc))}")
            raise typer.Exit(exit_code) from exc

    return run


def guard_commands(app: typer.Typer, err: Console, exit_code: int) -> None:
    """Wrap the callback of every command of ``app`` and of its sub-apps in :func:`guarded`."""
    for command in app.registered_commands:
        if command.callback is not None and not getattr(command.callback, "_guarded", False):
            command.callback = guarded(command.callback, err, exit_code)
            command.callback._guarded = True  # type: ignore[attr-defined]
    for group in app.registered_groups:
        if group.typer_instance is not None:
            guard_commands(group.typer_instance, err, exit_code)
