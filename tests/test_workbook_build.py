"""The shipped workbook: reproducible from source, its VBA, ribbon and package checked by
independent tools (oletools/olefile, Microsoft's schema, LibreOffice, Excel-made references)."""

from __future__ import annotations

import importlib
import io
import re
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings
import xlsxwriter
from lxml import etree
from oletools.olevba import VBA_Parser

from tests.lo.harness import probe, requires_lo
from xl_cseg.build import vba_modules, workbook as build
from xl_cseg.build.ribbon import RIBBON, check_callbacks, ribbon_vba_source, ribbon_xml
from xl_cseg.build.vba_project import VbaModule, build_vba_project, normalize_source
from xl_cseg.resources import demo_workbook, template_workbook

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "workbook" / "Kundensegmentierung.xlsm"
MACRO_REF = REPO.parent / "shared" / "corpus" / "excel-made" / "macro02.xlsm"
CODE_NAMES = [code for _name, code in build.SHEETS]
RUN_PYTHON = re.compile(r'RunPython "import xl_cseg\.macros as m; m\.(\w+)\(\)"')


@pytest.fixture(scope="module")
def template() -> bytes:
    return build.build_workbook(build.TEMPLATE)


@pytest.fixture(scope="module")
def modules() -> list[VbaModule]:
    return vba_modules.project_modules(CODE_NAMES)


def _vba_bin(xlsm: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(xlsm)) as zf:
        return zf.read("xl/vbaProject.bin")


def test_committed_workbook_equals_a_fresh_build(template):
    assert COMMITTED.read_bytes() == template, "run: xl-cseg build-workbook"
    assert template_workbook().read_bytes() == template
    assert demo_workbook().read_bytes() == build.build_workbook(build.DEMO)


def test_build_is_deterministic_with_fixed_zip_times(template):
    assert build.build_workbook(build.TEMPLATE) == template
    with zipfile.ZipFile(io.BytesIO(template)) as zf:
        assert {i.date_time for i in zf.infolist()} == {build.ZIP_TIME}


def test_olevba_extracts_every_module_byte_identical(template, modules):
    parser = VBA_Parser("Kundensegmentierung.xlsm", data=template)
    extracted = {Path(name).stem: code for _f, _s, name, code in parser.extract_macros()}
    assert set(extracted) == {m.name for m in modules}
    for module in modules:
        assert extracted[module.name] == normalize_source(module), module.name


def test_vba_container_has_no_defects(template):
    ole = olefile.OleFileIO(_vba_bin(template), raise_defects=olefile.DEFECT_INCORRECT)
    streams = {"/".join(p) for p in ole.listdir()}
    assert {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} <= streams
    assert ole.openstream("VBA/_VBA_PROJECT").read()[:4] == b"\xcc\x61\xff\xff"  # source only


def test_every_callback_has_its_procedure_and_python_entry_point(modules):
    sources = {m.name: m.source for m in modules}
    check_callbacks(ribbon_xml(), sources)
    ribbon_module = sources["Ribbon"]
    targets = RUN_PYTHON.findall(ribbon_module)
    assert targets, "no RunPython call found"
    macros = importlib.import_module("xl_cseg.macros")
    for target in targets:
        assert callable(getattr(macros, target)), target
    buttons = [b for g in RIBBON for b in g.buttons]
    assert sorted(targets) == sorted(b.entry_point for b in buttons)


def test_ribbon_module_source_matches_the_ribbon_definition(modules):
    kept = (REPO / "xl_cseg" / "vba" / "Ribbon.bas").read_text(encoding="utf-8")
    assert kept.replace("\r\n", "\n") == ribbon_vba_source().replace("\r\n", "\n")


def test_embedded_xlwings_version_equals_installed(template):
    parser = VBA_Parser("x.xlsm", data=template)
    code = {Path(name).stem: c for _f, _s, name, c in parser.extract_macros()}["xlwings"]
    embedded = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', code).group(1)
    assert embedded == xlwings.__version__ == "0.37.8"


def test_document_modules_match_code_names(template):
    with zipfile.ZipFile(io.BytesIO(template)) as zf:
        workbook_xml = zf.read("xl/workbook.xml").decode()
        sheets = [zf.read(f"xl/worksheets/sheet{i}.xml").decode()
                  for i in range(1, len(CODE_NAMES) + 1)]
    assert 'codeName="ThisWorkbook"' in workbook_xml
    for code, xml in zip(CODE_NAMES, sheets):
        assert f'codeName="{code}"' in xml


def _types_and_rels(data: bytes) -> tuple[dict, dict, dict]:
    """Effective content type of every part (override, else default by extension); rels."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        types = etree.fromstring(zf.read("[Content_Types].xml"))
        root_rels = etree.fromstring(zf.read("_rels/.rels"))
        wb_rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    overrides = {e.get("PartName"): e.get("ContentType") for e in types if e.get("PartName")}
    defaults = {e.get("Extension"): e.get("ContentType") for e in types if e.get("Extension")}
    effective = {"/" + n: overrides.get("/" + n, defaults.get(n.rsplit(".", 1)[-1]))
                 for n in names if not n.endswith("/")}
    return (effective, {e.get("Type"): e.get("Target") for e in root_rels},
            {e.get("Type"): e.get("Target") for e in wb_rels})


@pytest.mark.skipif(not MACRO_REF.exists(), reason=f"Excel-made reference missing: {MACRO_REF}")
def test_content_types_and_relationships_as_excel_writes_them(template):
    ours_types, ours_root, ours_wb = _types_and_rels(template)
    ref_types, ref_root, ref_wb = _types_and_rels(MACRO_REF.read_bytes())
    for part in ("/xl/workbook.xml", "/xl/vbaProject.bin", "/xl/worksheets/sheet1.xml",
                 "/xl/styles.xml", "/docProps/core.xml"):
        assert ours_types[part] == ref_types[part], part
    assert ours_types["/customUI/customUI14.xml"] == "application/xml"
    vba_rel = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
    assert ours_wb[vba_rel] == ref_wb[vba_rel] == "vbaProject.bin"
    office_doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
    assert ours_root[office_doc] == ref_root[office_doc]
    ui = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
    assert ours_root[ui] == "customUI/customUI14.xml"


def test_sheets_tables_and_names(template):
    import python_calamine as pc

    book = pc.CalamineWorkbook.from_filelike(io.BytesIO(template))
    assert book.sheet_names == ["Start", "Parameter", "Kunden", "Maßnahmen", "Planung",
                                "Auswertung", "Aufträge", "Preise & Kosten", "Ansprechpartner",
                                "xlwings.conf"]
    hidden = [m.name for m in book.sheets_metadata if str(m.visible) != "SheetVisibleEnum.Visible"]
    assert hidden == ["xlwings.conf"]
    with zipfile.ZipFile(io.BytesIO(template)) as zf:
        wb = zf.read("xl/workbook.xml").decode()
        tables = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/tables/")]
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
    for name in ("Kosten_je_Besuch", "Besuche_B", "Max_Vertriebskostenanteil", "Schwelle_C",
                 "Schwelle_A", "Kanal_C_Win", "Wkt_in_Erprobung"):
        assert f'name="{name}"' in wb
    assert any('name="tblKunden"' in t for t in tables)
    assert any('name="tblMassnahmen"' in t for t in tables)
    assert len(charts) >= 4  # by code, matrix, plan gap, visits per code


@requires_lo
def test_libreoffice_loads_the_workbook(tmp_path, template):
    path = tmp_path / "Kundensegmentierung.xlsm"
    path.write_bytes(template)
    demo = tmp_path / "Demo.xlsm"
    demo.write_bytes(demo_workbook().read_bytes())
    results = probe([
        {"path": str(path), "cells": ["Parameter!B6", "Kunden!A1", "Kunden!P1"]},
        {"path": str(demo), "cells": ["Kunden!L2", "Auswertung!B8"]},
    ])
    tpl, dem = results
    assert tpl["ok"], tpl
    assert tpl["sheets"] == ["Start", "Parameter", "Kunden", "Maßnahmen", "Planung",
                             "Auswertung", "Aufträge", "Preise & Kosten", "Ansprechpartner",
                                "xlwings.conf"]
    assert {"Kosten_je_Besuch", "Schwelle_C", "Schwelle_A"} <= set(tpl["named_ranges"])
    assert {"tblKunden", "tblMassnahmen"} <= set(tpl["database_ranges"])
    assert tpl["cells"]["Parameter!B6"] == 350
    assert tpl["cells"]["Kunden!A1"] == "Kunden-Nr" and tpl["cells"]["Kunden!P1"] == "Prüfhinweis"
    assert set(tpl["vba_modules"]) == {m.name for m in vba_modules.project_modules(CODE_NAMES)}
    assert dem["ok"] and dem["cells"]["Kunden!L2"] in {f"{a}-{p}" for a in "ABC"
                                                       for p in ("Win", "Grow", "Maintain")}


def _single_module_doc(path: Path, module: VbaModule) -> None:
    """A workbook whose VBA project holds just one of our modules (LibreOffice cannot compile
    xlwings' Declare PtrSafe lines, so each own module is probed in a document of its own)."""
    kind = module.kind
    extra = [] if kind == "document" else [VbaModule("ThisWorkbook", "document",
                                                     vba_modules.document_source("ThisWorkbook"))]
    vba = build_vba_project([module, *extra])
    wb = xlsxwriter.Workbook(str(path))
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(io.BytesIO(vba), is_stream=True)
    wb.add_worksheet("Tabelle1")
    wb.close()


@requires_lo
def test_probe_function_in_each_own_module_runs(tmp_path, modules):
    own = [m for m in modules if m.name in ("Ribbon", "xlwings_udfs", "xl_cseg_udf_docs",
                                             "ThisWorkbook")]
    docs = []
    for module in own:
        path = tmp_path / f"{module.name}.xlsm"
        _single_module_doc(path, module)
        docs.append({"path": str(path), "probe": [f"{module.name}.CsegProbe"]})
    results = probe(docs)
    for module, result in zip(own, results):
        assert result["ok"], result
        assert module.name in result["vba_modules"]
        expected = "Ribbon ok" if module.name == "Ribbon" else f"{module.name} ok"
        assert result["probe"][f"{module.name}.CsegProbe"] == expected, result


def test_bad_vba_source_fails_the_build_and_writes_nothing(tmp_path, monkeypatch):
    real = vba_modules.own_source
    monkeypatch.setattr(vba_modules, "own_source", lambda name: real(name).replace(
        "Option Explicit", "Option Explicit\r\n' Pfeil →", 1) if name == "Ribbon" else real(name))
    target = tmp_path / "out.xlsm"
    with pytest.raises(build.BuildError, match="Modul Ribbon, Zeile 3: Zeichen \"→\""):
        build.build_all(target, tmp_path / "data")
    assert not target.exists() and not (tmp_path / "data").exists()


def test_ribbon_failing_the_schema_fails_the_build(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "ribbon_xml", lambda: ribbon_xml().replace(b"<group ", b"<grupe ",
                                                                            1))
    target = tmp_path / "out.xlsm"
    with pytest.raises(build.BuildError):
        build.build_all(target, tmp_path / "data")
    assert not target.exists()


def test_callback_without_procedure_fails_the_build(tmp_path, monkeypatch):
    real = vba_modules.own_source
    monkeypatch.setattr(vba_modules, "own_source", lambda name: real(name).replace(
        "Public Sub CsegSegment(", "Public Sub CsegSegmentX(") if name == "Ribbon" else real(name))
    target = tmp_path / "out.xlsm"
    with pytest.raises(build.BuildError, match="CsegSegment"):
        build.build_all(target, tmp_path / "data")
    assert not target.exists()


def test_start_sheet_shows_every_ribbon_button_whole(template):
    """Rendered by LibreOffice the Start sheet cut „Werte einfrie“ and printed the long
    descriptions over the next rows: column B holds each label, each row its wrapped lines."""
    import math

    import openpyxl
    sheet = openpyxl.load_workbook(io.BytesIO(template), read_only=False)["Start"]
    label_width = sheet.column_dimensions["B"].width
    tip_width = sheet.column_dimensions["C"].width
    rows = {}
    for row in sheet.iter_rows(min_col=2, max_col=3):
        label, tip = row[0].value, row[1].value
        if isinstance(label, str) and any(label == f"{g.label}: {b.label}"
                                          for g in RIBBON for b in g.buttons):
            rows[label] = (row[0].row, tip)
    assert len(rows) == sum(len(g.buttons) for g in RIBBON)
    for label, (r, tip) in rows.items():
        assert len(label) <= label_width, label
        lines = math.ceil(len(tip) / tip_width)
        height = sheet.row_dimensions[r].height or 15
        assert height >= 15 * lines, (label, height, lines)
