"""Start reading a workbook while the rest of the program is still being imported.

A daemon thread opens the package (with its safety checks), inflates its biggest worksheet and
lets fastexcel parse it; inflating and parsing run without the GIL, so for a customer sheet of
100,000 rows most of a second passes while pandas, typer and rich are imported in the main
thread. Only light modules are needed here (no pandas). :class:`io.source.FileSource` claims the
result for the same, unchanged file; anything else (no big sheet, an error, a changed file)
leaves the work to the normal read, which also reports the errors.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..xlsx.package import Package
from ..xlsx.safezip import open_package
from . import fastgrid


@dataclass
class Preloaded:
    """The opened package and, when it has a big worksheet, that sheet parsed by fastexcel
    with the ``skip`` columns left out (``loaded`` None where fastexcel refused)."""

    stamp: tuple[str, int, int]
    package: Package
    sheet: str | None = None
    skip: frozenset[int] = frozenset()
    loaded: Any = None

    def parsed(self, sheet: str, skip: frozenset[int]) -> tuple[bool, Any]:
        """Whether ``sheet`` was parsed with ``skip`` left out, and fastexcel's result (once)."""
        if self.sheet != sheet or self.skip != skip:
            return False, None
        loaded, self.sheet, self.loaded = self.loaded, None, None
        return True, loaded


_lock = threading.Lock()
_threads: dict[str, threading.Thread] = {}
_done: dict[str, Preloaded] = {}


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        status = path.stat()
        return str(path.resolve()), status.st_size, status.st_mtime_ns
    except OSError:
        return None


def start(path: str | os.PathLike[str]) -> None:
    """Begin reading ``path`` in a daemon thread (nothing happens for a missing file)."""
    stamp = _stamp(Path(path))
    if stamp is None:
        return
    with _lock:
        if stamp[0] in _threads or stamp[0] in _done:
            return
        thread = threading.Thread(target=_run, args=(Path(path), stamp), daemon=True,
                                  name="xl-cseg-preload")
        _threads[stamp[0]] = thread
    thread.start()


def _run(path: Path, stamp: tuple[str, int, int]) -> None:
    try:
        early = Preloaded(stamp, open_package(path))
        package = early.package
        sizes = [(info.file_size, sheet) for sheet in package.sheets()
                 if (info := package.info(sheet.part)) is not None]
        if sizes:
            sheet = max(sizes, key=lambda pair: pair[0])[1]
            plan = fastgrid.plan(package, sheet.part)  # None for a small sheet
            if plan is not None:
                package.read(package.part_name(sheet.part))  # kept by the package
                early.sheet, early.skip = sheet.name, plan.skip
                early.loaded = fastgrid.load_sheet(path, sheet.name, plan.skip)
        with _lock:
            _done[stamp[0]] = early
    except Exception:  # noqa: BLE001 - the normal read meets and reports the same problem
        pass


def claim(path: str | os.PathLike[str]) -> Preloaded | None:
    """What was read of ``path`` (waiting for a read still running), if the file is
    unchanged since; None otherwise. Each read is claimed once."""
    stamp = _stamp(Path(path))
    if stamp is None:
        return None
    with _lock:
        thread = _threads.pop(stamp[0], None)
    if thread is not None:
        thread.join()
    with _lock:
        found = _done.pop(stamp[0], None)
    return found if found is not None and found.stamp == stamp else None
