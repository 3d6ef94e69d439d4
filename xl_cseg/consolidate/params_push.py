"""``params push``: the controller's parameter values written into the parameter cells of every
territory workbook. Only those cells change (the sheet part is patched, every other zip member
is copied unchanged, the file is replaced atomically); one backup per file is kept."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..io.edits import SheetEdit
from ..io.source import FileSource, named_values
from ..io.writer import FileWriter
from ..xlsx.atomic import TEMP_PREFIX, TEMP_SUFFIX, check_writable
from ..xlsx.errors import WorkbookError
from .parameters import PARAMETER_NAMES, same_value, workbook_parameters
from .reader import is_own_output
from .sources import FAILED, SKIPPED, backup_path, collect

CHANGED, UNCHANGED = "geändert", "unverändert"


class ParameterFileError(WorkbookError):
    """The controller's parameter workbook holds invalid values or no parameter cells."""


@dataclass(frozen=True)
class Change:
    name: str
    cell: str  # e.g. Parameter!B6
    old: Any
    new: Any


@dataclass
class PushResult:
    path: Path
    status: str  # CHANGED, UNCHANGED, SKIPPED or FAILED
    message: str = ""
    changes: list[Change] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # parameter names the file lacks
    kept: list[str] = field(default_factory=list)  # cells left alone: they hold formulas
    backup: Path | None = None


def source_values(path: Path) -> dict[str, Any]:
    """The controller's values by defined name, for the parameter names the workbook defines;
    refused when any of them is invalid."""
    found, cells = workbook_parameters(FileSource(path))
    if found.errors:
        raise ParameterFileError(f"„{path.name}“: ungültige Parameter, nichts verteilt – "
                                 + "; ".join(found.errors), path=path)
    present = {name.casefold() for name in cells}
    values = {name: found.values[name.casefold()] for name in PARAMETER_NAMES
              if name.casefold() in present}
    if not values:
        raise ParameterFileError(f"„{path.name}“ enthält keine Parameterzellen (benannte Zellen "
                                 "wie Kosten_je_Besuch).", path=path)
    return values


def push(source: Path, targets: Iterable[str | os.PathLike[str]]) -> list[PushResult]:
    """Write the values of ``source`` into every target workbook (folders recursively)."""
    values = source_values(source)
    found = collect(targets, exclude={source: "Parameterquelle dieses Laufs"}, by_content=False)
    results = [push_file(path, values) for path in found.files]
    results += [PushResult(s.path, s.status, s.reason) for s in found.skipped]
    return results


def push_file(path: Path, values: dict[str, Any]) -> PushResult:
    """Write ``values`` into the parameter cells of one workbook; never raises for the file."""
    try:
        check_writable(path)
    except WorkbookError as exc:
        return PushResult(path, SKIPPED, str(exc))
    try:
        source = FileSource(path)
        if is_own_output(source.package):
            return PushResult(path, SKIPPED, "Ausgabe von xl-cseg")
        current, cells = named_values(source)
        by_name = {name.casefold(): cell for name, cell in cells.items()}
        sheets = {s.name: s for s in source.worksheets()}
        result = PushResult(path, UNCHANGED)
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
        if len(result.missing) == len(values):
            return PushResult(path, SKIPPED, "keine Parameterzellen (benannte Zellen wie "
                                             "Kosten_je_Besuch) gefunden")
        if result.changes:
            result.backup = _backup(path)
            FileWriter(source, path).apply(list(edits.values()))
            result.status = CHANGED
        return result
    except WorkbookError as exc:
        return PushResult(path, FAILED, str(exc))
    except OSError as exc:
        return PushResult(path, FAILED, f"„{path.name}“: {exc.strerror or exc}")


def _backup(path: Path) -> Path:
    """Copy ``path`` to its one backup ``<name>.bak<suffix>``, replacing an older backup."""
    target = backup_path(path)
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    try:
        shutil.copy2(path, name)
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return target
