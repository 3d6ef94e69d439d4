"""The ribbon buttons' entry points (``RunPython "import xl_cseg.macros as m; m.segment()"``).

Each entry point takes the calling book, runs the same job as the command line through
:class:`ExcelSource`/:class:`ExcelWriter` and shows a short German summary. Any error becomes a
German message (never a traceback) and leaves the book unchanged. The logic lives in the ``run_*``
functions, which take any source and writer: :func:`run_on_file` runs the same code on a file.

Folders (Konsolidieren, Parameter verteilen) come from a cell named ``Konsolidierung_Ordner``
when it holds a path, else from a folder dialog (tkinter, where Python has it).
"""

from __future__ import annotations

import datetime as _dt
import logging
import tempfile
import webbrowser
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from . import doctor, jobs
from .core import german
from .io.edits import SheetEdit, WorkbookWriter
from .io.excel import ExcelSource, ExcelWriter, RollbackFailed
from .io.source import FileSource, SheetSource, named_values
from .io.writer import FileWriter
from .resources import data_dir
from .xlsx.cellref import MAX_COLS, MAX_ROWS, a1
from .xlsx.errors import SharedFormulaConflict, WorkbookError

TITLE = "Kundensegmentierung"
MAX_LISTED = 20  # problems "Prüfen" lists
SHORT_LISTED = 5  # problems listed after a run that wrote
UDF_PREFIX = "CSEG_"
FOLDER_NAME = "Konsolidierung_Ordner"
MASTER_NAME = "Gesamtauswertung.xlsx"
HELP_NAME = "arbeitsmappe.md"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Summary:
    title: str
    text: str
    ok: bool
    opens: Path | None = None  # a workbook the run wrote for the user to look at


class NoFolder(WorkbookError):
    """No folder was named in the workbook or chosen in the dialog."""


class NoMeasures(WorkbookError):
    """"Pipeline aktualisieren" in a workbook without a measures table."""


# -- texts ------------------------------------------------------------------------------------
def _problems(*groups: tuple[str, list[str]], limit: int = SHORT_LISTED, more: str = "") -> str:
    """The first ``limit`` lines of the (title, lines) groups, in order, each titled."""
    lines: list[str] = []
    room = limit
    for title, items in groups:
        if not items:
            continue
        shown = items[:room]
        room -= len(shown)
        lines += [f"{title} ({len(items)}):", *(f"• {item}" for item in shown)]
        if len(shown) < len(items):
            lines.append(f"… und {len(items) - len(shown)} weitere" + (f" ({more})" if more else ""))
    return "\n".join(lines)


def _text(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def _issues(report: jobs.SegmentReport) -> str:
    return _problems(("Fehler", report.all_errors), ("Hinweise", report.all_notes),
                     more="siehe Spalte Prüfhinweis")


def _counts(report: jobs.SegmentReport) -> str:
    dist = report.distribution
    abc = " · ".join(f"{k} {int(dist.by_abc.at[k, 'Kunden'])}" for k in dist.matrix_customers.index)
    pot = " · ".join(f"{k} {int(n)}" for k, n in dist.matrix_customers.sum().items())
    return f"ABC: {abc}\nPotenzial: {pot}"


def failure(exc: BaseException) -> Summary:
    """The German message for an error; unexpected ones are logged with their traceback."""
    if isinstance(exc, WorkbookError):
        text = str(exc)
    else:
        log.exception("macro failed")
        text = f"Unerwarteter Fehler ({type(exc).__name__}: {exc})."
    if not isinstance(exc, RollbackFailed):
        text += "\n\nEs wurde nichts geändert."
    return Summary(f"{TITLE} – Fehler", text, False)


# -- logic on any source and writer -----------------------------------------------------------
def _run_all(source: SheetSource, writer: WorkbookWriter, today: _dt.date | None,
             need_measures: bool = False) -> jobs.SegmentReport:
    """The command line's job: customer outputs, measure outputs and Planung in one write."""
    report, plan, edits = jobs.workbook_edits(source, today)
    if need_measures and plan.pipeline is None:
        raise NoMeasures("Keine Maßnahmen gefunden: die Mappe braucht ein Blatt „Maßnahmen“ mit "
                         "den Spalten Kunden-Nr, Status und Maßnahme oder Erwarteter Umsatz.")
    writer.apply(edits)
    report.plan = plan
    return report


def run_segment(source: SheetSource, writer: WorkbookWriter,
                today: _dt.date | None = None) -> Summary:
    report = _run_all(source, writer, today)
    head = f"{report.customers} Kunden im Blatt {report.table.sheet} segmentiert."
    return Summary(TITLE, _text(head, _counts(report),
                                _issues(report)), not report.all_errors)


def run_validate(source: SheetSource, today: _dt.date | None = None) -> Summary:
    report = jobs.validate_source(source, today)
    errors, notes = report.all_errors, report.all_notes
    head = (f"Geprüft, nichts geändert: {report.customers} Kunden im Blatt {report.table.sheet}."
            + ("" if errors or notes else " Keine Auffälligkeiten."))
    listed = _problems(("Fehler", errors), ("Hinweise", notes), limit=MAX_LISTED,
                       more="Segmentieren schreibt alle in die Spalte Prüfhinweis")
    return Summary(TITLE, _text(head, listed), not errors)


def run_pipeline(source: SheetSource, writer: WorkbookWriter,
                 today: _dt.date | None = None) -> Summary:
    report = _run_all(source, writer, today, need_measures=True)
    plan = report.plan
    out = plan.pipeline.output
    head = (f"{len(out)} Maßnahmen im Blatt {plan.measures.sheet} aktualisiert. "
            f"Gewichtete Pipeline: {german.amount(plan.gap.weighted_pipeline)}; "
            f"überfällig: {int(out['overdue'].notna().sum())}, "
            f"ohne Aktivität: {int(out['stale'].notna().sum())}.")
    return Summary(TITLE, _text(head, _issues(report)), not report.all_errors)


def run_plan(source: SheetSource, writer: WorkbookWriter,
             today: _dt.date | None = None) -> Summary:
    where = ("im Blatt Planung" if jobs.planung_sheet(source) is not None
             else "(kein Blatt Planung in dieser Mappe: nur berechnet)")
    report = _run_all(source, writer, today)  # the source is not read after writing
    gap, cap = report.plan.gap, report.plan.capacity
    coverage = f", Deckung {german.percent(gap.coverage)}" if gap.coverage is not None else ""
    head = (f"Planung berechnet {where}.\n"
            f"Lücke zum Ziel: {german.amount(gap.gap)}; gewichtete Pipeline "
            f"{german.amount(gap.weighted_pipeline)}{coverage}.\n"
            f"Auslastung Außendienst: {german.percent(cap.utilisation)}; Inside Sales: "
            f"{german.number(cap.is_fte, 1)} Stellen."
            + (f"\n{report.plan.visits}" if report.plan.visits else ""))
    return Summary(TITLE, _text(head, _issues(report)), not report.all_errors)


def run_pricing(source: SheetSource, writer: WorkbookWriter,
                today: _dt.date | None = None) -> Summary:
    """Preise & Kosten: cost to serve and pricing into the sheet of that name."""
    from .io import pricing_sheet

    report = jobs.pricing_source(source, None, today)
    result = report.result
    writer.write_sheets(source, [pricing_sheet.pricing_content(result, result.params,
                                                               jobs.pricing_origin(report))],
                        lambda _content, grid: pricing_sheet.is_ours(grid))
    total = result.totals
    head = (f"Blatt „{pricing_sheet.SHEET}“ berechnet ({report.segment.customers} Kunden).\n"
            f"Pauschale unter {german.amount(result.params.mindestbestellwert)}: "
            f"{german.amount(total['Pauschale/Jahr'])} im Jahr, {int(total['Betroffene Kunden'])} Kunden "
            f"betroffen; Bündeln spart {german.amount(total['Bündelung spart'])}.\n"
            f"Nicht kostendeckend betreut: {int(total['Nicht kostendeckend'])} Kunden; "
            f"Listenpreis durchsetzen: {int(total['Listenpreis durchsetzen'])} C-Kunden.")
    return Summary(TITLE, _text(head, _problems(("Fehler", report.errors),
                                                ("Hinweise", report.notes))), not report.errors)


WHATIF_STEPS = (0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3)  # the button's cost per visit, x today's


def run_whatif(source: SheetSource, writer: WorkbookWriter,
               today: _dt.date | None = None) -> Summary:
    """Was-wäre-wenn: the cost per visit from 70 % to 130 % of today's, into the sheet of that
    name with its chart (other ranges: xl-cseg whatif)."""
    from .io import whatif_sheet

    params = jobs.analyse_source(source, today).params
    values = {"kosten_je_besuch": [round(params.cost_per_visit * f, 2) for f in WHATIF_STEPS]}
    report = jobs.whatif_source(source, values, today)
    writer.write_sheets(source, [whatif_sheet.whatif_content(report.result)],
                        lambda _content, grid: whatif_sheet.is_ours(grid))
    rows = report.result.table
    lines = [f"{r['Szenario']}: C-Schwelle {german.amount(r['C-Schwelle'])}, "
             f"{r['C Kunden']} C-Kunden, {r['Klassenwechsel']} Klassenwechsel"
             for r in rows.to_dict("records")]
    missing = getattr(writer, "charts_missing", [])
    chart = "" if not missing else "\n\nDas Diagramm konnte nicht angelegt werden; die Werte " \
                                   "stehen im Blatt."
    head = (f"Blatt „{whatif_sheet.SHEET}“ berechnet: Kosten je Besuch von 70 % bis 130 % von "
            f"{german.amount(params.cost_per_visit)} (andere Bereiche: xl-cseg whatif).")
    return Summary(TITLE, _text(head, "\n".join(lines)) + chart, not report.segment.errors)


VISIT_WEEKS = 4  # the button plans four weeks from next Monday (other periods: xl-cseg visits)


def run_visits(source: SheetSource, writer: WorkbookWriter,
               today: _dt.date | None = None) -> Summary:
    """Besuchsplan: four weeks from next Monday into the sheets Besuchsplan and Anrufliste, the
    appointments also as a calendar file beside the workbook (``<Mappe> Besuchsplan.ics``; one
    that xl-cseg did not write stays as it is)."""
    from .io import ics, visit_sheet

    today = today or _dt.date.today()
    start = today + _dt.timedelta(days=7 - today.weekday())
    report = jobs.visits_source(source, start, VISIT_WEEKS, today)
    plan = report.plan
    writer.write_sheets(source, [visit_sheet.plan_content(plan, report.segment.params),
                                 visit_sheet.calls_content(plan)], visit_sheet.is_ours)
    notes = list(report.notes)
    calendar = source.path.with_name(f"{source.path.stem} Besuchsplan.ics")
    try:
        ics.write_calendar(ics.check_calendar_target(calendar),
                           ics.calendar_text(plan, _dt.datetime.now(_dt.timezone.utc)))
        where = f"Kalenderdatei: {calendar}"
    except WorkbookError as exc:
        where = f"Keine Kalenderdatei: {exc}"
    prospects = int((plan.appointments["reason"] == "Interessent").sum())
    head = (f"Besuchsplan {german.date(plan.start)} bis {german.date(plan.end)}: "
            f"{german.count(len(plan.appointments) - prospects, 'Termin', 'Termine')} an "
            f"{german.count(len(plan.days), 'Kundentag', 'Kundentagen')} "
            f"({german.count(report.kept, 'Termin', 'Termine')} behalten), "
            f"{german.count(prospects, 'Vorschlag', 'Vorschläge')} für Interessenten, "
            f"{german.count(len(plan.calls), 'Anruf', 'Anrufe')} für Inside Sales; ohne Termin: "
            f"{german.number(plan.unplanned)} Besuche.\n{where}\n"
            "Andere Zeiträume: xl-cseg visits MAPPE --von DATUM --wochen N.")
    return Summary(TITLE, _text(head, _problems(("Fehler", report.errors), ("Hinweise", notes))),
                   not report.errors)


def run_freeze(source: SheetSource, writer: WorkbookWriter) -> Summary:
    """Replace every ``=CSEG_…`` formula by its current (in files: last saved) value."""
    edits: list[SheetEdit] = []
    skipped: list[str] = []
    for sheet in source.worksheets():
        grid = source.grid(sheet)
        if not grid:
            continue
        cells: dict[tuple[int, int], Any] = {}
        for (r, c), cell in source.special_cells(sheet, 0, MAX_ROWS - 1, range(MAX_COLS)).items():
            if cell.kind != "formula" or UDF_PREFIX not in (cell.formula or "").upper():
                continue
            if cell.error or not cell.has_cached:
                skipped.append(f"{sheet.name}!{a1(r, c)}: {cell.error or 'kein Wert gespeichert'}")
                continue
            value = grid[r][c] if r < len(grid) and c < len(grid[r]) else ""
            cells[(r, c)] = None if value == "" else value
        if cells:
            edits.append(SheetEdit(sheet=sheet, cells=cells))
    frozen = sum(len(e.cells) for e in edits)
    if frozen:
        try:
            writer.apply(edits)
        except SharedFormulaConflict as exc:
            raise WorkbookError(
                f"Zelle {exc.cell}: die Formelspalte ist als gemeinsame Formel gespeichert (so "
                "speichert Excel ausgefüllte Spalten) und lässt sich in der Datei nicht einzeln "
                "einfrieren. Bitte in Excel „Werte einfrieren“ im Menüband verwenden.",
                path=source.path) from exc
    head = (f"{frozen} Formel(n) =CSEG_… durch ihre Werte ersetzt "
            f"({', '.join(e.sheet.name for e in edits)})." if frozen
            else "Keine Formeln =CSEG_… mit Wert gefunden; nichts geändert.")
    return Summary(TITLE, _text(head, _problems(("Bleiben Formel", skipped))),
                   not skipped)


def run_check_setup(workbook: Path) -> Summary:
    checks = doctor.run_checks(workbook)
    failed = [c for c in checks if c.ok is False]
    head = f"{len(failed)} Problem(e) gefunden." if failed else "Alles bereit."
    return Summary(TITLE, _text(head, doctor.render(checks)), not failed)


def run_consolidate(source: SheetSource, folder: Path, today: _dt.date | None = None
                    ) -> Summary:
    """The territory workbooks under ``folder`` re-segmented with this workbook's (saved)
    parameters into the master workbook ``folder/Gesamtauswertung.xlsx``.

    One worker process: the macro runs inside Excel's Python call, where spawning a pool is
    not worth the risk."""
    from .consolidate.reader import OK
    from .consolidate.run import consolidate

    run = consolidate([folder], folder / MASTER_NAME, params=source.path, today=today, workers=1)
    read = [r for r in run.results if r.status == OK]
    errors = sum(r.error_count for r in read)
    head = (f"{len(read)} Gebietsmappe(n) mit {sum(r.rows for r in read)} Kunden in "
            f"{run.out.name} zusammengeführt ({folder})."
            + (f" {errors} Fehler in den Mappen: siehe Blatt Importprotokoll." if errors else ""))
    problems = [f"{name}: {status} – {reason}" for name, status, reason in run.problems]
    return Summary(TITLE, _text(head, _problems(("Nicht gelesen", problems),
                                                more="siehe Blatt Importprotokoll")),
                   run.exit_code == jobs.EXIT_OK, opens=run.out)


def run_push_params(source: SheetSource, folder: Path) -> Summary:
    """This workbook's (saved) central parameters written into every territory workbook under
    ``folder`` (the reps' own values stay); each changed file gets a new dated backup."""
    from .consolidate.params_push import CHANGED, UNCHANGED, push
    from .consolidate.sources import FAILED, SKIPPED

    # the ribbon's folder holds one subfolder per territory: read with subfolders
    results = push(source.path, [folder], recursive=True)

    def listed(status: str) -> list[str]:
        return [f"{r.path.name}: {r.message}" for r in results if r.status == status]

    changed = [f"{r.path.name}: {len(r.changes)} Wert(e)" for r in results if r.status == CHANGED]
    kept = [f"{r.path.name}: {cell}" for r in results for cell in r.kept]
    head = (f"Parameter (gespeicherter Stand von {source.path.name}) in {len(changed)} "
            f"Gebietsmappe(n) geändert, {sum(r.status == UNCHANGED for r in results)} "
            f"unverändert ({folder}).")
    stale = [f"{r.path.name}: Segment-Spalten mit den alten Parametern gerechnet – bitte neu "
             "segmentieren" for r in results if r.stale]
    return Summary(TITLE, _text(head, _problems(
        ("Fehler", listed(FAILED)), ("Formel bleibt", kept), ("Geändert", changed),
        ("Veraltete Ergebnisse", stale), ("Übersprungen", listed(SKIPPED)))), not listed(FAILED))


# -- folders ----------------------------------------------------------------------------------
def named_folder(source: SheetSource) -> Path | None:
    """The path in the cell named ``Konsolidierung_Ordner`` (relative: to the workbook)."""
    values, _cells = named_values(source)
    value = next((v for n, v in values.items() if n.casefold() == FOLDER_NAME.casefold()), None)
    if value is None or not str(value).strip():
        return None
    folder = Path(str(value).strip()).expanduser()
    return folder if folder.is_absolute() else source.path.parent / folder


def ask_folder(title: str) -> Path | None:
    """A folder from tkinter's dialog; None when cancelled or when there is no dialog."""
    try:
        import tkinter
        from tkinter import filedialog
    except ImportError:
        return None
    try:
        root = tkinter.Tk()
    except tkinter.TclError:  # no display
        return None
    try:
        root.withdraw()
        root.attributes("-topmost", True)
        chosen = filedialog.askdirectory(parent=root, title=title, mustexist=True)
    finally:
        root.destroy()
    return Path(chosen) if chosen else None


def choose_folder(source: SheetSource, ask: Callable[[str], Path | None] | None) -> Path:
    folder = named_folder(source) or (ask("Ordner mit den Gebietsmappen wählen") if ask else None)
    if folder is None:
        raise NoFolder(f"Kein Ordner gewählt. Den Ordner mit den Gebietsmappen im Dialog wählen "
                       f"oder in eine Zelle mit dem Namen {FOLDER_NAME} eintragen.")
    if not folder.is_dir():
        raise NoFolder(f"Der Ordner „{folder}“ existiert nicht. Bitte den Pfad in der Zelle "
                       f"{FOLDER_NAME} prüfen.")
    return folder


# -- dispatch ---------------------------------------------------------------------------------
def _run(name: str, source: SheetSource, writer: WorkbookWriter,
         folder: Callable[[], Path], today: _dt.date | None) -> Summary:
    match name:
        case "segment":
            return run_segment(source, writer, today)
        case "validate":
            return run_validate(source, today)
        case "freeze_values":
            return run_freeze(source, writer)
        case "update_pipeline":
            return run_pipeline(source, writer, today)
        case "compute_plan":
            return run_plan(source, writer, today)
        case "pricing":
            return run_pricing(source, writer, today)
        case "whatif":
            return run_whatif(source, writer, today)
        case "visits":
            return run_visits(source, writer, today)
        case "consolidate":
            return run_consolidate(source, folder(), today)
        case "push_params":
            return run_push_params(source, folder())
        case "check_setup":
            return run_check_setup(source.path)
    raise ValueError(f"unknown macro {name!r}")


def _guarded(job: Callable[[], Summary]) -> Summary:
    try:
        return job()
    except Exception as exc:  # noqa: BLE001 - every error becomes a German message
        return failure(exc)


def run_on_file(name: str, path: str | Path, out: str | Path | None = None, *,
                folder: str | Path | None = None, today: _dt.date | None = None) -> Summary:
    """Macro ``name`` on a workbook file, written to ``out`` (default: in place); the folder of
    consolidate/push_params is ``folder`` or the workbook's ``Konsolidierung_Ordner``."""
    def job() -> Summary:
        source = FileSource(path)
        writer = FileWriter(source, Path(out) if out else source.path)
        pick = (lambda: choose_folder(source, None)) if folder is None else (lambda: Path(folder))
        return _run(name, source, writer, pick, today)

    return _guarded(job)


def _caller() -> Any:
    import xlwings as xw

    return xw.Book.caller()


def show(book: Any, summary: Summary) -> None:
    book.app.alert(summary.text, title=summary.title, mode="info" if summary.ok else "critical")


def _in_excel(name: str, book: Any) -> Summary:
    book = book or _caller()

    def job() -> Summary:
        source = ExcelSource(book)
        return _run(name, source, ExcelWriter(book), lambda: choose_folder(source, ask_folder),
                    None)

    summary = _guarded(job)
    if summary.opens is not None:
        try:
            book.app.books.open(str(summary.opens))
        except Exception as exc:  # noqa: BLE001 - the workbook is written; say where it is
            summary = replace(summary, text=f"{summary.text}\n\n{summary.opens} konnte nicht "
                                            f"geöffnet werden ({exc}).")
    show(book, summary)
    return summary


# -- ribbon entry points ----------------------------------------------------------------------
def segment(book: Any = None) -> Summary:
    """Segmentieren: Kunden, Maßnahmen und Planung rechnen und schreiben."""
    return _in_excel("segment", book)


def validate(book: Any = None) -> Summary:
    """Prüfen: wie Segmentieren, ohne zu schreiben; die ersten Auffälligkeiten mit Zelle."""
    return _in_excel("validate", book)


def freeze_values(book: Any = None) -> Summary:
    """Werte einfrieren: Formeln =CSEG_… durch ihre Werte ersetzen."""
    return _in_excel("freeze_values", book)


def update_pipeline(book: Any = None) -> Summary:
    """Pipeline aktualisieren (schreibt wie Segmentieren alles, meldet die Pipeline)."""
    return _in_excel("update_pipeline", book)


def compute_plan(book: Any = None) -> Summary:
    """Planung berechnen (schreibt wie Segmentieren alles, meldet Lücke und Kapazität)."""
    return _in_excel("compute_plan", book)


def pricing(book: Any = None) -> Summary:
    """Preise & Kosten: Betreuungskosten, Pauschale und Bündelung je Kunde und Segment."""
    return _in_excel("pricing", book)


def whatif(book: Any = None) -> Summary:
    """Was-wäre-wenn: C-Schwelle und Klassen für Kosten je Besuch von 70 % bis 130 %."""
    return _in_excel("whatif", book)


def visits(book: Any = None) -> Summary:
    """Besuchsplan: vier Wochen ab dem nächsten Montag, Anrufliste und Kalenderdatei."""
    return _in_excel("visits", book)


def consolidate(book: Any = None) -> Summary:
    """Konsolidieren: die Gebietsmappen eines Ordners zu einer Gesamtmappe zusammenführen."""
    return _in_excel("consolidate", book)


def push_params(book: Any = None) -> Summary:
    """Parameter verteilen: die Parameter dieser Mappe in die Gebietsmappen eines Ordners."""
    return _in_excel("push_params", book)


def check_setup(book: Any = None) -> Summary:
    """Einrichtung prüfen: die Prüfungen von ``xl-cseg doctor`` für diese Mappe."""
    return _in_excel("check_setup", book)


# -- help -------------------------------------------------------------------------------------
def help_source() -> Path:
    """The user guide (package data)."""
    path = data_dir() / HELP_NAME
    if path.is_file():
        return path
    raise WorkbookError("Die Anleitung ist in dieser Installation nicht enthalten. Bitte xl-cseg "
                        "neu installieren (pip install --upgrade xl-cseg).")


def help_page() -> Path:
    """The guide rendered as an HTML page in the temp folder."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(help_source().read_text("utf-8"))
    page = (f'<!DOCTYPE html>\n<html lang="de"><head><meta charset="utf-8">'
            f"<title>{TITLE} – Anleitung</title><style>body{{font-family:"
            "Segoe UI,Helvetica,Arial,sans-serif;max-width:52em;margin:2em auto;padding:0 1em;"
            "line-height:1.45}table{border-collapse:collapse}td,th{border:1px solid #bbb;"
            "padding:.25em .5em}code{background:#f3f3f3}</style></head><body>\n"
            f"{body}</body></html>\n")
    target = Path(tempfile.gettempdir()) / "xl-cseg-anleitung.html"
    target.write_text(page, "utf-8")
    return target


def open_help(book: Any = None) -> Summary:
    """Anleitung: die Anleitung im Browser öffnen; nur ein Fehler wird gemeldet."""
    def job() -> Summary:
        page = help_page()
        if not webbrowser.open(page.as_uri()):
            raise WorkbookError(f"Kein Browser gefunden. Die Anleitung liegt unter {page}.")
        return Summary(TITLE, f"Anleitung geöffnet: {page}", True)

    summary = _guarded(job)
    if not summary.ok:
        show(book or _caller(), summary)
    return summary
