"""The main jobs on workbook files, shared by the CLI and the ribbon macros' file backend."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import pandas as pd

from .core import german
from .core.columns import header
from .core.distribution import Distribution, distribution
from .core.param_groups import ALL_NAMES, is_central, merged_values
from .core.params import Parameters, parameters_from_names, with_month_default
from .core.segment import SegmentResult, messages, segment
from .core.pipeline import (MEASURE_OUTPUT_FIELDS, PipelineResult, evaluate_pipeline,
                            measure_header, status_probabilities_from_names)
from .core.planning import Capacity, Gap, capacity, gap_to_target
from .io import plan_layout
from .io.edits import SheetEdit
from .io.measures import find_measures_table
from .io.reader import CustomerTable, find_customer_table
from .io.source import FileSource, SheetSource, named_values
from .io.targets import check_output, new_folders, package_suffix
from .io.writer import FileWriter, segment_edit, table_edit
from .xlsx.atomic import target_path
from .xlsx.package import SheetInfo
from .xlsx.errors import WorkbookError

if TYPE_CHECKING:
    from .core.pricing import PricingResult
    from .core.visits import VisitPlan
    from .core.whatif import WhatIf

EXIT_OK, EXIT_ROW_ERRORS, EXIT_FAILED = 0, 1, 2
MEASURE_OUTPUT_KEYS = tuple(f.key for f in MEASURE_OUTPUT_FIELDS)
MEASURE_FORMATS = {f.key: f.number_format for f in MEASURE_OUTPUT_FIELDS if f.number_format}


class EmptyCustomerTable(WorkbookError):
    """The customer table has headers but no customers."""


class ParameterFileError(WorkbookError):
    """A parameter workbook holds invalid values or no parameter cells (German message)."""


@dataclass(frozen=True)
class ParameterValues:
    """The named parameter values a run uses and where they came from (German label)."""

    values: dict[str, object]  # by defined name
    cells: dict[str, str]  # casefolded defined name -> cell address for messages
    label: str


@dataclass
class SegmentReport:
    """What a segmentation run did, for the CLI, the ribbon and tests."""

    path: Path
    source: SheetSource
    table: CustomerTable
    params: Parameters
    result: SegmentResult
    distribution: Distribution
    errors: list[str] = field(default_factory=list)  # cell-addressed, severity Fehler
    notes: list[str] = field(default_factory=list)  # cell-addressed hints
    written: Path | None = None
    plan: "PlanReport | None" = None
    parameters: ParameterValues | None = None  # the named values used and their source
    crossed: "pd.DataFrame | None" = None  # distribution x buying-behaviour dimensions

    @property
    def all_errors(self) -> list[str]:
        return self.errors + (self.plan.errors if self.plan else [])

    @property
    def all_notes(self) -> list[str]:
        return self.notes + (self.plan.notes if self.plan else [])

    @property
    def exit_code(self) -> int:
        return EXIT_ROW_ERRORS if self.all_errors else EXIT_OK

    @property
    def customers(self) -> int:
        return len(self.result.output)


@dataclass
class PlanReport:
    """Pipeline, gap to target and capacity of one workbook."""

    measures: CustomerTable | None
    pipeline: PipelineResult | None
    gap: Gap
    capacity: Capacity
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    visits: str | None = None  # the workbook's visit plan in one line, when it has one


def read_parameters(source: SheetSource | str | Path, values: ParameterValues | None = None,
                    today: _dt.date | None = None) -> tuple[Parameters, list[str]]:
    """Parameters from the workbook's named cells, or from ``values`` (see
    :func:`parameter_values`), defaults where absent (the months of the current year as of
    ``today``), and cell-addressed messages for the values that were rejected."""
    if isinstance(source, (str, Path)):
        source = FileSource(source)
    values = values or parameter_values(source)
    params, issues = parameters_from_names(values.values)
    params = with_month_default(params, today or _dt.date.today())
    errors = [f"{values.cells.get(i.name.casefold(), i.name)}: {i.message}" for i in issues]
    return params, errors


def parameter_values(source: SheetSource, central: Path | None = None) -> ParameterValues:
    """The named values a run of ``source`` uses. Without ``central``: the workbook's own
    parameter cells (defaults where it has none). With ``central`` (a parameter workbook such
    as the controller's): its central groups, and the rep-owned values (target, absence days,
    customer days, ...) from ``source`` where it defines them, else from ``central``. An
    invalid value in ``central`` is refused (:class:`ParameterFileError`, cell named)."""
    own, own_cells = named_values(source)
    own_addresses = {n.casefold(): c.address for n, c in own_cells.items()}
    if central is None:
        found = [n for n in ALL_NAMES if n.casefold() in own_addresses]
        label = f"aus der Mappe ({len(found)} Parameterzellen)" if found else \
            "Standardwerte (die Mappe hat keine Parameterzellen; zentrale Werte mit --params)"
        return ParameterValues(own, own_addresses, label)
    try:
        given, given_cells = named_values(FileSource(central))
    except WorkbookError as exc:
        raise ParameterFileError(f"Parameterdatei: {exc}", path=central) from exc
    addresses = {n.casefold(): f"{central.name}: {c.address}" for n, c in given_cells.items()}
    _params, issues = parameters_from_names(given)
    _probabilities, more = status_probabilities_from_names(given)
    issues += more
    if issues:
        raise ParameterFileError(
            f"„{central.name}“: ungültige Parameter, nichts geschrieben – " + "; ".join(
                f"{addresses.get(i.name.casefold(), i.name)}: {refusal(i.message)}"
                for i in issues),
            path=central)
    if not any(n.casefold() in addresses for n in ALL_NAMES):
        raise ParameterFileError(f"„{central.name}“ enthält keine Parameterzellen (benannte "
                                 "Zellen wie Kosten_je_Besuch).", path=central)
    merged = merged_values(given, own, own_cells)
    own_by = {n.casefold(): n for n in own}
    for key, name in own_by.items():  # rep-owned values the central file lacks
        if not is_central(key) and key not in {str(n).casefold() for n in merged}:
            merged[name] = own[name]
    kept = sorted(n for n in ALL_NAMES if not is_central(n)
                  and n.casefold() in own_addresses)
    cells = {k: (own_addresses[k] if not is_central(k) and k in own_addresses else a)
             for k, a in addresses.items()}
    cells.update({k: a for k, a in own_addresses.items() if k not in cells})
    label = f"aus {central.name}" + (f"; Gebietswerte ({', '.join(kept)}) aus der Mappe"
                                     if kept else "")
    return ParameterValues(merged, cells, label)


def refusal(message: str) -> str:
    """A parameter message without its fallback ("; Standardwert 350 EUR verwendet"): for a
    file that is refused, no default is used."""
    return re.sub(r";? ?Standardwerte? [^;]*verwendet", "", message).strip() or message


def scale_notes(table: CustomerTable) -> list[str]:
    """What the run says about amount columns in thousands or millions (``Umsatz in T€``)."""
    unit = {1e3: "Tausend €", 1e6: "Millionen €", 1e9: "Milliarden €"}
    return [f"{table.sheet}!{table.cell(table.header_row, key).split('!')[1]}: Spalte "
            f"„{table.headers.get(table.columns[key], header(key))}“ in {unit.get(scale, scale)} "
            f"gelesen (Werte x {german.number(scale)})"
            for key, scale in table.scales.items()]


def analyse(path: str | Path, today: _dt.date | None = None, params: Path | None = None
            ) -> SegmentReport:
    """Read the workbook file and segment it; nothing is written. ``params``: a parameter
    workbook whose values are used (see :func:`parameter_values`)."""
    return analyse_source(FileSource(path), today, params)


def analyse_source(source: SheetSource, today: _dt.date | None = None,
                   params_path: Path | None = None, dimensions: Sequence[str] = ()
                   ) -> SegmentReport:
    """Segment the customer table of any source (file or open book); nothing is written.
    ``dimensions``: headers of buying-behaviour columns to cross with the codes (besides those
    named in ``Spaltenzuordnung``; at most two)."""
    path = source.path
    today = today or _dt.date.today()
    values = parameter_values(source, params_path)  # a bad parameter file: before anything
    table = find_customer_table(source, today.year)
    if not table.rows:
        raise EmptyCustomerTable(
            f'„{path.name}“, Blatt {table.sheet}: die Kundentabelle enthält keine Kunden (nur die '
            "Überschriften). Bitte Kunden eintragen und erneut segmentieren.", path=path)
    params, param_errors = read_parameters(source, values, today)
    raw, contacts, contact_notes = _with_contacts(source, table, today, params)
    result = segment(raw, params, row_labels=table.raw.index.to_series() + 1,
                     scales=table.scales, years=table.years)
    found, notes = messages(result.issues, table.place)
    errors = list(param_errors) + found
    notes = list(table.notes) + notes
    for key, text in table.year_columns.items():
        notes.append(f'{table.sheet}: Spalte „{text}“ als „{header(key)}“ gelesen')
    notes.extend(scale_notes(table))
    if len(table.years) >= 3:
        notes.append(f"{table.sheet}: Umsätze {min(table.years)} bis {max(table.years)} als "
                     "Kundenhistorie gelesen (Ø Wachstum, rückläufig seit)")
    if contacts is not None:
        _contact_risk(contacts, result, errors, notes, contact_notes)
    crossed_table = _crossed(source, table, result, dimensions, errors, notes)
    return SegmentReport(path=path, source=source, table=table, params=params, result=result,
                           distribution=distribution(result.output, result.inputs),
                         errors=errors, notes=notes, parameters=values, crossed=crossed_table)


def _with_contacts(source: SheetSource, table: CustomerTable, today: _dt.date,
                   params: Parameters):
    """The customer rows with the loyalty derived from the sheet ``Ansprechpartner`` where a
    row has none (the rows' own values win), the contacts' summary and notes; without the sheet
    the rows as they are."""
    from .core import contacts as rules
    from .core.numbers import normalize_id
    from .io.contacts import find_contacts_table

    found = find_contacts_table(source)
    if found is None or not found.rows:
        return table.raw, None, []
    ids = table.raw["customer_id"].map(normalize_id) if "customer_id" in table.raw else \
        pd.Series(None, index=table.raw.index, dtype=object)
    raw, summary, used = rules.with_contacts(table.raw, ids, found.raw, today,
                                             int(params.tage_ohne_kontakt))
    notes = [f"{table.cell(row, 'loyalty') if 'loyalty' in table.columns else table.sheet}: "
             f"Verbundenheit {float(raw.at[row, 'loyalty']):g} aus den Ansprechpartnern "
             "abgeleitet" for row in raw.index[used.to_numpy()]]
    return raw, (found, summary, ids), notes


def _contact_risk(contacts, result: SegmentResult, errors: list[str], notes: list[str],
                  contact_notes: list[str]) -> None:
    """The contact flags of A/B customers joined to ``Risiko``; the sheet's messages."""
    from .core import contacts as rules

    found, summary, ids = contacts
    rules.add_contact_risk(result.output, ids, summary)
    notes.extend(contact_notes)
    bad, noted = messages(summary.issues, lambda issue: found.cell(issue.row, issue.field)
                          if issue.field in found.columns else f"{found.sheet}!{issue.row + 1}")
    errors += bad
    notes += noted


def _crossed(source: SheetSource, table: CustomerTable, result: SegmentResult,
             wanted: Sequence[str], errors: list[str], notes: list[str]):
    """The distribution crossed with the dimensions asked for (German messages for names that
    are no column; more than two: the first two)."""
    from .core.dimensions import MAX_DIMENSIONS, crossed, dimension_names
    from .io.reader import column_series, read_dimensions

    names = list(dict.fromkeys([*wanted, *read_dimensions(source)]))
    if not names:
        return None
    found, missing = dimension_names(names, [str(h) for h in table.headers.values()])
    for name in missing:
        errors.append(f'{table.sheet}: Spalte „{name}“ für die Auswertung nach Kaufverhalten '
                      "nicht gefunden")
    if len(found) > MAX_DIMENSIONS:
        notes.append(f"Auswertung nach Kaufverhalten: höchstens {MAX_DIMENSIONS} Merkmale, "
                     f"verwendet {', '.join(found[:MAX_DIMENSIONS])}")
        found = found[:MAX_DIMENSIONS]
    if not found:
        return None
    frame = pd.DataFrame({name: column_series(table, name) for name in found})
    return crossed(result.output, result.inputs, frame)


def validate_source(source: SheetSource, today: _dt.date | None = None,
                    params: Path | None = None, dimensions: Sequence[str] = ()
                    ) -> SegmentReport:
    """Every check ``segment`` makes (customers, measures, the output layout), same messages,
    same exit code; nothing is written."""
    report, plan, _edits = workbook_edits(source, today, params, dimensions)
    report.plan = plan
    return report


def validate_workbook(path: str | Path, today: _dt.date | None = None,
                      params: Path | None = None, dimensions: Sequence[str] = ()
                      ) -> SegmentReport:
    """:func:`validate_source` on a workbook file."""
    return validate_source(FileSource(path), today, params, dimensions)


def plan_source(report: SegmentReport, today: _dt.date | None = None) -> PlanReport:
    """Pipeline (when the workbook keeps measures), gap to target and capacity."""
    today = today or _dt.date.today()
    source, params = report.source, report.params
    found = report.parameters or parameter_values(source)
    probabilities, issues = status_probabilities_from_names(found.values)
    by_name = found.cells
    errors = [f"{by_name.get(i.name.casefold(), i.name)}: {i.message}" for i in issues]
    notes: list[str] = []
    measures = find_measures_table(source)
    pipeline = None
    if measures is not None and measures.rows:
        customers = report.result.inputs[["customer_id"]].join(report.result.output[["code"]])
        pipeline = evaluate_pipeline(measures.raw, customers, probabilities, today,
                                     int(params.tage_ohne_aktivitaet))
        found, noted = messages(pipeline.issues, measures.place)
        errors += found
        notes += noted
        left_out = [str(row + 1) for row in pipeline.counted.index[~pipeline.counted.to_numpy()]]
        if left_out:
            notes.append(f"{measures.sheet}: {len(left_out)} Maßnahme(n) mit Fehlern zählen "
                         f"nicht zur Pipeline (Zeile {', '.join(left_out)})")
    gap = gap_to_target(report.result.output, report.result.inputs, pipeline, params)
    cap = capacity(report.result.output, params, report.result.inputs)
    errors += [f"{by_name.get(i.name.casefold(), i.name)}: {i.message}" for i in cap.issues]
    from .io.visit_sheet import plan_summary

    return PlanReport(measures=measures, pipeline=pipeline, gap=gap, capacity=cap,
                      errors=errors, notes=notes, visits=plan_summary(source))


def workbook_edits(source: SheetSource, today: _dt.date | None = None,
                   params: Path | None = None, dimensions: Sequence[str] = ()
                   ) -> tuple[SegmentReport, PlanReport, list[SheetEdit]]:
    """Everything a run writes: customer outputs, measure outputs, the Planung sheet, the
    buying-behaviour block of ``Auswertung``."""
    report = analyse_source(source, today, params, dimensions)
    plan = plan_source(report, today)
    edit, notes = segment_edit(source, report.table, report.result)
    edits = [edit]
    report.notes.extend(notes)
    if plan.pipeline is not None:
        m_edit, m_notes = table_edit(source, plan.measures, plan.pipeline.output,
                                     MEASURE_OUTPUT_KEYS, measure_header, MEASURE_FORMATS)
        edits.append(m_edit)
        plan.notes.extend(m_notes)
    sheet = planung_sheet(source)
    if sheet is not None:
        cells = plan_layout.plan_cells(plan.gap, plan.capacity)
        formats = plan_layout.value_formats(cells)
        edits.append(SheetEdit(sheet=sheet, cells=cells,
                               restyle={rc: ("format", code) for rc, code in formats.items()},
                               heights=plan_layout.row_heights(cells)))
    if report.crossed is not None:
        from .io import dimension_block

        found = next((s for s in source.worksheets() if s.name == dimension_block.SHEET), None)
        grid = source.grid(found) if found is not None else []
        if found is not None and dimension_block.is_ours(grid):
            edits.append(SheetEdit(sheet=found,
                                   cells=dimension_block.block_cells(report.crossed, grid)))
        else:
            report.notes.append("Auswertung nach Kaufverhalten nur im Bericht: die Mappe hat kein "
                                f"Blatt „{dimension_block.SHEET}“ der Vorlage")
    return report, plan, edits


def planung_sheet(source: SheetSource) -> SheetInfo | None:
    """The ``Planung`` sheet when it has the layout this project writes into."""
    for sheet in source.worksheets():
        if sheet.name != plan_layout.SHEET:
            continue
        grid = source.grid(sheet)
        row = grid[plan_layout.GAP_HEAD] if len(grid) > plan_layout.GAP_HEAD else []
        if tuple(row[:4]) == plan_layout.ROW_HEAD:
            return sheet
    return None


def segment_workbook(path: str | Path, out: str | Path | None = None,
                     today: _dt.date | None = None, params: Path | None = None, *,
                     force: bool = False, dimensions: Sequence[str] = ()) -> SegmentReport:
    """Segment ``path`` (with pipeline and plan where the workbook has them) and write every
    output into ``out`` (default: in place) in one atomic write. ``params``: a parameter
    workbook whose values are used (see :func:`parameter_values`).

    ``out`` must not be an existing other file (unless ``force``) and must carry the extension
    the content needs; everything is checked before anything is written."""
    source = FileSource(path)
    dst = output_target(source, out, [params] if params is not None else [], force=force)
    report, plan, edits = workbook_edits(source, today, params, dimensions)
    for table in (report.table, plan.measures):
        if table is not None:
            table.grid = []
    source.release_values()
    with new_folders(dst):
        FileWriter(source, dst).apply(edits)
    report.plan = plan
    report.written = Path(out) if out is not None else report.path
    return report


def output_target(source: FileSource, out: str | Path | None, inputs: list[Path] = (),
                  *, force: bool = False) -> Path:
    """The real file a run writes: the workbook itself, or ``out`` when it is allowed (a new
    file or, with ``force``, an existing one; never another input of the run; the extension
    the content needs). Checked before anything is computed or written."""
    if out is None:
        return target_path(source.path)
    return check_output(Path(out), inputs, package_suffix(source.package), force=force,
                        in_place=source.path)


def demo_workbook_to(dst: Path, today: _dt.date | None = None, *, force: bool = False
                     ) -> SegmentReport:
    """The embedded demo workbook, segmented and planned, written to ``dst`` (a new
    ``.xlsm``; an existing file only with ``force``). Nothing is written when a check fails."""
    from .resources import demo_workbook

    report = segment_workbook(demo_workbook(), dst, today, force=force)
    report.path = Path(dst)
    return report


# -- cost to serve and pricing ------------------------------------------------------------------
@dataclass
class PricingReport:
    """What ``xl-cseg pricing`` computed (and wrote)."""

    segment: SegmentReport
    result: "PricingResult"
    orders: CustomerTable | None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: Path | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_ROW_ERRORS if self.errors else EXIT_OK


def _located(table: CustomerTable | None, issues, errors: list[str], notes: list[str]) -> None:
    found, noted = messages(issues, table.place if table is not None else lambda _issue: "")
    errors += found
    notes += noted


def pricing_source(source: SheetSource, overrides: dict | None = None,
                   today: _dt.date | None = None, params_path: Path | None = None
                   ) -> PricingReport:
    """Segment, then cost to serve and pricing (``overrides``: parameter values by key that win
    over the workbook's, e.g. from the command line; ``params_path``: a parameter workbook, see
    :func:`parameter_values`); nothing is written."""
    from .core.pricing import pricing
    from .io.orders import find_orders_table

    today = today or _dt.date.today()
    report = analyse_source(source, today, params_path)
    params = report.params.with_values(**(overrides or {})) if overrides else report.params
    orders = find_orders_table(source)
    raw = report.table.raw.loc[report.result.output.index]
    result = pricing(report.result.output, report.result.inputs, params, raw,
                     orders.raw if orders is not None and orders.rows else None, today)
    errors = list(report.errors)
    notes = list(report.notes)
    _located(report.table, result.issues, errors, notes)
    _located(orders, result.order_issues, errors, notes)
    return PricingReport(segment=report, result=result, orders=orders, errors=errors,
                         notes=notes)


def pricing_origin(report: PricingReport) -> str:
    """Where the run's parameters came from, for the sheet's text."""
    from .io.pricing_sheet import params_origin

    values = report.segment.parameters
    text = params_origin(values.label, values.cells) if values is not None else \
        params_origin("Standardwerte", {})
    overridden = [label for key, label in (("mindestbestellwert", "Mindestbestellwert"),
                                           ("pauschale", "Pauschale"),
                                           ("kosten_je_auftrag", "Kosten je Auftrag"))
                  if getattr(report.result.params, key) != getattr(report.segment.params, key)]
    return text + (" (" + ", ".join(overridden) + " aus der Befehlszeile)" if overridden else "")


def pricing_workbook(path: str | Path, out: str | Path | None = None,
                     overrides: dict | None = None, today: _dt.date | None = None, *,
                     force: bool = False, params_path: Path | None = None) -> PricingReport:
    """:func:`pricing_source` on a file, and the sheet ``Preise & Kosten`` written (added or
    rewritten; every other part unchanged)."""
    from .io import pricing_sheet
    from .io.writer import write_sheets

    source = FileSource(path)
    report = pricing_source(source, overrides, today, params_path)
    dst = output_target(source, out, force=force)
    content = pricing_sheet.pricing_content(report.result, report.result.params,
                                            pricing_origin(report))
    with new_folders(dst):
        write_sheets(source, dst, [content], lambda _c, grid: pricing_sheet.is_ours(grid))
    report.written = Path(out) if out is not None else source.path
    return report


# -- what-if for the threshold ------------------------------------------------------------------
@dataclass
class WhatIfReport:
    segment: SegmentReport
    result: "WhatIf"
    written: Path | None = None


def whatif_source(source: SheetSource, values: dict, today: _dt.date | None = None
                  ) -> WhatIfReport:
    """Segment (today's classes), then the what-if table for ``values`` (key -> values)."""
    from .core.whatif import what_if

    report = analyse_source(source, today)
    result = what_if(report.result.inputs["revenue"].to_numpy(dtype=float, na_value=float("nan")),
                     report.result.output["abc"].to_numpy(dtype=object), report.params, values)
    return WhatIfReport(segment=report, result=result)


def whatif_workbook(path: str | Path, values: dict, out: str | Path | None = None,
                    today: _dt.date | None = None, *, force: bool = False) -> WhatIfReport:
    """:func:`whatif_source` on a file and the sheet ``Was-wäre-wenn`` (table and native chart)
    written into it (added or rewritten; every other part unchanged)."""
    from .io import whatif_sheet
    from .io.writer import write_sheets

    source = FileSource(path)
    dst = output_target(source, out, force=force)
    report = whatif_source(source, values, today)
    with new_folders(dst):
        write_sheets(source, dst, [whatif_sheet.whatif_content(report.result)],
                     lambda _c, grid: whatif_sheet.is_ours(grid))
    report.written = Path(out) if out is not None else source.path
    return report


# -- visit plan and call list -------------------------------------------------------------------
class PlanRefused(WorkbookError):
    """The period cannot be planned (German message); nothing written."""


@dataclass
class VisitReport:
    """What ``xl-cseg visits`` planned (and wrote)."""

    segment: SegmentReport
    plan: "VisitPlan"
    kept: int  # appointments kept from the sheet (past or fixed)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: Path | None = None
    calendar: Path | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_ROW_ERRORS if self.errors else EXIT_OK


LAT_HEADERS = ("breitengrad", "breite", "lat", "latitude")
LON_HEADERS = ("laengengrad", "laenge", "lon", "lng", "longitude")


def _visit_customers(report: SegmentReport, today: _dt.date) -> pd.DataFrame:
    """The segmented customers as the visit plan reads them (code, visits a year, place, last
    contact, the cell a message names)."""
    from .core.numbers import parse_number
    from .io.headers import normalize
    from .io.reader import column_series

    table, result = report.table, report.result
    rows = result.output.index
    raw = table.raw.loc[rows]
    frame = pd.DataFrame({
        "customer_id": result.inputs["customer_id"].astype(str),
        "name": result.inputs["name"].fillna("").astype(str),
        "code": result.output["code"], "visits": result.output["visits"].astype(float),
        "revenue": result.inputs["revenue"].astype(float),
        "potential": result.inputs["potential"].astype(float),
        "potential_class": result.output["potential_class"],
        "city": raw["city"].map(lambda v: "" if v is None else str(v).strip())
        if "city" in raw else "",
    }, index=rows)
    if "postcode" in raw:  # without the column the plan goes without route (one note)
        frame["postcode"] = raw["postcode"].map(lambda v: "" if v is None else str(v).strip())
    frame["where"] = [table.cell(r, "postcode" if "postcode" in table.columns else "customer_id")
                      for r in rows]
    for key, words in (("lat", LAT_HEADERS), ("lon", LON_HEADERS)):
        head = next((str(h) for h in table.headers.values() if normalize(h) in words), None)
        if head is not None:
            values = column_series(table, head).loc[rows]
            frame[key] = [parse_number(v)[0] if v not in (None, "") else None for v in values]
            frame[key] = frame[key].astype(float)
    frame["last_contact"] = None
    from .core import contacts as contact_rules
    from .io.contacts import find_contacts_table

    found = find_contacts_table(report.source)
    if found is not None and found.rows:
        summary = contact_rules.summarize(found.raw, frame["customer_id"], today,
                                          int(report.params.tage_ohne_kontakt))
        last = summary.per_customer["last_contact"].to_dict()
        frame["last_contact"] = [last.get(cid) for cid in frame["customer_id"]]
    return frame


def visits_source(source: SheetSource, start: _dt.date, weeks: int,
                  today: _dt.date | None = None) -> VisitReport:
    """Segment, then plan the visits and calls from ``start`` for ``weeks`` weeks; the
    appointments of an existing ``Besuchsplan`` before ``today`` or marked fixed are kept.
    Nothing is written."""
    from .core.pipeline import WON, LOST
    from .core.visits import PlanError, visit_plan
    from .io.visit_sheet import kept_appointments, read_absences

    today = today or _dt.date.today()
    report = analyse_source(source, today)
    plan_report = plan_source(report, today)
    customers = _visit_customers(report, today)
    errors, notes = list(report.errors), list(report.notes)
    missing = customers["code"].isna()
    for where in customers["where"][missing]:
        notes.append(f"{where}: ohne Segment (Eingabefehler) nicht im Besuchsplan")
    planned = customers[~missing]
    if "postcode" not in customers:
        notes.append(f"{report.table.sheet}: die Kundentabelle hat keine Spalte „PLZ“: Besuche "
                     "ohne Tourenbezug geplant (Spalten „PLZ“ und „Ort“ ergänzen)")
    measures = None
    pipeline = plan_report.pipeline
    if pipeline is not None:
        inputs = pipeline.inputs
        open_ = ~inputs["status"].isin([WON, LOST]) & pipeline.counted
        measures = inputs.loc[open_, ["customer_id", "measure", "next_step", "due_date"]].copy()
        measures["customer_id"] = measures["customer_id"].astype(str)
    prospect_mask = ((planned["revenue"] == 0) & (planned["potential"] > 0)) | \
        planned["potential_class"].isin(["Win", "Grow"])
    prospects = planned[prospect_mask].assign(
        kind=["Interessent" if r == 0 else "Wachstumskunde" for r in
              planned["revenue"][prospect_mask]])
    prospects = prospects.sort_values("potential", ascending=False, kind="stable")
    fixed, kept_issues = kept_appointments(source, today)
    absences, absence_issues = read_absences(source)
    try:
        plan = visit_plan(planned, start, weeks, report.params, today=today, absences=absences,
                          fixed=fixed, measures=measures, prospects=prospects)
    except PlanError as exc:
        raise PlanRefused(f"„{source.path.name}“: {exc}; nichts geschrieben.",
                          path=source.path) from exc
    for issue in [*kept_issues, *absence_issues, *plan.issues]:
        (errors if issue.error else notes).append(str(issue))
    return VisitReport(segment=report, plan=plan, kept=0 if fixed is None else len(fixed),
                       errors=errors, notes=notes)


def visits_workbook(path: str | Path, start: _dt.date, weeks: int,
                    calendar: str | Path | None = None, out: str | Path | None = None,
                    today: _dt.date | None = None, *, force: bool = False,
                    stamp: _dt.datetime | None = None) -> VisitReport:
    """:func:`visits_source` on a file; the sheets ``Besuchsplan`` and ``Anrufliste`` written
    into it (added or rewritten; every other part unchanged) and, with ``calendar``, the
    appointments as an ``.ics`` file. Every target is checked before anything is written."""
    from .io import ics, visit_sheet
    from .io.writer import write_sheets

    source = FileSource(path)
    dst = output_target(source, out, force=force)
    cal = ics.check_calendar_target(Path(calendar), force) if calendar is not None else None
    report = visits_source(source, start, weeks, today)
    contents = [visit_sheet.plan_content(report.plan, report.segment.params),
                visit_sheet.calls_content(report.plan)]
    with new_folders(dst):
        write_sheets(source, dst, contents, visit_sheet.is_ours)
    report.written = Path(out) if out is not None else source.path
    if cal is not None:
        ics.write_calendar(cal, ics.calendar_text(
            report.plan, stamp or _dt.datetime.now(_dt.timezone.utc)))
        report.calendar = Path(calendar)
    return report
