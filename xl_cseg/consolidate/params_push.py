"""``params push``: the controller's parameter values written into the parameter cells of every
territory workbook. By default only the central groups (costs, thresholds, channel matrix,
probabilities, ...) are written; a rep's own values (target, absence days, ...) only when named.
Only those cells change (the sheet part is patched, every other zip member is copied unchanged,
the file is replaced atomically); each changed file first gets a new dated backup that never
replaces an existing file."""

from __future__ import annotations

import datetime as _dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..core.param_groups import group_of, is_central, selected_names
from ..io.edits import SheetEdit
from ..io.reader import find_customer_table
from ..io.source import FileSource, named_values
from ..io.writer import FileWriter
from ..jobs import ParameterFileError, refusal
from ..xlsx.atomic import check_writable
from ..xlsx.errors import WorkbookError, os_reason
from .parameters import PARAMETER_NAMES, same_value, workbook_parameters
from .reader import is_own_output
from .sources import FAILED, SKIPPED, collect, dated_backup_path

CHANGED, UNCHANGED = "geändert", "unverändert"
WOULD_CHANGE = "würde geändert"  # dry run
ATTEMPTS = 3  # reads of a file that keeps changing while it is pushed


@dataclass(frozen=True)
class Change:
    name: str
    cell: str  # e.g. Parameter!B6
    old: Any
    new: Any

    @property
    def group(self) -> str:
        found = group_of(self.name)
        return found.name if found else ""


@dataclass
class PushResult:
    path: Path
    status: str  # CHANGED, UNCHANGED, WOULD_CHANGE, SKIPPED or FAILED
    message: str = ""
    changes: list[Change] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # selected parameter names the file lacks
    kept: list[str] = field(default_factory=list)  # cells left alone: they hold formulas
    held: list[Change] = field(default_factory=list)  # rep-owned values that differ, kept
    backup: Path | None = None
    stale: bool = False  # its segment results were computed with the old values
    segmented: str = ""  # what --segment did (German), empty when not asked


def source_values(path: Path) -> dict[str, Any]:
    """The controller's values by defined name, for the parameter names the workbook defines;
    refused (naming the cells) when any of them is invalid."""
    try:
        found, cells = workbook_parameters(FileSource(path))
    except WorkbookError as exc:
        raise ParameterFileError(f"Parameterdatei: {exc}", path=path) from exc
    if found.errors:
        raise ParameterFileError(f"„{path.name}“: ungültige Parameter, nichts geschrieben – "
                                 + "; ".join(map(refusal, found.errors)), path=path)
    present = {name.casefold() for name in cells}
    values = {name: found.values[name.casefold()] for name in PARAMETER_NAMES
              if name.casefold() in present}
    if not values:
        raise ParameterFileError(f"„{path.name}“ enthält keine Parameterzellen (benannte Zellen "
                                 "wie Kosten_je_Besuch).", path=path)
    return values


def push(source: Path, targets: Iterable[str | os.PathLike[str]], only: Iterable[str] = (),
         also: Iterable[str] = (), dry_run: bool = False, recursive: bool = False,
         segment: bool = False, now: _dt.datetime | None = None) -> list[PushResult]:
    """Write the selected values of ``source`` into every target workbook (folders one level,
    or with subfolders when ``recursive``). ``only``/``also``: group or parameter names (see
    :func:`core.param_groups.selected_names`). ``dry_run``: report, write nothing.
    ``segment``: re-segment every workbook whose results the push made stale."""
    selected = selected_names(only, also)  # SelectionError before anything is read
    given = source_values(source)
    values = {n: v for n, v in given.items() if n.casefold() in selected}
    rest = {n: v for n, v in given.items() if n.casefold() not in selected}
    found = collect(targets, exclude={source: "Parameterquelle dieses Laufs"}, by_content=False,
                    recursive=recursive)
    now = now or _dt.datetime.now()
    results = []
    for path in found.files:
        result = push_file(path, values, rest, dry_run, now)
        if segment and result.stale and result.status == CHANGED:
            result.segmented = _segment(path)
        results.append(result)
    results += [PushResult(s.path, s.status, s.reason) for s in found.skipped]
    return results


def push_file(path: Path, values: dict[str, Any], rest: dict[str, Any] | None = None,
              dry_run: bool = False, now: _dt.datetime | None = None) -> PushResult:
    """Write ``values`` into the parameter cells of one workbook; ``rest``: the controller's
    other values (differing rep-owned ones are reported as kept). Never raises for the file.
    When the file changes between reading and writing, it is read again."""
    try:
        if not dry_run:
            check_writable(path)
    except WorkbookError as exc:
        return PushResult(path, SKIPPED, str(exc))
    try:
        for _attempt in range(ATTEMPTS):
            signature = _signature(path)
            source = FileSource(path)
            result, edits = _plan(source, path, values, rest or {})
            if result.status != UNCHANGED or not result.changes:
                return result
            if dry_run:
                result.status = WOULD_CHANGE
                return result
            if _signature(path) != signature:
                continue  # saved by someone meanwhile: read the new content
            result.backup = _backup(path, now or _dt.datetime.now())
            if _signature(path) != signature:
                continue
            FileWriter(source, path).apply(edits)
            result.status = CHANGED
            return result
        return PushResult(path, FAILED, f"„{path.name}“ wurde während des Verteilens mehrfach "
                                        "geändert; nichts geschrieben, bitte erneut versuchen")
    except WorkbookError as exc:
        return PushResult(path, FAILED, str(exc))
    except OSError as exc:
        return PushResult(path, FAILED, f"„{path.name}“: {os_reason(exc)}")


def _plan(source: FileSource, path: Path, values: dict[str, Any], rest: dict[str, Any]
          ) -> tuple[PushResult, list[SheetEdit]]:
    """What the push would change in one file (status UNCHANGED unless it is skipped)."""
    if is_own_output(source.package):
        return PushResult(path, SKIPPED, "Gesamtauswertung oder andere Ausgabe von xl-cseg"), []
    current, cells = named_values(source)
    by_name = {name.casefold(): cell for name, cell in cells.items()}
    sheets = {s.name: s for s in source.worksheets()}
    present = [n for n in (*values, *rest) if n.casefold() in by_name]
    if not present:
        return PushResult(path, SKIPPED, "keine Parameterzellen (benannte Zellen wie "
                                         "Kosten_je_Besuch) gefunden – eigene Liste: mit "
                                         "„xl-cseg segment DATEI --params PARAMETERDATEI“ "
                                         "rechnen"), []
    customers = _customers(source)
    if customers is None:
        return PushResult(path, SKIPPED, "Parameterdatei (Parameterzellen, aber keine Kunden)"), []
    result = PushResult(path, UNCHANGED, stale=customers)
    edits: dict[str, SheetEdit] = {}
    for name, new in values.items():
        cell = by_name.get(name.casefold())
        if cell is None or cell.sheet not in sheets:
            result.missing.append(name)
            continue
        old = current[cell.name]
        if same_value(old, new):
            continue
        sheet = sheets[cell.sheet]
        special = source.special_cells(sheet, cell.row, cell.row, [cell.col])
        if (cell.row, cell.col) in special and special[cell.row, cell.col].kind == "formula":
            result.kept.append(f"{cell.address} ({name})")
            continue
        edits.setdefault(cell.sheet, SheetEdit(sheet, {})).cells[cell.row, cell.col] = new
        result.changes.append(Change(name, cell.address, old, new))
    for name, new in rest.items():
        cell = by_name.get(name.casefold())
        if cell is not None and not is_central(name) and not same_value(current[cell.name], new):
            result.held.append(Change(name, cell.address, current[cell.name], new))
    result.stale = result.stale and bool(result.changes)
    return result, list(edits.values())


def _customers(source: FileSource) -> bool | None:
    """None: no customers (a parameter workbook); else whether segment results are filled in."""
    try:
        table = find_customer_table(source, _dt.date.today().year)
    except WorkbookError:
        return None
    if not table.rows:
        return None
    col = table.outputs.get("code")
    if col is None:
        return False
    grid = table.grid
    return any(col < len(grid[r]) and grid[r][col] not in ("", None) for r in table.rows)


def _signature(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


def _backup(path: Path, when: _dt.datetime) -> Path:
    """Copy ``path`` to a new dated backup beside it; an existing file is never replaced (the
    name is created exclusively, the next free ``-2``, ``-3`` ... is taken)."""
    for attempt in range(1000):
        target = dated_backup_path(path, when, attempt)
        try:
            out = open(target, "xb")  # noqa: SIM115 - exclusive create, closed below
        except FileExistsError:
            continue
        try:
            with out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            shutil.copystat(path, target)
        except BaseException:
            target.unlink(missing_ok=True)  # our own partial copy
            raise
        return target
    raise OSError(f"keine freie Sicherungsdatei neben {path.name}")


def _segment(path: Path) -> str:
    """Re-segment one pushed workbook (its own cells, now with the new values)."""
    from ..jobs import segment_workbook

    try:
        report = segment_workbook(path)
    except WorkbookError as exc:
        return f"nicht neu segmentiert: {exc}"
    errors = len(report.all_errors)
    return f"neu segmentiert ({report.customers} Kunden" + \
        (f", {errors} Fehler)" if errors else ")")
