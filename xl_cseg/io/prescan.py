"""Scan the biggest worksheet of a workbook in a helper process while this one works.

The writer's scans of a sheet (its layout, the rows with content, the row spans, merged cells,
the columns in use) are regex passes over the whole sheet XML: about a third of a second for
100,000 rows, all of it holding the GIL. Started by the console entry (:mod:`launch`) as
``python -m xl_cseg.io.prescan PATH`` at low priority, the helper runs on whatever core this
process leaves idle (it imports pandas and later works mostly in one thread) and prints its
results as JSON; :func:`seed` hands them to the scans' per-document memories when the writer
patches the same part of the same, unchanged file. Anything else (no helper, a failure, a
changed file, another sheet) leaves the scans to run here as before.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import orjson

from ..xlsx.safezip import file_stamp, open_package

_lock = threading.Lock()
_helpers: dict[str, subprocess.Popen[bytes]] = {}


def start(path: str | os.PathLike[str]) -> None:
    """Start the helper for ``path`` (nothing happens for a missing file or if it cannot
    start)."""
    try:
        resolved = str(Path(path).resolve(strict=True))
        helper = subprocess.Popen([sys.executable, "-m", "xl_cseg.io.prescan", resolved],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL,
                                  creationflags=getattr(subprocess,
                                                        "BELOW_NORMAL_PRIORITY_CLASS", 0))
    except (OSError, ValueError, subprocess.SubprocessError):
        return
    try:  # low priority from its first instruction on (Windows: by its creation flags)
        os.setpriority(os.PRIO_PROCESS, helper.pid, 19)
    except (AttributeError, OSError):
        pass
    with _lock:
        _helpers[resolved] = helper


@atexit.register
def _stop_unclaimed() -> None:
    """A helper whose results nobody took (the job ended early) ends with this process."""
    with _lock:
        helpers = list(_helpers.values())
        _helpers.clear()
    for helper in helpers:
        helper.kill()
        helper.wait()


def running(path: str | os.PathLike[str]) -> bool:
    """Whether a helper scans ``path`` (its writer scans need not run here meanwhile)."""
    try:
        resolved = str(Path(path).resolve())
    except OSError:
        return False
    with _lock:
        return resolved in _helpers


def results(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The helper's results for ``path`` (waiting for it), once; None without a helper or
    when it failed."""
    try:
        resolved = str(Path(path).resolve())
    except OSError:
        return None
    with _lock:
        helper = _helpers.pop(resolved, None)
    if helper is None:
        return None
    try:
        out, _ = helper.communicate()
        return orjson.loads(out) if helper.returncode == 0 and out else None
    except (OSError, ValueError):
        return None


def seed(package: Any, sheet_part: str) -> None:
    """Give the scans of ``sheet_part`` the helper's results (waiting for it), if the helper
    scanned that part of the same, unchanged file (the part is read here if it was not yet)."""
    found = results(package.path)
    if not found:
        return
    import numpy as np

    from ..xlsx import patch_append, scan, sheetxml
    from ..xlsx.errors import WorkbookError

    part = package.part_name(sheet_part)
    try:
        if found["part"] != part or tuple(found["stamp"]) != file_stamp(package.path):
            return
        xml = package.read(part)
        if len(xml) != found["size"]:
            return
        layout = None if found["layout"] is None else sheetxml.Layout(*found["layout"])
        rows = None if found["rows"] is None else np.array(found["rows"], dtype=np.int64)
        spans = {(lo.encode("latin-1"), hi.encode("latin-1")) for lo, hi in found["spans"]}
        letters = frozenset(letters.encode("ascii") for letters in found["letters"])
        merge_refs = [ref.encode("latin-1") for ref in found["merge_refs"]]
    except (WorkbookError, KeyError, TypeError, ValueError):  # a part that cannot be read, or
        return  # results of another form: the scans run here
    sheetxml.fast_layout.remember(xml, layout)
    patch_append.rows_with_content.remember(xml, rows)
    patch_append.spans_found.remember(xml, spans)
    patch_append.cell_letters.remember(xml, letters)
    scan._merge_refs.remember(xml, merge_refs)


def scan_file(path: Path) -> dict[str, Any] | None:
    """The scans of the biggest worksheet of ``path`` (None if there is none, or the file
    changed meanwhile)."""
    from ..xlsx import patch_append, scan, sheetxml

    stamp = file_stamp(path)
    package = open_package(path)
    sheet = package.biggest_sheet()
    if sheet is None:
        return None
    part = package.part_name(sheet.part)
    xml = package.read(part)
    if file_stamp(path) != stamp:
        return None
    layout = sheetxml.fast_layout(xml)
    rows = patch_append.rows_with_content(xml)
    return {
        "stamp": stamp,
        "part": part,
        "size": len(xml),
        "layout": None if layout is None else list(layout),
        "rows": rows,
        "spans": sorted((lo.decode("latin-1"), hi.decode("latin-1"))
                        for lo, hi in patch_append.spans_found(xml)),
        "letters": sorted(letters.decode("ascii") for letters in patch_append.cell_letters(xml)),
        "merge_refs": [ref.decode("latin-1") for ref in scan._merge_refs(xml)],
    }


def main() -> None:  # pragma: no cover - runs as the helper process (tested through it)
    try:
        found = scan_file(Path(sys.argv[1]))
    except Exception:  # noqa: BLE001 - this process reads the file again and reports errors
        sys.exit(1)
    if found is None:
        sys.exit(1)
    sys.stdout.buffer.write(orjson.dumps(found, option=orjson.OPT_SERIALIZE_NUMPY))


if __name__ == "__main__":
    main()
