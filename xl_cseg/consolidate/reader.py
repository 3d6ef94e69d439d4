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

import numpy as np
import pandas as pd

from ..core.columns import INPUT_KEYS, OUTPUT_KEYS, header
from ..core.dimensions import dimension_key, dimension_names, dimension_values
from ..core.frames import plain_frame
from ..core.identity import name_keys, place_keys
from ..core.numbers import normalize_id
from ..core.pipeline import evaluate_pipeline
from ..core.segment import Issue, messages, segment
from ..core.territory import territory_names
from ..io.measures import find_measures_table
from ..io.reader import CustomerTable, column_series, find_customer_table, read_dimensions
from ..io.source import FileSource, named_values
from ..xlsx.atomic import lock_files
from ..xlsx.errors import WorkbookError
from ..xlsx.package import Package
from .master_rows import Deflated
from .parameters import ParameterSet, deviations, workbook_parameters
from .sources import FAILED, SKIPPED

OK = "ok"
OUTPUT_PROPERTY = "xl-cseg"  # custom document property that marks this tool's own outputs
_CUSTOM_PART = "docProps/custom.xml"
_CORE_PART = "docProps/core.xml"
_MODIFIED = "{http://purl.org/dc/terms/}modified"
TERRITORY_NAMES = ("gebiet", "gebietsname", "vertriebsgebiet")  # a rep's territory cell

CUSTOMER_COLUMNS = ("territory", "source", "row", *(k for k in INPUT_KEYS if k != "territory"),
                    *OUTPUT_KEYS)
MEASURE_COLUMNS = ("territory", "source", "row", "customer_id", "name", "measure", "status", "phase",
                   "expected_revenue", "probability", "weighted", "code", "next_step",
                   "due_date", "last_activity", "overdue", "stale", "notes")


@dataclass(frozen=True)
class Task:
    path: Path
    source: str  # display name of the file
    central: ParameterSet
    today: _dt.date
    styles: dict[int, int] | None = None  # Kunden gesamt's column styles: render the rows
    dimensions: tuple[str, ...] = ()  # ``--nach``: buying-behaviour columns of every file


@dataclass
class FileResult:
    path: Path
    source: str
    status: str  # OK, FAILED or SKIPPED
    message: str = ""  # why it failed or was skipped
    customers: pd.DataFrame | None = None  # CUSTOMER_COLUMNS
    measures: pd.DataFrame | None = None  # MEASURE_COLUMNS
    errors: list[str] = field(default_factory=list)  # every one, cell-addressed
    error_count: int = 0
    notes: list[str] = field(default_factory=list)  # every one
    note_count: int = 0
    saved: _dt.datetime | None = None  # last saved (docProps/core.xml), None when unknown
    target: float | None = None  # the file's own absolute revenue target (Ziel_Umsatz)
    territory_from: str = ""  # where the territory names came from (German)
    deviations: list[tuple[str, Any, Any]] = field(default_factory=list)
    seconds: float = 0.0
    rendered: Deflated | None = None  # the customers' rows in Kunden gesamt, deflated
    # buying-behaviour columns: the name asked for (``--nach`` or the file's Spaltenzuordnung)
    # -> the customers' values (texts, see core.dimensions.dimension_values), one per customer
    # row, as a categorical: codes and the few distinct values cross the process boundary
    dimensions: dict[str, pd.Categorical] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return 0 if self.customers is None else len(self.customers)


class OwnOutput(WorkbookError):
    """A workbook this tool wrote (master, migration): never read back in as a territory."""


def is_own_output(pkg: Package) -> bool:
    return pkg.has_part(_CUSTOM_PART) and \
        f'name="{OUTPUT_PROPERTY}"'.encode() in pkg.read(_CUSTOM_PART)


def load_territory(path: Path, current_year: int) -> tuple[FileSource, CustomerTable]:
    """:func:`io.reader.load` that refuses this tool's own outputs."""
    source = FileSource(path)
    if is_own_output(source.package):
        raise OwnOutput("Ausgabe von xl-cseg", path=path)
    return source, find_customer_table(source, current_year)


def read_territory(task: Task) -> FileResult:
    """Read, check and re-segment one workbook; failures are returned, not raised."""
    start = time.perf_counter()
    try:
        result = _read(task)
    except OwnOutput as exc:
        result = FileResult(task.path, task.source, SKIPPED, str(exc))
    except WorkbookError as exc:
        result = FileResult(task.path, task.source, FAILED, str(exc))
    except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the run
        result = FileResult(task.path, task.source, FAILED,
                            f"„{task.path.name}“ konnte nicht gelesen werden "
                            f"({type(exc).__name__}: {exc}).")
    result.seconds = time.perf_counter() - start
    return result


def _read(task: Task) -> FileResult:
    source, table = load_territory(task.path, task.today.year)
    if not table.rows:
        return FileResult(task.path, task.source, SKIPPED,
                          f"Blatt {table.sheet}: die Kundentabelle enthält keine Kunden")
    found, cells = workbook_parameters(source)
    params = task.central.params
    result = segment(table.raw, params, row_labels=table.raw.index.to_series() + 1,
                     scales=table.scales)
    errors: list[str] = []
    notes = table.notes + [f'{table.sheet}: Spalte „{text}“ als „{header(key)}“ gelesen'
                           for key, text in table.year_columns.items()]
    _sort(result.issues, table.place, errors, notes)
    customers, territory_from = _customers(table, result.inputs, result.output, task,
                                           sheet_territory(source))
    measures = find_measures_table(source)
    measure_rows = None
    if measures is not None:
        measure_rows = _measures(measures, customers, task, errors, notes)
    dimensions = _dimensions(source, table, result.inputs.index, task.dimensions)
    notes += [f"{task.path.name}: in Excel geöffnet ({lock.name}); gelesen wurde der zuletzt "
              "gespeicherte Stand" for lock in lock_files(task.path) if lock.exists()]
    return FileResult(task.path, task.source, OK, customers=customers, measures=measure_rows,
                      errors=errors, error_count=len(errors), notes=notes,
                      note_count=len(notes), deviations=deviations(found, cells, task.central),
                      saved=last_saved(source.package), target=found.params.ziel_umsatz,
                      territory_from=territory_from, dimensions=dimensions)


def _dimensions(source: FileSource, table: CustomerTable, index: pd.Index,
                wanted: tuple[str, ...]) -> dict[str, pd.Categorical]:
    """The values of the buying-behaviour columns asked for with ``--nach`` and named in the
    file's ``Spaltenzuordnung`` (``Dimension | Produktart``) that the customer table has, keyed
    by the name as asked for (the master matches names across files case-blind)."""
    names: dict[str, str] = {}
    for name in [*wanted, *read_dimensions(source)]:
        names.setdefault(dimension_key(name), name)  # the first spelling
    headers = [str(h) for h in table.headers.values()]
    found: dict[str, pd.Categorical] = {}
    for name in names.values():
        header_text, _missing = dimension_names([name], headers)
        if header_text:
            values = dimension_values(column_series(table, header_text[0]).reindex(index))
            found[name] = pd.Categorical(values)
    return found


def last_saved(pkg: Package) -> _dt.datetime | None:
    """When the workbook was last saved: ``dcterms:modified`` of ``docProps/core.xml``."""
    try:
        if not pkg.has_part(_CORE_PART):
            return None
        found = pkg.read_xml(_CORE_PART).find(_MODIFIED)
        text = (found.text or "").strip() if found is not None else ""
        stamp = _dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except (WorkbookError, ValueError):
        return None
    return stamp.replace(tzinfo=None) if stamp is not None else None


def sheet_territory(source: FileSource) -> str | None:
    """The territory a rep named in the workbook: a defined name ``Gebiet`` (or
    ``Gebietsname``, ``Vertriebsgebiet``), else a row labelled so on the ``Parameter`` sheet
    (label in column A, name in B)."""
    values, _cells = named_values(source)
    for name, value in values.items():
        if name.casefold() in TERRITORY_NAMES and isinstance(value, str) and value.strip():
            return value.strip()
    for sheet in source.worksheets():
        if sheet.name.casefold() != "parameter":
            continue
        for row in source.grid(sheet)[:200]:
            if len(row) > 1 and isinstance(row[0], str) and \
                    row[0].strip().rstrip(":").casefold() in TERRITORY_NAMES and \
                    isinstance(row[1], str) and row[1].strip():
                return row[1].strip()
    return None


def _sort(issues: list[Issue], where, errors: list[str], notes: list[str]) -> None:
    """Messages by severity, every one cell-addressed."""
    found, noted = messages(issues, where)
    errors += found
    notes += noted


def _customers(table: CustomerTable, inputs: pd.DataFrame, output: pd.DataFrame, task: Task,
               sheet_name: str | None = None) -> tuple[pd.DataFrame, str]:
    """Inputs and outputs per customer with territory (``Gebiet`` cell, else the parameter
    sheet's territory, else file name) and source row; text cells stay text. Also where the
    territory names came from."""
    data = {key: inputs[key].to_numpy() for key in INPUT_KEYS}
    data.update({key: output[key].to_numpy() for key in OUTPUT_KEYS})
    data["territory"], territory_from = territory_names(_text(inputs["territory"]), sheet_name,
                                                        task.path.stem)
    data["source"] = np.full(len(inputs), task.source, dtype=object)
    data["row"] = inputs.index.to_numpy() + 1
    data["name"] = _text(inputs["name"], keep_text=True).to_numpy()
    data = {key: data[key] for key in CUSTOMER_COLUMNS}
    data["name_key"] = np.array(name_keys(data["name"]), dtype=object)  # not written
    raw = table.raw
    none = [None] * len(inputs)
    if "postcode" in raw or "city" in raw:
        data["place_key"] = np.array(place_keys(
            raw["postcode"].tolist() if "postcode" in raw else none,
            raw["city"].tolist() if "city" in raw else none), dtype=object)  # not written
    else:
        data["place_key"] = np.full(len(inputs), None, dtype=object)
    return plain_frame(data), territory_from


def _text(values: pd.Series, keep_text: bool = False) -> pd.Series:
    """Cell values as text (1001.0 -> "1001"), each distinct value converted once; with
    ``keep_text`` text cells stay exactly as they are."""
    if keep_text and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values.astype(object)  # text only: kept as it is
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    texts = [u if keep_text and type(u) is str else normalize_id(u) for u in uniques]
    return pd.Series(np.array(texts + [None], dtype=object)[codes], index=values.index)


def _measures(table: CustomerTable, customers: pd.DataFrame, task: Task, errors: list[str],
              notes: list[str]) -> pd.DataFrame:
    params = task.central.params
    result = evaluate_pipeline(table.raw, customers[["customer_id", "code"]],
                               task.central.probabilities, task.today,
                               int(params.tage_ohne_aktivitaet))
    _sort(result.issues, table.place, errors, notes)
    frame = result.inputs.drop(columns=["probability"]).join(result.output)
    known = customers.dropna(subset=["customer_id"]).drop_duplicates("customer_id")
    by_id = known.set_index("customer_id")
    territories = by_id["territory"]
    frame["name"] = frame["customer_id"].map(by_id["name"]).astype(object)
    usual = customers["territory"].mode()
    fallback = usual.iloc[0] if len(usual) else task.path.stem
    frame["territory"] = frame["customer_id"].map(territories).astype(object).fillna(fallback)
    frame["row"] = (frame.index + 1).astype("int64")
    for key in ("measure", "next_step"):
        frame[key] = _text(frame[key], keep_text=True)
    frame["source"] = pd.Series(task.source, index=frame.index, dtype=object)
    return frame.reindex(columns=list(MEASURE_COLUMNS)).reset_index(drop=True)
