"""Build ``Kundensegmentierung.xlsm`` from source: sheets (XlsxWriter), VBA project, ribbon.

Deterministic: the same sources give the same bytes (fixed document dates and zip timestamps).
Nothing is written unless every part was built and checked.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xlsxwriter

from ..core.columns import OUTPUT_FIELDS
from ..core.distribution import distribution
from ..core.numbers import normalize_id
from ..core.params import Parameters
from ..core.pipeline import STATUSES, evaluate_pipeline
from ..core.planning import capacity, gap_to_target
from ..core.segment import segment
from ..io import plan_layout
from ..io.names import OWNED_NAME, owned_formula
from ..xlsx.definednames import set_local_name
from . import sheet_kunden, sheet_massnahmen
from ..core.contacts import add_contact_risk, with_contacts
from ..core.pricing import pricing
from ..io.pricing_sheet import pricing_content
from .demo_data import demo_customers, demo_orders
from .sheet_ansprechpartner import demo_contacts, write_ansprechpartner_sheet
from .sheet_auftraege import write_auftraege_sheet
from .sheet_content import write_content
from .formats import make_formats
from .ribbon import (CUSTOMUI_PART, CUSTOMUI_REL_TYPE, check_callbacks, ribbon_xml,
                     validate_ribbon)
from .sheet_auswertung import write_auswertung_sheet
from .sheet_kunden import write_kunden_sheet
from .sheet_massnahmen import demo_measures, write_massnahmen_sheet
from .sheet_parameter import write_parameter_sheet
from .sheet_planung import write_planung_sheet
from .sheet_start import write_conf_sheet, write_start_sheet
from .vba_modules import project_modules
from .vba_project import build_vba_project
from ..xlsx.atomic import temp_beside

BUILD_DATE = _dt.date(2026, 11, 1)  # "today" of the demo data; fixed for reproducible builds
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# sheet name -> VBA code name (document module)
SHEETS: tuple[tuple[str, str], ...] = (
    ("Start", "shStart"), ("Parameter", "shParameter"), ("Kunden", "shKunden"),
    ("Maßnahmen", "shMassnahmen"), ("Planung", "shPlanung"), ("Auswertung", "shAuswertung"),
    ("Aufträge", "shAuftraege"), ("Preise & Kosten", "shPreise"),
    ("Ansprechpartner", "shAnsprechpartner"), ("xlwings.conf", "shConf"),
)


@dataclass(frozen=True)
class Variant:
    name: str
    demo: bool


TEMPLATE = Variant("Kundensegmentierung.xlsm", demo=False)
DEMO = Variant("Kundensegmentierung-Demo.xlsm", demo=True)


def _demo_frames(params: Parameters):
    """Demo customers and measures with every computed column, as the engine computes them."""
    raw = demo_customers().rename(columns={
        "Kunden-Nr": "customer_id", "Kunde": "name", "Gebiet": "territory",
        "Umsatz Vorvorjahr": "revenue_prev", "Umsatz Vorjahr": "revenue",
        "Potenzial": "potential", "Verbundenheit": "loyalty"})
    raw["customer_id"] = raw["customer_id"].astype(float)
    contacts = demo_contacts(demo_customers(), BUILD_DATE)
    ids = raw["customer_id"].map(normalize_id)
    raw_in, summary, _used = with_contacts(raw, ids, contacts, BUILD_DATE,
                                           int(params.tage_ohne_kontakt))
    result = segment(raw_in, params)
    add_contact_risk(result.output, ids, summary)
    customers = raw.join(result.output)
    measures_in = demo_measures(customers, BUILD_DATE)
    pipeline = evaluate_pipeline(measures_in, customers[["customer_id", "code"]], None, BUILD_DATE,
                                 int(params.tage_ohne_aktivitaet))
    measures = measures_in.join(pipeline.output)
    gap = gap_to_target(result.output, result.inputs, pipeline, params)
    cap = capacity(result.output, params, result.inputs)
    names = {normalize_id(r["customer_id"]): r["name"] for r in customers.to_dict("records")}
    orders = demo_orders(demo_customers(), BUILD_DATE.year - 1)
    order_raw = orders.rename(columns={"Kunden-Nr": "customer_id", "Datum": "date",
                                       "Auftragswert": "value"})
    priced = pricing(result.output, result.inputs, params, raw, order_raw, BUILD_DATE)
    return (customers, distribution(result.output, result.inputs), measures,
            plan_layout.plan_cells(gap, cap), names, orders, priced)


class BuildError(Exception):
    """A source did not build (German message); nothing was written."""


def build_workbook(variant: Variant = TEMPLATE, params: Parameters | None = None) -> bytes:
    """The complete .xlsm as bytes; XlsxWriter's warnings about Excel limits fail the build."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        try:
            return _build(variant, params or Parameters())
        except (UserWarning, ValueError) as exc:  # RibbonError, VbaSourceError are ValueErrors
            raise BuildError(f"Arbeitsmappe nicht gebaut: {exc}") from exc


def _build(variant: Variant, params: Parameters) -> bytes:
    ribbon = ribbon_xml()
    validate_ribbon(ribbon)
    modules = project_modules([code for _name, code in SHEETS])
    check_callbacks(ribbon, {m.name: m.source for m in modules})
    vba = build_vba_project(modules)

    if variant.demo:
        customers, dist, measures, plan_cells, names, orders, priced = _demo_frames(params)
    else:
        customers = dist = measures = orders = priced = None
        plan_cells, names = {}, {}

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"title": "Kundensegmentierung", "subject": "ABC x Win/Grow/Maintain",
                       "author": "xl-cseg", "company": "", "created": _dt.datetime(2026, 1, 1),
                       "comments": "Gebaut mit xl-cseg build-workbook aus den Quellen."})
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(io.BytesIO(vba), is_stream=True)
    fmt = make_formats(wb)
    sheets = {}
    for name, code in SHEETS:
        ws = wb.add_worksheet(name)
        ws.set_vba_name(code)
        # printed lists: A4 landscape, one page wide, header row on every page
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        if name in (sheet_kunden.SHEET, sheet_massnahmen.SHEET):
            ws.repeat_rows(0)
        sheets[name] = ws
    write_start_sheet(sheets["Start"], fmt)
    probabilities = [(s.name, f"Wahrscheinlichkeit „{s.label}“", "%", s.default,
                      "Erfolgswahrscheinlichkeit einer Maßnahme in diesem Status.")
                     for s in STATUSES]
    write_parameter_sheet(wb, sheets["Parameter"], fmt, params,
                          [("Pipeline: Wahrscheinlichkeit je Status", probabilities)])
    write_kunden_sheet(sheets["Kunden"], fmt, _customer_columns(customers))
    write_massnahmen_sheet(sheets["Maßnahmen"], fmt, measures, names)
    write_planung_sheet(wb, sheets["Planung"], fmt, plan_cells)
    write_auswertung_sheet(wb, sheets["Auswertung"], fmt, dist)
    write_auftraege_sheet(sheets["Aufträge"], fmt, orders, names)
    write_content(wb, sheets["Preise & Kosten"], fmt, pricing_content(priced, params))
    write_ansprechpartner_sheet(sheets["Ansprechpartner"], fmt,
                                demo_contacts(demo_customers(), BUILD_DATE) if variant.demo
                                else None, names)
    write_conf_sheet(sheets["xlwings.conf"])
    sheets["Start"].activate()
    wb.close()
    return add_ribbon(out.getvalue(), ribbon)


def _customer_columns(customers: pd.DataFrame | None) -> pd.DataFrame | None:
    if customers is None:
        return None
    frame = customers.copy()
    frame["customer_id"] = frame["customer_id"].astype(int)
    return frame[list(sheet_kunden.COLUMNS)]


def mark_owned_columns(workbook_xml: bytes) -> bytes:
    """The template's output columns marked as this project's own (``_xlcseg_owned``), so that
    runs write them like the columns they appended themselves."""
    owned = {sheet_kunden.SHEET: [sheet_kunden.column(f.key) for f in OUTPUT_FIELDS],
             sheet_massnahmen.SHEET: [sheet_massnahmen.column(k)
                                      for k in sheet_massnahmen.OUTPUT_KEYS]}
    for sheet, cols in owned.items():
        workbook_xml = set_local_name(workbook_xml, OWNED_NAME, sheet, owned_formula(sheet, cols))
    return workbook_xml


def add_ribbon(xlsm: bytes, ribbon: bytes) -> bytes:
    """Add ``customUI/customUI14.xml`` and its root relationship; fix every zip timestamp."""
    src = zipfile.ZipFile(io.BytesIO(xlsm))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = mark_owned_columns(data)
            if info.filename == "_rels/.rels":
                rel = (f'<Relationship Id="rIdCseg" Type="{CUSTOMUI_REL_TYPE}" '
                       f'Target="{CUSTOMUI_PART}"/>').encode()
                data = data.replace(b"</Relationships>", rel + b"</Relationships>")
            _write(dst, info.filename, data)
        _write(dst, CUSTOMUI_PART, ribbon)
    return out.getvalue()


def _write(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    zf.writestr(info, data)


def write_atomic(data: bytes, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with temp_beside(dst) as (fh, _readable):
        os.fchmod(fh.fileno(), 0o644)
        fh.write(data)


def build_all(repo_workbook: Path | None, data_dir: Path) -> dict[Path, bytes]:
    """Build the template and the demo and write them where the repo and the package keep them."""
    template = build_workbook(TEMPLATE)
    demo = build_workbook(DEMO)
    targets = {data_dir / TEMPLATE.name: template, data_dir / DEMO.name: demo}
    if repo_workbook is not None:
        targets[repo_workbook] = template
    for path, data in targets.items():
        write_atomic(data, path)
    return targets
