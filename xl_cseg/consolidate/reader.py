"""One territory workbook, read in a worker process: safety checks, the customer table
re-segmented with the central parameters, its measures and its deviating parameter cells.

:func:`read_territory` never raises: a file that cannot be read becomes a status and a German
message, so one broken file never stops the others.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.columns import INPUT_KEYS, OUTPUT_KEYS
from ..core.numbers import normalize_id
from ..core.pipeline import evaluate_pipeline
from ..core.segment import ERROR, Issue, segment
from ..io.measures import find_measures_table
from ..io.reader import CustomerTable, find_customer_table
from ..io.source import FileSource
from ..xlsx.atomic import lock_files
from ..xlsx.errors import WorkbookError
from ..xlsx.package import Package
from .duplicates import name_keys
from .parameters import ParameterSet, deviations, workbook_parameters
from .sources import FAILED, SKIPPED

OK = "ok"
MAX_ERRORS = 20  # cell-addressed errors kept per file
OUTPUT_PROPERTY = "xl-cseg"  # custom document property that marks this tool's own outputs
_CUSTOM_PART = "docProps/custom.xml"

CUSTOMER_COLUMNS = ("territory", "source", "row", *(k for k in INPUT_KEYS if k != "territory"),
                    *OUTPUT_KEYS)
MEASURE_COLUMNS = ("territory", "source", "row", "customer_id", "measure", "status", "phase",
                   "expected_revenue", "probability", "weighted", "code", "next_step",
                   "due_date", "last_activity", "overdue", "stale", "notes")


@dataclass(frozen=True)
class Task:
    path: Path
    source: str  # display name of the file
    central: ParameterSet
    today: _dt.date


@dataclass
class FileResult:
    path: Path
    source: str
    status: str  # OK, FAILED or SKIPPED
    message: str = ""  # why it failed or was skipped
    customers: pd.DataFrame | None = None  # CUSTOMER_COLUMNS
    measures: pd.DataFrame | None = None  # MEASURE_COLUMNS
    errors: list[str] = field(default_factory=list)  # the first MAX_ERRORS, cell-addressed
    error_count: int = 0
    notes: list[str] = field(default_factory=list)  # the first MAX_ERRORS
    note_count: int = 0
    deviations: list[tuple[str, Any, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return 0 if self.customers is None else len(self.customers)


def is_own_output(pkg: Package) -> bool:
    """True for workbooks this tool wrote (master, migration): never read them back in."""
    return pkg.has_part(_CUSTOM_PART) and \
        f'name="{OUTPUT_PROPERTY}"'.encode() in pkg.read(_CUSTOM_PART)


def read_territory(task: Task) -> FileResult:
    """Read, check and re-segment one workbook; failures are returned, not raised."""
    start = time.perf_counter()
    try:
        result = _read(task)
    except WorkbookError as exc:
        result = FileResult(task.path, task.source, FAILED, str(exc))
    except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the run
        result = FileResult(task.path, task.source, FAILED,
                            f"„{task.path.name}“ konnte nicht gelesen werden "
                            f"({type(exc).__name__}: {exc}).")
    result.seconds = time.perf_counter() - start
    return result


def _read(task: Task) -> FileResult:
    source = FileSource(task.path)  # as io.reader.load, with a look at the marker first
    if is_own_output(source.package):
        return FileResult(task.path, task.source, SKIPPED, "Ausgabe von xl-cseg")
    table = find_customer_table(source, task.today.year)
    if not table.rows:
        return FileResult(task.path, task.source, SKIPPED,
                          f"Blatt {table.sheet}: die Kundentabelle enthält keine Kunden")
    found, cells = workbook_parameters(source)
    params = task.central.params
    result = segment(table.raw, params, row_labels=table.raw.index.to_series() + 1)
    errors: list[str] = []
    notes: list[str] = list(table.notes)
    _sort(result.issues, lambda i: table.cell(i.row, i.field) if i.field
          else f"{table.sheet}!{i.row + 1}", errors, notes)
    customers = _customers(table, result.inputs, result.output, task)
    measures = find_measures_table(source)
    measure_rows = None
    if measures is not None:
        measure_rows = _measures(measures, customers, task, errors, notes)
    notes += [f"{task.path.name}: in Excel geöffnet ({lock.name}); gelesen wurde der zuletzt "
              "gespeicherte Stand" for lock in lock_files(task.path) if lock.exists()]
    return FileResult(task.path, task.source, OK, customers=customers, measures=measure_rows,
                      errors=errors[:MAX_ERRORS], error_count=len(errors),
                      notes=notes[:MAX_ERRORS], note_count=len(notes),
                      deviations=deviations(found, cells, task.central))


def _sort(issues: list[Issue], where, errors: list[str], notes: list[str]) -> None:
    for issue in issues:
        (errors if issue.severity == ERROR else notes).append(f"{where(issue)}: {issue.message}")


def _customers(table: CustomerTable, inputs: pd.DataFrame, output: pd.DataFrame, task: Task
               ) -> pd.DataFrame:
    """Inputs and outputs per customer with territory (``Gebiet`` cell, else file name) and
    source row; text cells stay text."""
    frame = pd.concat([inputs, output], axis=1)
    frame["territory"] = inputs["territory"].map(normalize_id).astype(object) \
        .fillna(task.path.stem)
    frame["source"] = task.source
    frame["row"] = (inputs.index + 1).astype("int64")
    frame["name"] = inputs["name"].map(normalize_id).astype(object)
    frame = frame.reindex(columns=list(CUSTOMER_COLUMNS)).reset_index(drop=True)
    frame["name_key"] = name_keys(frame["name"])  # for the duplicate search, not written
    return frame


def _measures(table: CustomerTable, customers: pd.DataFrame, task: Task, errors: list[str],
              notes: list[str]) -> pd.DataFrame:
    params = task.central.params
    result = evaluate_pipeline(table.raw, customers[["customer_id", "code"]],
                               task.central.probabilities, task.today,
                               int(params.tage_ohne_aktivitaet))
    _sort(result.issues, lambda i: table.cell(i.row, i.field), errors, notes)
    frame = result.inputs.drop(columns=["probability"]).join(result.output)
    known = customers.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    territories = known.set_index("customer_id")["territory"]
    usual = customers["territory"].mode()
    fallback = usual.iloc[0] if len(usual) else task.path.stem
    frame["territory"] = frame["customer_id"].map(territories).astype(object).fillna(fallback)
    frame["source"] = task.source
    frame["row"] = (frame.index + 1).astype("int64")
    for key in ("measure", "next_step"):
        frame[key] = frame[key].map(normalize_id).astype(object)
    return frame.reindex(columns=list(MEASURE_COLUMNS)).reset_index(drop=True)
