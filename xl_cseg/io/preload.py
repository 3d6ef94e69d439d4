"""Start reading a workbook while the rest of the program is still being imported.

A daemon thread opens the package (with its safety checks), inflates its biggest worksheet and
lets fastexcel parse it; inflating and parsing run without the GIL, so for a customer sheet of
100,000 rows most of a second passes while pandas, typer and rich are imported in the main
thread. Only light modules are needed here (no pandas). :class:`io.source.FileSource` claims the
package of the same, unchanged file as soon as it is open, and runs its own scans of the sheet
while fastexcel is still parsing; anything else (no big sheet, an error, a changed file) leaves
the work to the normal read, which also reports the errors.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..xlsx.package import Package
from ..xlsx.safezip import file_stamp, open_package
from . import fastgrid


@dataclass
class Preloaded:
    """The opened package and, when it has a big worksheet, that sheet being parsed by
    fastexcel with the ``skip`` columns left out."""

    stamp: tuple[str, int, int]
    package: Package
    sheet: str | None = None
    skip: frozenset[int] = frozenset()
    loading: Future[Any] | None = field(default=None, repr=False)

    def parsed(self, sheet: str, skip: frozenset[int]) -> Future[Any] | None:
        """fastexcel's result (None where it refused) for ``sheet`` parsed with ``skip`` left
        out, as a future; None if it is not parsed so. Handed out once."""
        if self.loading is None or self.sheet != sheet or self.skip != skip:
            return None
        loading, self.loading = self.loading, None
        return loading


_lock = threading.Lock()
_opening: dict[str, threading.Event] = {}
_done: dict[str, Preloaded] = {}


def start(path: str | os.PathLike[str]) -> None:
    """Begin reading ``path`` in a daemon thread (nothing happens for a missing file)."""
    stamp = file_stamp(path)
    if stamp is None:
        return
    with _lock:
        if stamp[0] in _opening or stamp[0] in _done:
            return
        opened = _opening[stamp[0]] = threading.Event()
    threading.Thread(target=_run, args=(Path(path), stamp, opened), daemon=True,
                     name="xl-cseg-preload").start()


def _run(path: Path, stamp: tuple[str, int, int], opened: threading.Event) -> None:
    """Open the package and inflate the biggest sheet (then ``opened`` is set and the package
    can be claimed), then parse that sheet."""
    early = None
    try:
        early = Preloaded(stamp, open_package(path))
        package = early.package
        sheet = package.biggest_sheet()
        if sheet is not None:
            plan = fastgrid.plan(package, sheet.part)  # None for a small sheet
            if plan is not None:
                package.read(package.part_name(sheet.part))  # kept by the package
                early.sheet, early.skip, early.loading = sheet.name, plan.skip, Future()
        with _lock:
            _done[stamp[0]] = early
    except Exception:  # noqa: BLE001 - the normal read meets and reports the same problem
        early = None
    finally:
        opened.set()
    loading = early.loading if early is not None else None
    if loading is not None:  # the package is no longer touched here: the main thread has it
        try:
            loading.set_result(fastgrid.load_sheet(path, early.sheet, early.skip))
        except Exception:  # noqa: BLE001 - fastexcel refused: the normal read takes over
            loading.set_result(None)


def claim(path: str | os.PathLike[str]) -> Preloaded | None:
    """The opened package of ``path`` (waiting until it is open; its big sheet may still be
    parsing), if the file is unchanged since; None otherwise. Each read is claimed once."""
    stamp = file_stamp(path)
    if stamp is None:
        return None
    with _lock:
        opened = _opening.pop(stamp[0], None)
    if opened is not None:
        opened.wait()
    with _lock:
        found = _done.pop(stamp[0], None)
    return found if found is not None and found.stamp == stamp else None
