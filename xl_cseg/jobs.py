"""The main jobs on workbook files, shared by the CLI and the ribbon macros' file backend."""

from __future__ import annotations

import datetime as _dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .core.columns import header
from .core.distribution import Distribution, distribution
from .core.params import Parameters, parameters_from_names
from .core.segment import ERROR, SegmentResult, segment
from .io.reader import CustomerTable, load
from .io.source import FileSource, SheetSource, named_values
from .io.writer import FileWriter, segment_edit
from .xlsx.errors import WorkbookError

EXIT_OK, EXIT_ROW_ERRORS, EXIT_FAILED = 0, 1, 2


class EmptyCustomerTable(WorkbookError):
    """The customer table has headers but no customers."""


@dataclass
class SegmentReport:
    """What a segmentation run did, for the CLI, the ribbon and tests."""

    path: Path
    source: FileSource
    table: CustomerTable
    params: Parameters
    result: SegmentResult
    distribution: Distribution
    errors: list[str] = field(default_factory=list)  # cell-addressed, severity Fehler
    notes: list[str] = field(default_factory=list)  # cell-addressed hints
    written: Path | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_ROW_ERRORS if self.errors else EXIT_OK

    @property
    def customers(self) -> int:
        return len(self.result.output)


def read_parameters(source: SheetSource | str | Path) -> tuple[Parameters, list[str]]:
    """Parameters from the workbook's named cells (defaults where absent) and cell-addressed
    messages for the values that were rejected."""
    if isinstance(source, (str, Path)):
        source = FileSource(source)
    values, cells = named_values(source)
    params, issues = parameters_from_names(values)
    if params.monate_lfd_jahr is None:
        params = params.with_values(monate_lfd_jahr=float(max(_dt.date.today().month - 1, 1)))
    by_name = {n.casefold(): c for n, c in cells.items()}
    errors = [f"{by_name[i.name.casefold()].address if i.name.casefold() in by_name else i.name}: "
              f"{i.message}" for i in issues]
    return params, errors


def analyse(path: str | Path, today: _dt.date | None = None) -> SegmentReport:
    """Read the workbook and segment it; nothing is written."""
    path = Path(path)
    today = today or _dt.date.today()
    source, table = load(path, current_year=today.year)
    if not table.rows:
        raise EmptyCustomerTable(
            f'"{path.name}", Blatt {table.sheet}: die Kundentabelle enthält keine Kunden (nur die '
            "Überschriften). Bitte Kunden eintragen und erneut segmentieren.", path=path)
    params, param_errors = read_parameters(source)
    result = segment(table.raw, params, row_labels=table.raw.index.to_series() + 1)
    errors = list(param_errors)
    notes = list(table.notes)
    for issue in result.issues:
        where = table.cell(issue.row, issue.field) if issue.field else f"{table.sheet}!{issue.row + 1}"
        (errors if issue.severity == ERROR else notes).append(f"{where}: {issue.message}")
    for key, text in table.year_columns.items():
        notes.append(f'{table.sheet}: Spalte "{text}" als "{header(key)}" gelesen')
    return SegmentReport(path=path, source=source, table=table, params=params, result=result,
                           distribution=distribution(result.output, result.inputs),
                         errors=errors, notes=notes)


def segment_workbook(path: str | Path, out: str | Path | None = None,
                     today: _dt.date | None = None) -> SegmentReport:
    """Segment ``path`` and write the output columns into ``out`` (default: in place)."""
    report = analyse(path, today)
    dst = Path(out) if out else report.path
    if dst.resolve() != report.path.resolve():
        dst.parent.mkdir(parents=True, exist_ok=True)
    edit, notes = segment_edit(report.source, report.table, report.result)
    FileWriter(report.source, dst).apply([edit])
    report.notes.extend(notes)
    report.written = dst
    return report


def copy_demo(dst: Path) -> Path:
    """Copy the embedded demo workbook to ``dst``."""
    from .resources import demo_workbook

    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_workbook(), dst)
    return dst
