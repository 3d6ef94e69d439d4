"""The ribbon macros' logic on real workbook files (the file backend of the same code): results
equal the command line's jobs, summaries are short and German, failures change nothing."""

from __future__ import annotations

import datetime as dt
import inspect
import shutil
import webbrowser
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from xl_cseg import jobs, macros
from xl_cseg.build.ribbon import RIBBON
from xl_cseg.consolidate.run import consolidate
from xl_cseg.io.source import FileSource
from xl_cseg.resources import demo_workbook, template_workbook

TODAY = dt.date(2026, 3, 16)


def copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(src, dst))


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def bullets(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("• ")]


def customer_list(path: Path, *, folder: str | None = None, ids: str = "K") -> Path:
    """A small list without measures; optionally a cell named Konsolidierung_Ordner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"])
    for r in range(1, 9):
        ws.write_row(r, 0, [f"{ids}{r:03d}", f"Firma {r}", 5000.0 * r, 9000.0 * r])
    if folder is not None:
        params = wb.add_worksheet("Parameter")
        params.write_string(0, 0, "Ordner der Gebietsmappen")
        params.write_string(0, 1, folder)
        wb.define_name("Konsolidierung_Ordner", "=Parameter!$B$1")
    wb.close()
    return path


def udf_workbook(path: Path) -> Path:
    """=CSEG_… formulas with cached values (as Excel saves them), one with an error value."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Umsatz", "ABC", "Schwelle", "Summe", "Kanal"])
    ws.write_number(1, 0, 120000)
    ws.write_formula(1, 1, "=CSEG_ABC(A2)", None, "A")
    ws.write_formula(1, 2, "=cseg_schwelle(4)", None, 2500)
    ws.write_formula(1, 3, "=SUM(A2)", None, 120000)
    ws.write_formula(1, 4, "=CSEG_KANAL(B2)", None, "#NAME?")
    ws.write_formula(2, 1, "=CSEG_ABC(A3)", None, "")
    wb.close()
    return path


# -- same results as the command line ---------------------------------------------------------
@pytest.mark.parametrize("name", ["segment", "update_pipeline", "compute_plan"])
def test_writing_macros_equal_the_cli_job(tmp_path, name):
    cli = copy(demo_workbook(), tmp_path / "cli.xlsm")
    mine = copy(demo_workbook(), tmp_path / "macro.xlsm")
    report = jobs.segment_workbook(cli, today=TODAY)
    summary = macros.run_on_file(name, mine, today=TODAY)
    assert summary.title == macros.TITLE and summary.ok == (report.exit_code == jobs.EXIT_OK)
    assert members(mine) == members(cli)
    assert len(summary.text.splitlines()) <= 16 and len(bullets(summary.text)) <= 5


def test_summaries_say_what_happened_in_german(tmp_path):
    path = copy(demo_workbook(), tmp_path / "Demo.xlsm")
    report = jobs.segment_workbook(copy(path, tmp_path / "cli.xlsm"), today=TODAY)
    seg = macros.run_on_file("segment", path, today=TODAY)
    a, b, c = (int(report.distribution.by_abc.at[k, "Kunden"]) for k in "ABC")
    assert seg.text.startswith("150 Kunden im Blatt Kunden segmentiert.")
    assert f"ABC: A {a} · B {b} · C {c}" in seg.text
    assert f"Hinweise ({len(report.all_notes)}):" in seg.text
    assert seg.text.endswith(f"… und {len(report.all_notes) - 5} weitere (siehe Spalte Prüfhinweis)")
    pipe = macros.run_on_file("update_pipeline", path, today=TODAY)
    assert pipe.text.startswith("30 Maßnahmen im Blatt Maßnahmen aktualisiert. Gewichtete "
                                "Pipeline: ")
    plan = macros.run_on_file("compute_plan", path, today=TODAY)
    assert plan.text.startswith("Planung berechnet im Blatt Planung.\nLücke zum Ziel: ")
    assert "Auslastung Außendienst: " in plan.text and " €" in plan.text


def test_out_leaves_the_source_untouched(tmp_path):
    path = copy(demo_workbook(), tmp_path / "Demo.xlsm")
    before = path.read_bytes()
    out = tmp_path / "Ergebnis.xlsm"
    assert macros.run_on_file("segment", path, out, today=TODAY).ok
    assert path.read_bytes() == before and out.is_file()


def test_validate_writes_nothing_and_lists_twenty_cells(tmp_path):
    path = tmp_path / "Fehlerhaft.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"])
    for r in range(1, 31):
        ws.write_row(r, 0, [f"K{r}", f"Firma {r}", "viel", -5.0])
    wb.close()
    before = path.read_bytes()
    report = jobs.analyse(path, TODAY)
    summary = macros.run_on_file("validate", path, today=TODAY)
    assert path.read_bytes() == before and not summary.ok
    assert summary.text.startswith("Geprüft, nichts geändert: 30 Kunden im Blatt Kunden.")
    shown = bullets(summary.text)
    assert shown == [f"• {n}" for n in (report.errors + report.notes)[:macros.MAX_LISTED]]
    assert all("!" in line for line in shown)  # every problem names its cell
    hidden = len(report.errors + report.notes) - macros.MAX_LISTED
    assert hidden > 0 and f"… und {hidden} weitere" in summary.text


def test_validate_clean_list(tmp_path):
    path = customer_list(tmp_path / "Liste.xlsx")
    summary = macros.run_on_file("validate", path, today=TODAY)
    assert summary.ok and "Geprüft, nichts geändert: 8 Kunden" in summary.text


# -- failures: German message, file byte-identical ----------------------------------------------
def _not_a_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "Notizen.xlsx"
    path.write_text("keine Arbeitsmappe", "utf-8")
    return path


def _empty_template(tmp_path: Path) -> Path:
    return copy(template_workbook(), tmp_path / "Leer.xlsm")


def _no_customers(tmp_path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(tmp_path / "Andere.xlsx"))
    wb.add_worksheet("Tabelle1").write_row(0, 0, ["Artikel", "Preis"])
    wb.close()
    return tmp_path / "Andere.xlsx"


def _locked(tmp_path: Path) -> Path:
    path = copy(demo_workbook(), tmp_path / "Offen.xlsm")
    (tmp_path / "~$Offen.xlsm").write_bytes(b"owner")
    return path


@pytest.mark.parametrize("make, words", [
    (_not_a_workbook, "keine Excel-Arbeitsmappe"),
    (_empty_template, "keine Kunden"),
    (_no_customers, "keine Kundentabelle"),
    (_locked, "in Excel geöffnet"),
])
@pytest.mark.parametrize("name", ["segment", "compute_plan", "update_pipeline"])
def test_bad_files_give_a_german_message_and_stay_unchanged(tmp_path, make, words, name):
    path = make(tmp_path)
    before = path.read_bytes()
    summary = macros.run_on_file(name, path, today=TODAY)
    assert not summary.ok and summary.title == f"{macros.TITLE} – Fehler"
    assert words in summary.text and summary.text.endswith("Es wurde nichts geändert.")
    assert "Traceback" not in summary.text
    assert path.read_bytes() == before


def test_pipeline_needs_measures(tmp_path):
    path = customer_list(tmp_path / "Liste.xlsx")
    before = path.read_bytes()
    summary = macros.run_on_file("update_pipeline", path, today=TODAY)
    assert not summary.ok and "Keine Maßnahmen gefunden" in summary.text
    assert path.read_bytes() == before


def test_unexpected_errors_become_a_message(tmp_path, monkeypatch, caplog):
    path = copy(demo_workbook(), tmp_path / "Demo.xlsm")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise KeyError("Spalte")

    monkeypatch.setattr(jobs, "workbook_edits", broken)
    summary = macros.run_on_file("segment", path)
    assert summary.text.startswith("Unerwarteter Fehler (KeyError: 'Spalte').")
    assert path.read_bytes() == before and "macro failed" in caplog.text


# -- freeze values ----------------------------------------------------------------------------
def test_freeze_values_on_a_file(tmp_path):
    path = udf_workbook(tmp_path / "Formeln.xlsx")
    summary = macros.run_on_file("freeze_values", path)
    # B3's empty <v></v> without a type caches nothing (openpyxl writes it for every formula;
    # Excel marks an empty text result t="str"): it stays a formula
    assert summary.text.startswith("2 Formel(n) =CSEG_… durch ihre Werte ersetzt (Kunden).")
    assert "Kunden!E2: #NAME?" in summary.text and not summary.ok
    assert "Kunden!B3: kein Wert gespeichert" in summary.text
    source = FileSource(path)
    sheet = source.worksheets()[0]
    special = source.special_cells(sheet, 0, 10, range(6))
    assert {rc: c.formula for rc, c in special.items()} == {(1, 3): "SUM(A2)",
                                                             (1, 4): "CSEG_KANAL(B2)",
                                                             (2, 1): "CSEG_ABC(A3)"}
    grid = source.grid(sheet)
    assert grid[1][1:3] == ["A", 2500.0]
    before = path.read_bytes()
    again = macros.run_on_file("freeze_values", path)
    assert again.text.startswith("Keine Formeln =CSEG_… mit Wert gefunden; nichts geändert.")
    assert path.read_bytes() == before


def test_freeze_values_refuses_shared_formula_columns_clearly(tmp_path):
    """Excel saves a filled-down formula column as one shared formula; a file cannot freeze
    its cells one by one, and the message says so (not "choose an empty column")."""
    path = tmp_path / "Geteilt.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Umsatz", "ABC"])
    for r in (1, 2):
        ws.write_number(r, 0, 50000)
        ws.write_formula(r, 1, f"=CSEG_ABC(A{r + 1})", None, "A")
    wb.close()
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = xml.replace("<f>CSEG_ABC(A2)</f>", '<f t="shared" ref="B2:B3" si="0">CSEG_ABC(A2)</f>')
    xml = xml.replace("<f>CSEG_ABC(A3)</f>", '<f t="shared" si="0"/>')
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    before = path.read_bytes()
    summary = macros.run_on_file("freeze_values", path)
    assert not summary.ok
    assert "gemeinsame Formel" in summary.text and "Excel" in summary.text
    assert "leere Zielspalte" not in summary.text
    assert path.read_bytes() == before


def test_freeze_values_without_udfs_changes_nothing(tmp_path):
    path = copy(demo_workbook(), tmp_path / "Demo.xlsm")
    before = path.read_bytes()
    summary = macros.run_on_file("freeze_values", path)
    assert summary.ok and summary.text.startswith("Keine Formeln =CSEG_…")
    assert path.read_bytes() == before


# -- setup check and help ---------------------------------------------------------------------
def test_check_setup_summarises_the_doctor(tmp_path):
    path = copy(demo_workbook(), tmp_path / "Demo.xlsm")
    summary = macros.run_on_file("check_setup", path)
    assert summary.text.splitlines()[0] in ("Alles bereit.",) or "Problem(e) gefunden" in \
        summary.text.splitlines()[0]
    assert "[OK] Python" in summary.text and "Arbeitsmappe" in summary.text
    bad = macros.run_on_file("check_setup", _not_a_workbook(tmp_path))
    assert not bad.ok  # the doctor reports the unreadable file itself


def test_open_help_renders_the_guide(tmp_path, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    summary = macros.open_help(book=object())  # no alert when it worked
    page = tmp_path / "xl-cseg-anleitung.html"
    assert summary.ok and opened == [page.as_uri()]
    text = page.read_text("utf-8")
    assert "<h2>Installation unter Windows</h2>" in text and "<table>" in text
    assert '<meta charset="utf-8">' in text


def test_open_help_without_browser_tells_where_the_guide_is(tmp_path, monkeypatch):
    from excel_fakes import FakeBook

    monkeypatch.setattr(webbrowser, "open", lambda url: False)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    book = FakeBook()
    summary = macros.open_help(book=book)
    assert not summary.ok and "Kein Browser gefunden" in summary.text
    assert book.app.alerts == [(summary.title, summary.text, "critical")]


# -- folders, consolidation -------------------------------------------------------------------
def territories(root: Path) -> Path:
    copy(demo_workbook(), root / "Nord" / "Nord.xlsm")
    customer_list(root / "Süd" / "Sued.xlsx", ids="S")
    return root


def test_folder_from_the_named_cell(tmp_path):
    territories(tmp_path / "Gebiete")
    ctrl = customer_list(tmp_path / "Zentrale.xlsx", folder="Gebiete")
    source = FileSource(ctrl)
    assert macros.named_folder(source) == tmp_path / "Gebiete"
    assert macros.choose_folder(source, None) == tmp_path / "Gebiete"
    missing = customer_list(tmp_path / "Falsch.xlsx", folder=str(tmp_path / "fehlt"))
    summary = macros.run_on_file("consolidate", missing)
    assert not summary.ok and "existiert nicht" in summary.text
    plain = customer_list(tmp_path / "Ohne.xlsx")
    asked: list[str] = []
    with pytest.raises(macros.NoFolder, match="Konsolidierung_Ordner"):
        macros.choose_folder(FileSource(plain), lambda title: asked.append(title))
    assert asked == ["Ordner mit den Gebietsmappen wählen"]
    assert macros.choose_folder(FileSource(plain), lambda title: tmp_path) == tmp_path


def test_consolidate_on_a_file_equals_the_consolidation(tmp_path):
    root = territories(tmp_path / "Gebiete")
    ctrl = customer_list(tmp_path / "Zentrale.xlsx", folder="Gebiete")
    before = ctrl.read_bytes()
    summary = macros.run_on_file("consolidate", ctrl, today=TODAY)
    run = consolidate([root], tmp_path / "vergleich.xlsx", params=ctrl, today=TODAY, workers=1)
    customers = sum(r.rows for r in run.results)
    assert summary.text.startswith(f"2 Gebietsmappe(n) mit {customers} Kunden in "
                                   "Gesamtauswertung.xlsx zusammengeführt")
    assert summary.opens == root / macros.MASTER_NAME and summary.opens.is_file()
    assert ctrl.read_bytes() == before  # the controller's workbook is only read


def test_consolidate_in_book_opens_the_master(tmp_path):
    from excel_fakes import FakeBook

    root = territories(tmp_path / "Gebiete")
    ctrl = customer_list(tmp_path / "Zentrale.xlsx", folder="Gebiete")
    book = FakeBook.from_file(ctrl)
    opened: list[str] = []
    book.app.books = type("Books", (), {"open": lambda self, p: opened.append(p)})()
    summary = macros.consolidate(book=book)
    assert summary.ok, summary.text
    assert opened == [str(root / macros.MASTER_NAME)]
    assert book.app.alerts[0][1] == summary.text and book.calls("write") == []


# -- entry points -----------------------------------------------------------------------------
def test_every_ribbon_button_has_an_entry_point():
    for group in RIBBON:
        for button in group.buttons:
            entry = getattr(macros, button.entry_point)
            assert list(inspect.signature(entry).parameters) == ["book"], button.entry_point
            assert entry.__doc__


# -- parameters -------------------------------------------------------------------------------
def controller(path: Path, cost: float) -> Path:
    """The demo workbook with another cost per visit: the controller's parameter workbook."""
    from xl_cseg.io.edits import SheetEdit
    from xl_cseg.io.source import named_values
    from xl_cseg.io.writer import FileWriter

    source = FileSource(copy(demo_workbook(), path))
    cell = named_values(source)[1]["Kosten_je_Besuch"]
    sheet = next(s for s in source.worksheets() if s.name == cell.sheet)
    FileWriter(source, path).apply([SheetEdit(sheet, {(cell.row, cell.col): cost})])
    return path


def cost_per_visit(path: Path) -> float:
    from xl_cseg.io.source import named_values

    return named_values(FileSource(path))[0]["Kosten_je_Besuch"]


def test_push_params_on_files(tmp_path):
    root = territories(tmp_path / "Gebiete")
    ctrl = controller(tmp_path / "Zentrale.xlsm", 333.0)
    before = ctrl.read_bytes()
    summary = macros.run_on_file("push_params", ctrl, folder=root)
    assert summary.ok, summary.text
    assert summary.text.startswith("Parameter (gespeicherter Stand von Zentrale.xlsm) in 1 "
                                   "Gebietsmappe(n) geändert, 0 unverändert")
    assert "• Nord.xlsm: 1 Wert(e)" in summary.text and "Sued.xlsx" in summary.text
    assert cost_per_visit(root / "Nord" / "Nord.xlsm") == 333.0
    assert len(list((root / "Nord").glob("Nord.Sicherung-*.xlsm"))) == 1
    assert ctrl.read_bytes() == before
    again = macros.run_on_file("push_params", ctrl, folder=root)
    assert again.ok and "in 0 Gebietsmappe(n) geändert, 1 unverändert" in again.text
    assert "Übersprungen" in again.text  # the backup is not a territory


def test_push_params_in_book_asks_for_the_folder(tmp_path, monkeypatch):
    from excel_fakes import FakeBook

    root = territories(tmp_path / "Gebiete")
    ctrl = controller(tmp_path / "Zentrale.xlsm", 310.0)
    book = FakeBook.from_file(ctrl)
    monkeypatch.setattr(macros, "ask_folder", lambda title: root)
    summary = macros.push_params(book=book)
    assert summary.ok and cost_per_visit(root / "Nord" / "Nord.xlsm") == 310.0
    assert book.app.alerts[0][1] == summary.text and book.calls("write") == []
    monkeypatch.setattr(macros, "ask_folder", lambda title: None)  # dialog cancelled
    cancelled = macros.push_params(book=book)
    assert not cancelled.ok and "Kein Ordner gewählt" in cancelled.text


def test_folder_dialog_missing_or_without_display(monkeypatch):
    import sys
    import tkinter

    def no_display():
        raise tkinter.TclError("no display name and no $DISPLAY environment variable")

    monkeypatch.setattr(tkinter, "Tk", no_display)
    assert macros.ask_folder("Ordner") is None
    monkeypatch.setitem(sys.modules, "tkinter", None)
    assert macros.ask_folder("Ordner") is None


def test_master_that_cannot_be_opened_is_named(tmp_path):
    from excel_fakes import FakeBook

    root = territories(tmp_path / "Gebiete")
    book = FakeBook.from_file(customer_list(tmp_path / "Zentrale.xlsx", folder="Gebiete"))

    def refuse(self, path):
        raise OSError("gesperrt")

    book.app.books = type("Books", (), {"open": refuse})()
    summary = macros.consolidate(book=book)
    assert summary.ok and summary.text.endswith(
        f"{root / macros.MASTER_NAME} konnte nicht geöffnet werden (gesperrt).")
