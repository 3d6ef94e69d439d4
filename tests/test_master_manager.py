"""The master a sales manager uses: one printable overview page, per territory revenue at risk,
target gap and inside-sales posts, names in Pipeline, each file's save date, every message, and
where each territory's name came from."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_consolidate_support import customers, demo_copy, read_master, xlsx_territory

from tests.lo.harness import require_lo, requires_lo
from tests.ooxml.poi import assert_poi_reads, needs_poi
from tests.ooxml.schema import assert_schema_valid, needs_schemas
from xl_cseg.consolidate.run import consolidate
from xl_cseg.core.distribution import TOTAL

LATER = dt.date.today() + dt.timedelta(days=40)  # the files were saved today


def _rep_with_parameter_sheet(path: Path) -> Path:
    """A rep's own list typed in openpyxl: no Gebiet column, the territory on a Parameter sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunden"
    ws.append(["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Verbundenheit"])
    for row in customers(12, seed=5, first_id=900_000):
        ws.append([row["customer_id"], row["name"], row["revenue"], row["potential"],
                   row["loyalty"]])
    ws.append([900_099, "Fehler GmbH", "vierzehn", 5000, 3])  # one error
    params = wb.create_sheet("Parameter")
    params.append(["Gebiet:", "Rhein-Ruhr"])
    params.append(["Ziel", 123])
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("gebiete")
    demo_copy(folder / "Nord.xlsm", "Nord", params={"Ziel_Umsatz": 5_000_000.0})
    demo_copy(folder / "Süd.xlsm", None, id_offset=100_000)  # no Gebiet: the file name
    _rep_with_parameter_sheet(folder / "Liste.xlsx")
    rows = customers(30, seed=9, first_id=700_000, territory="Ost")
    for row in rows[:25]:
        row["loyalty"] = 9  # 25 errors: every one is listed
    xlsx_territory(folder / "Ost.xlsx", rows, measures=[
        {"Kunden-Nr": 700_003, "Maßnahme": "Muster", "Status": "in Erprobung",
         "Erwarteter Umsatz": 10_000}])
    out = folder.parent / f"{folder.name}-Gesamt.xlsx"
    run = consolidate([folder], out, today=LATER, workers=1, old_days=30)
    return {"run": run, "out": out, "sheets": read_master(out), "folder": folder}


def test_territory_from_cells_parameter_sheet_or_file_name(master):
    log = master["run"].data.log.set_index("Datei")
    assert log.at["Nord.xlsm", "Gebiet aus"] == "Spalte Gebiet"
    assert log.at["Süd.xlsm", "Gebiet aus"] == "Dateiname (Süd)"
    assert log.at["Liste.xlsx", "Gebiet aus"] == "Parameterblatt (Rhein-Ruhr)"
    assert "Rhein-Ruhr" in master["run"].data.territories.index


def test_revenue_at_risk_target_gap_and_inside_sales_per_territory(master):
    data = master["run"].data
    table = data.territories
    nord = data.customers[data.customers["territory"] == "Nord"]
    at_risk = nord.loc[nord["risk"].notna(), "revenue"].sum()
    assert table.at["Nord", "Umsatz gefährdet"] == pytest.approx(at_risk)
    assert table.at["Nord", "Umsatzziel"] == 5_000_000  # the rep's own target
    params = master["run"].central.params
    assert table.at["Nord", "Lücke zum Ziel"] == pytest.approx(
        5_000_000 - (nord["revenue"].sum() - at_risk * params.verlustquote_risiko))
    ost = data.customers[data.customers["territory"] == "Ost"]
    assert table.at["Ost", "Umsatzziel"] == pytest.approx(
        ost["revenue"].sum() * (1 + params.ziel_wachstum))  # no target: growth
    assert table.at["Ost", "Inside-Sales-FTE"] > 0
    sheet = master["sheets"]["Gebiete"].set_index("Gebiet")
    for col in ("Umsatz gefährdet", "Umsatzziel", "Lücke zum Ziel", "Inside-Sales-FTE"):
        assert sheet.at[TOTAL, col] == pytest.approx(table[col].drop(TOTAL).sum())


def test_pipeline_shows_customer_names(master):
    pipeline = master["sheets"]["Pipeline"]
    row = pipeline[pipeline["Kunden-Nr"] == 700_003].iloc[0]
    assert row["Kunde"] == master["run"].data.customers.set_index("customer_id")\
        .loc["700003", "name"]


def test_save_dates_old_files_and_every_message(master):
    log = master["run"].data.log.set_index("Datei")
    saved = log.at["Ost.xlsx", "Zuletzt gespeichert"]
    assert saved.date() >= dt.date.today() - dt.timedelta(days=1)
    assert log.at["Ost.xlsx", "Veraltet"] == "älter als 30 Tage"
    assert log.at["Ost.xlsx", "Fehler"] == 25
    messages = master["run"].data.messages
    ost = messages[(messages["Datei"] == "Ost.xlsx") & (messages["Art"] == "Fehler")]
    assert len(ost) == 25  # every error, not the first 20
    liste = messages[messages["Datei"] == "Liste.xlsx"]["Meldung"].tolist()
    assert any("vierzehn" in m for m in liste)
    figures = {label: value for label, value, _kind in master["run"].data.overview}
    assert figures["Dateien älter als 30 Tage"] == 4
    again = consolidate([master["folder"] / "Ost.xlsx"], master["out"].with_name("x.xlsx"),
                        today=LATER, workers=1, old_days=60)
    assert again.data.log.at[0, "Veraltet"] == ""


def test_every_sheet_has_a_print_area_and_fits_the_page_width(master):
    with zipfile.ZipFile(master["out"]) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        sheets = {n: zf.read(n).decode() for n in zf.namelist()
                  if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)}
    areas = re.findall(r'<definedName name="_xlnm.Print_Area" localSheetId="(\d+)"', workbook)
    assert sorted(map(int, areas)) == list(range(len(sheets)))
    for name, xml in sheets.items():
        assert '<pageSetUpPr fitToPage="1"/>' in xml, name
        assert 'orientation="landscape"' in xml, name
    overview = sheets["xl/worksheets/sheet1.xml"]
    assert 'fitToHeight="0"' not in overview  # one page high as well


@requires_lo
def test_overview_prints_on_one_landscape_page(master, tmp_path):
    require_lo()
    profile = tmp_path / "lo-profile"
    pdf = tmp_path / "pdf"
    subprocess.run([shutil.which("soffice") or "/usr/bin/soffice",
                    f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(pdf), str(master["out"])], check=True,
                   capture_output=True, timeout=180)
    [document] = list(pdf.glob("*.pdf"))
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(document), "-"],
                           capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1", str(document)],
                          capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page\s+1 size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height  # landscape
    for text in ("Gesamtauswertung Kundensegmentierung", "Verteilung nach Segment",
                 "Portfolio-Matrix: Umsatz", "Rhein-Ruhr", "Kunden in mehreren Gebieten",
                 "Umsatz, Lücke und Pipeline je Gebiet"):
        assert text in first, text
    second = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(document), "-"],
                            capture_output=True, text=True, check=True).stdout
    assert "Verteilung nach Segment" not in second  # nothing of the overview spilled over


def test_invalid_central_parameters_are_refused_before_the_master_is_written(tmp_path):
    from test_consolidate_support import parameter_workbook

    from xl_cseg.jobs import ParameterFileError
    bad = parameter_workbook(tmp_path / "Parameter.xlsm", {"Max_Vertriebskostenanteil": 1.5})
    territory = xlsx_territory(tmp_path / "Nord.xlsx", customers(5, seed=1, first_id=1))
    out = tmp_path / "Gesamt.xlsx"
    with pytest.raises(ParameterFileError, match="Parameter!B") as caught:
        consolidate([territory], out, params=bad, today=LATER, workers=1)
    assert "150 %" in str(caught.value) and "Standardwert" not in str(caught.value)
    assert not out.exists()


@needs_schemas
def test_master_and_migration_follow_the_schemas(master, tmp_path):
    assert_schema_valid(master["out"])
    assert_schema_valid(_migration_book(tmp_path))


@needs_poi
def test_apache_poi_reads_master_and_migration(master, tmp_path):
    book = _migration_book(tmp_path)
    results = assert_poi_reads([master["out"], book])
    assert {"Übersicht", "Gebiete", "Pipeline", "Duplikate", "Importprotokoll"} <= \
        set(results[master["out"]].sheets)
    assert {"Migration", "Änderungen", "Herabstufungen"} <= set(results[book].sheets)


def _migration_book(tmp_path: Path) -> Path:
    from test_migration import NAMED_AFTER, NAMED_BEFORE

    from xl_cseg.consolidate.migration_book import write_migration
    from xl_cseg.core.migration import migration
    out = tmp_path / "Migration.xlsx"
    write_migration(migration(NAMED_BEFORE, NAMED_AFTER), dt.date(2026, 1, 31),
                    dt.date(2026, 6, 30), out)
    return out


def _message_rows(path: Path) -> tuple[list[tuple], int]:
    """The rows below the messages table's header in ``Importprotokoll`` and the sheet's row
    count, read with openpyxl (cells at their positions)."""
    ws = openpyxl.load_workbook(path)["Importprotokoll"]
    rows = [tuple(c.value for c in row[:3]) for row in ws.iter_rows()]
    title = next(i for i, r in enumerate(rows) if str(r[0]).startswith("Fehler und Hinweise ("))
    assert rows[title + 1] == ("Datei", "Art", "Meldung")
    return rows[title + 2:], ws.max_row


def test_every_message_is_in_the_log_sheet_below_its_header(master):
    shown, last = _message_rows(master["out"])
    expected = [tuple(r) for r in master["run"].data.messages.itertuples(index=False)]
    assert shown == expected and len(expected) > 25
    ws = openpyxl.load_workbook(master["out"], read_only=True)["Importprotokoll"]
    assert ws.max_row == last  # the dimension ends with the last message


def test_messages_written_in_batches_keep_their_text(tmp_path, monkeypatch):
    """Messages are rendered below the sheet's own rows a batch at a time; text that looks like
    markup or a formula stays text."""
    from xl_cseg.consolidate import master_rows

    monkeypatch.setattr(master_rows, "BELOW_ROWS", 4)
    rows = customers(12, seed=3, first_id=800_000, territory="West")
    for i, text in enumerate(['<b>&amp;"x"</b>', "=SUMME(A1:A9)", "  zwei  Leerzeichen ",
                              "Zeile\nzwei", "vierzehn", "ä&ö<ü>", "@x", "+1"]):
        rows[i]["revenue"] = text
    xlsx_territory(tmp_path / "West.xlsx", rows)
    out = tmp_path / "Gesamt.xlsx"
    run = consolidate([tmp_path / "West.xlsx"], out, today=LATER, workers=1)
    expected = [tuple(r) for r in run.data.messages.itertuples(index=False)]
    assert len(expected) >= 8 and any("SUMME" in m for _f, _k, m in expected)
    shown, _last = _message_rows(out)
    assert shown == expected
    ws = openpyxl.load_workbook(out)["Importprotokoll"]
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=ws.max_row - len(expected) + 1)
               for c in row[:3])


def test_log_table_headers_wrap_whole_words_in_two_lines(master):
    ws = openpyxl.load_workbook(master["out"])["Importprotokoll"]
    head = next(r for r in ws.iter_rows() if r[0].value == "Datei")
    assert ws.row_dimensions[head[0].row].height == 30
    for cell in head:
        if cell.value:
            width = ws.column_dimensions[cell.column_letter].width
            assert width >= max(map(len, str(cell.value).split())), (cell.value, width)
