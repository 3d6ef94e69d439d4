"""What-if for the C-customer threshold: the figures against classifying again, properties, the
range syntax and its German errors, the sheet with a native chart."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import python_calamine as pc
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.lo.harness import probe, requires_lo
from tests.ooxml.schema import assert_schema_valid
from xl_cseg.cli import app
from xl_cseg.core import rules
from xl_cseg.core.params import Parameters
from xl_cseg.core.whatif import WhatIfError, parse_values, what_if
from xl_cseg.io import whatif_sheet

runner = CliRunner()


def test_today_row_keeps_the_seed_thresholds():
    revenue = np.array([5000.0, 14_000.0, 13_999.99, 42_000.0, 0.0, np.nan])
    today = rules.abc_class(revenue, Parameters())
    result = what_if(revenue, today, Parameters(), {"kosten_je_besuch": [350.0, 400.0]})
    heute, same, dearer = result.table.to_dict("records")
    assert (heute["C-Schwelle"], heute["A-Schwelle"]) == (14_000, 42_000)
    assert (heute["A Kunden"], heute["B Kunden"], heute["C Kunden"]) == (1, 1, 3)
    assert same["Klassenwechsel"] == 0
    # 400 EUR: C below 16,000, A from 48,000: 14,000 becomes C, 42,000 becomes B
    assert (dearer["C-Schwelle"], dearer["A-Schwelle"]) == (16_000, 48_000)
    assert (dearer["A Kunden"], dearer["B Kunden"], dearer["C Kunden"]) == (0, 1, 4)
    assert dearer["Klassenwechsel"] == 2 and dearer["neu C"] == 1
    assert dearer["C Umsatz"] == 5000 + 14_000 + 13_999.99
    assert result.customers == 5  # the customer without a revenue figure is left out


@given(revenue=st.lists(st.floats(0, 1e6), min_size=1, max_size=60),
       costs=st.lists(st.floats(1, 2000), min_size=1, max_size=8),
       visits=st.sampled_from([[2.0, 4.0], [4.0], [3.0, 5.0, 6.0]]),
       share=st.sampled_from([[0.1], [0.05, 0.2]]), pareto=st.booleans())
def test_scenarios_equal_classifying_every_customer_again(revenue, costs, visits, share, pareto):
    params = Parameters(abc_methode="pareto" if pareto else "absolut")
    revenue = np.array(revenue)
    today = rules.abc_class(revenue, params)
    result = what_if(revenue, today, params, {"kosten_je_besuch": costs, "besuche_b": visits,
                                              "max_kostenanteil": share})
    for row in result.table.to_dict("records")[1:]:
        p = params.with_values(kosten_je_besuch=row["kosten_je_besuch"],
                               besuche_b=row["besuche_b"], max_kostenanteil=row["max_kostenanteil"])
        grade = rules.abc_absolute(revenue, max(p.a_threshold, p.c_threshold), p.c_threshold)
        assert [row[f"{k} Kunden"] for k in "ABC"] == [int((grade == k).sum()) for k in "ABC"]
        assert row["C Umsatz"] == pytest.approx(revenue[grade == "C"].sum(), rel=1e-9, abs=1e-6)
        assert row["Klassenwechsel"] == int((grade != today).sum())


@given(revenue=st.lists(st.floats(0, 1e6), min_size=1, max_size=60),
       costs=st.lists(st.floats(1, 5000), min_size=2, max_size=10, unique=True))
def test_a_higher_cost_per_visit_never_lowers_the_threshold_or_the_c_customers(revenue, costs):
    revenue = np.array(revenue)
    params = Parameters()
    costs = sorted(costs)
    table = what_if(revenue, rules.abc_class(revenue, params), params,
                    {"kosten_je_besuch": costs}).table.iloc[1:]
    assert table["kosten_je_besuch"].tolist() == costs
    assert table["C-Schwelle"].is_monotonic_increasing
    assert table["C Kunden"].is_monotonic_increasing


def test_range_and_list_syntax():
    assert parse_values("300:450:50", "kosten_je_besuch") == [300, 350, 400, 450]
    assert parse_values("300,350", "kosten_je_besuch") == [300, 350]
    assert parse_values("3:6", "besuche_b") == [3, 4, 5, 6]
    assert parse_values("3,4", "besuche_b") == [3, 4]  # visits: a comma is a list
    assert parse_values("8:12:2", "max_kostenanteil") == [0.08, 0.10, 0.12]
    assert parse_values("7,5;10 %", "max_kostenanteil") == [0.075, 0.10]
    assert parse_values("0.1", "max_kostenanteil") == [0.1]


@pytest.mark.parametrize("text, key, message", [
    ("450:300:50", "kosten_je_besuch", "ist leer (Anfang über Ende)"),
    ("300:450:0", "kosten_je_besuch", "ist leer (Schritt muss größer 0 sein)"),
    ("-300:450:50", "kosten_je_besuch", "negativer Wert"),
    ("0,300", "kosten_je_besuch", "0 ist nicht zulässig"),
    ("viel", "kosten_je_besuch", '„viel“ in „viel“ ist keine Zahl'),
    ("", "besuche_b", "kein Wert"),
    ("300:", "kosten_je_besuch", "ist kein Bereich"),
    ("1:100000:1", "besuche_b", "höchstens 1000"),
    ("150", "max_kostenanteil", "höchstens 100 %"),
])
def test_bad_ranges_are_german_messages_naming_the_option(text, key, message):
    with pytest.raises(WhatIfError) as info:
        parse_values(text, key)
    assert message in str(info.value)
    assert str(info.value).startswith("--")


def _user_list(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Meine Kunden"
    ws.append(["Kd.-Nr.", "Firma", "Umsatz Vorjahr", "Potenzial"])
    for i, revenue in enumerate((5000, 12_500, 14_000, 16_000, 30_000, 45_000, 90_000)):
        ws.append([100 + i, f"Kunde {i}", revenue, revenue * 2])
    ws.freeze_panes = "A2"
    wb.save(path)
    return path


def test_cli_whatif_prints_and_writes_a_sheet_with_a_native_chart(tmp_path):
    path = _user_list(tmp_path / "liste.xlsx")
    result = runner.invoke(app, ["whatif", str(path), "--kosten-je-besuch", "300:450:50"])
    assert result.exit_code == 0, result.output
    assert "heute" in result.output and "16.000" in result.output  # 400 x 4 / 10 %
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        chart = zf.read("xl/charts/chart1.xml").decode()
    assert {"xl/drawings/drawing1.xml", "xl/worksheets/_rels/sheet2.xml.rels"} <= set(names)
    assert "'Was-wäre-wenn'!$A$5:$A$9" in chart and "<c:barChart>" in chart
    grid = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
        whatif_sheet.SHEET).to_python(skip_empty_area=False)
    assert whatif_sheet.is_ours(grid)
    head = grid[whatif_sheet.HEAD]
    rows = [dict(zip(head, r)) for r in grid[whatif_sheet.HEAD + 1:]]
    assert [r["Kosten je Besuch"] for r in rows] == [350, 300, 350, 400, 450]
    assert rows[3]["C Kunden"] == 3  # 5,000, 12,500 and 14,000 are below 16,000
    # a rerun with more values rewrites the sheet and its chart, adds no parts
    again = runner.invoke(app, ["whatif", str(path), "--besuche-b", "3:6"])
    assert again.exit_code == 0, again.output
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == sorted(names)
        assert "'Was-wäre-wenn'!$A$5:$A$9" in zf.read("xl/charts/chart1.xml").decode()


def test_cli_whatif_bad_range_writes_nothing(tmp_path):
    path = _user_list(tmp_path / "liste.xlsx")
    before = path.read_bytes()
    result = runner.invoke(app, ["whatif", str(path), "--kosten-je-besuch", "450:300:50"])
    assert result.exit_code == 2
    assert "--kosten-je-besuch" in result.output and "leer" in result.output
    assert path.read_bytes() == before
    # one bad and one good option: the good one is computed, the bad one reported
    result = runner.invoke(app, ["whatif", str(path), "--kosten-je-besuch", "-5",
                                 "--besuche-b", "3,5"])
    assert result.exit_code == 1 and "negativer Wert" in result.output
    assert "Was-wäre-wenn" in pc.CalamineWorkbook.from_path(str(path)).sheet_names


@requires_lo
def test_libreoffice_opens_the_what_if_sheet(tmp_path):
    path = _user_list(tmp_path / "liste.xlsx")
    assert runner.invoke(app, ["whatif", str(path), "--max-kostenanteil", "8:12:2"]).exit_code == 0
    [report] = probe([{"path": str(path), "cells": ["Was-wäre-wenn!A5", "Was-wäre-wenn!C6",
                                                    "Meine Kunden!C2"]}])
    assert report["ok"], report
    assert report["sheets"] == ["Meine Kunden", "Was-wäre-wenn"]
    assert report["cells"]["Was-wäre-wenn!A5"] == "heute"
    assert report["cells"]["Was-wäre-wenn!C6"] == 17_500  # 4 x 350 / 8 %
    assert report["cells"]["Meine Kunden!C2"] == 5000


ECMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "ecma-376"
DML_MAIN = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _schemas(tmp: Path) -> Path:
    """The ECMA-376 schemas with the DrawingML main namespace's files behind one include file
    (libxml2 follows only the first import of a namespace)."""
    import re

    main = [p.name for p in ECMA.glob("dml-*.xsd") if f'targetNamespace="{DML_MAIN}"' in
            p.read_text(encoding="utf-8")]
    imports = re.compile(r'<xsd:import[^>]*namespace="' + re.escape(DML_MAIN) + r'"[^>]*/>')
    for path in ECMA.glob("*.xsd"):
        text = imports.sub("", path.read_text(encoding="utf-8"))
        if path.name not in main:
            text = re.sub(r"(<xsd:schema[^>]*>)", r'\1<xsd:import namespace="' + DML_MAIN
                          + '" schemaLocation="dml-main-all.xsd"/>', text, count=1)
        (tmp / path.name).write_text(text, encoding="utf-8")
    (tmp / "dml-main-all.xsd").write_text(
        '<?xml version="1.0"?><xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'targetNamespace="{DML_MAIN}" elementFormDefault="qualified">'
        + "".join(f'<xsd:include schemaLocation="{n}"/>' for n in main) + "</xsd:schema>",
        encoding="utf-8")
    (tmp / "drawing-with-chart.xsd").write_text(  # a drawing's graphicData holds the chart
        '<?xml version="1.0"?><xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        '<xsd:import namespace="http://schemas.openxmlformats.org/drawingml/2006/'
        'spreadsheetDrawing" schemaLocation="dml-spreadsheetDrawing.xsd"/>'
        '<xsd:import namespace="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        'schemaLocation="dml-chart.xsd"/></xsd:schema>', encoding="utf-8")
    return tmp


@pytest.mark.skipif(not ECMA.is_dir(), reason="ECMA-376 schemas not available")
def test_added_parts_follow_the_ecma_schemas(tmp_path):
    from lxml import etree

    path = _user_list(tmp_path / "liste.xlsx")
    assert runner.invoke(app, ["whatif", str(path), "--besuche-b", "3:5"]).exit_code == 0
    (tmp_path / "xsd").mkdir()
    schemas = _schemas(tmp_path / "xsd")
    assert_schema_valid(path)  # workbook, styles, worksheets
    checks = {"dml-chart.xsd": "xl/charts/chart1.xml",
              "drawing-with-chart.xsd": "xl/drawings/drawing1.xml"}
    with zipfile.ZipFile(path) as zf:
        for xsd, part in checks.items():
            schema = etree.XMLSchema(etree.parse(str(schemas / xsd)))
            schema.validate(etree.fromstring(zf.read(part)))
            # Excel's own files carry xml:space on <t>, which the schema does not declare
            errors = [e.message for e in schema.error_log
                      if "XML/1998/namespace}space" not in e.message]
            assert not errors, (part, errors[:3])


def test_ribbon_entry_point_on_a_file_writes_the_sheet_and_chart(tmp_path):
    from xl_cseg import macros

    path = _user_list(tmp_path / "liste.xlsx")
    summary = macros.run_on_file("whatif", path)
    assert "Kosten je Besuch von 70 % bis 130 % von 350 €" in summary.text, summary.text
    assert "245 €: C-Schwelle 9.800 €" in summary.text and summary.ok
    with zipfile.ZipFile(path) as zf:
        assert "xl/charts/chart1.xml" in zf.namelist()
