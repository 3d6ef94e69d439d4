"""Commands ``consolidate``, ``migration`` and ``params push`` (registered in ``xl_cseg.cli``)."""

from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..core import german
from ..core.distribution import TOTAL
from ..core.migration import migration as migration_matrix
from ..io.targets import check_output, new_folders
from ..core.territory import older_than
from ..german_cli import CONTEXT, install
from ..jobs import EXIT_FAILED, EXIT_OK, EXIT_ROW_ERRORS
from ..xlsx.errors import WorkbookError
from . import history

if TYPE_CHECKING:
    from .reader import FileResult

# the modules behind each command are imported when it runs: ``xl-cseg segment`` starts faster

# piped output (logs, CI) gets room for the 12-column migration matrix
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)
install()  # typer's and Click's own texts in German
params_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                         context_settings=CONTEXT,
                         help="Zentrale Parameter in die Gebietsdateien übernehmen.")
MAX_LISTED = 40


def _value(value: Any) -> str:
    if value is None:
        return "leer"
    return german.number(value, 4) if isinstance(value, float) else str(value)


def _date(text: Optional[str], option: str) -> Optional[_dt.date]:
    """A date as a German types it (30.06.2026) or as ISO (2026-06-30)."""
    from ..core.pipeline import parse_date

    if text is None:
        return None
    day, problem = parse_date(text)
    if day is None:
        raise typer.BadParameter(problem or f"„{text}“ ist kein Datum (z. B. 30.06.2026)",
                                 param_hint=option)
    return day


def _fail(exc: Exception) -> None:
    err.print(f"[red]Fehler:[/red] {escape(str(exc))}", markup=True)
    raise typer.Exit(EXIT_FAILED)


def consolidate_command(
    paths: list[Path] = typer.Argument(..., metavar="GEBIETSDATEIEN...",
                                       help="Gebietsdateien (.xlsx/.xlsm) oder Ordner"),
    out: Path = typer.Option(..., "--out", "-o", help="Gesamtauswertung, z. B. Gesamt.xlsx"),
    params: Optional[Path] = typer.Option(
        None, "--params", help="Arbeitsmappe mit den zentralen Parametern (benannte Zellen)"),
    snapshot: bool = typer.Option(False, "--snapshot",
                                  help="Stand im Verlauf speichern (für xl-cseg migration)"),
    date: Optional[str] = typer.Option(
        None, "--date", help="Stichtag TT.MM.JJJJ (Standard: heute); speichert einen Stand"),
    history_path: Optional[Path] = typer.Option(
        None, "--history", help="Verlaufsdatenbank (Standard: <Ausgabe>.history.sqlite)"),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1,
                                       help="Parallele Prozesse (Standard: alle Kerne)"),
    replace: bool = typer.Option(False, "--ersetzen",
                                 help="Einen Stand desselben Tages im Verlauf ersetzen"),
    force: bool = typer.Option(False, "--force", "-f",
                               help="eine vorhandene Gesamtauswertung --out ersetzen"),
    once: bool = typer.Option(False, "--einmal-zaehlen",
                              help="Kunden in mehreren Gebieten in den Summen der Übersicht "
                                   "nur einmal zählen (Standard: je Gebiet)"),
    old_days: int = typer.Option(30, "--alt-tage", min=0, metavar="N",
                                 help="Gebietsdateien, die länger nicht gespeichert wurden, "
                                      "als veraltet markieren"),
    nach: Optional[list[str]] = typer.Option(
        None, "--nach", metavar="SPALTE",
        help="Spalte des Kaufverhaltens (z. B. Produktart) aller Gebietsdateien, mit den "
             "Segmenten gekreuzt (Blatt Kaufverhalten); bis zu zweimal. Spalten aus der "
             "Spaltenzuordnung jeder Datei (Zeile Dimension) kommen dazu"),
) -> None:
    """Alle Gebietsdateien einlesen, zentral segmentieren und zu einer Gesamtauswertung
    zusammenführen."""
    from .reader import OK
    from .run import consolidate

    today = _date(date, "--date")
    if params is None:
        err.print("[yellow]Keine --params angegeben: es gelten die Standardwerte der Vorlage."
                  "[/yellow]")
    bar = Progress(TextColumn("Lese Gebietsdateien"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=True)
    task = bar.add_task("lesen", total=None)

    def progress(_result: FileResult, done: int, total: int) -> None:
        if not bar.live.is_started:  # only now: the worker processes exist already
            bar.start()
        bar.update(task, completed=done, total=total)
        if done == total:
            bar.stop()
            err.print("Schreibe die Gesamtauswertung …")

    try:
        run = consolidate(paths, out, params, today, snapshot or today is not None, history_path,
                          jobs, progress, replace, old_days, force=force,
                          once=once, dimensions=nach or ())
    except (WorkbookError, history.HistoryError) as exc:
        _fail(exc)
    finally:
        bar.stop()
    data, results = run.data, run.results
    ok = [r for r in results if r.status == OK]
    total = data.territories.loc[TOTAL]
    console.print(f"Parameter: {escape(run.central.label)}")
    for text in run.central.errors:
        err.print(f"  Parameterdatei: {text}", markup=False)
    console.print(f"{german.count(len(ok), 'Datei', 'Dateien')} gelesen, "
                  f"{len(run.problems)} nicht gelesen; "
                  f"{german.count(int(total['Kunden']), 'Kunde', 'Kunden')} in "
                  f"{german.count(len(data.territories) - 1, 'Gebiet', 'Gebieten')}, "
                  f"Umsatz {german.amount(total['Umsatz Vorjahr'])}, gewichtete Pipeline "
                  f"{german.amount(total['Gewichtete Pipeline'])}.")
    if run.problems:
        table = Table(title="Nicht gelesen", title_justify="left", box=box.SIMPLE_HEAD)
        for col in ("Datei", "Status", "Grund"):
            table.add_column(col, overflow="fold")
        for row in run.problems[:MAX_LISTED]:
            table.add_row(*map(escape, map(str, row)))
        console.print(table)
    errors = sum(r.error_count for r in ok)
    deviating = sum(bool(r.deviations) for r in ok)
    if errors:
        err.print(f"[yellow]{german.number(errors)} Fehler in "
                  f"{german.count(sum(bool(r.error_count) for r in ok), 'Datei', 'Dateien')} "
                  "(Zellen im Importprotokoll).[/yellow]")
    named = [r for r in ok if r.territory_from and not r.territory_from.startswith("Spalte")]
    if named:
        err.print(f"[yellow]{german.count(len(named), 'Datei', 'Dateien')} ohne Gebiet-Spalte: Gebiet aus dem "
                  "Parameterblatt oder dem Dateinamen (Spalte „Gebiet aus“ im "
                  "Importprotokoll).[/yellow]")
    old = [r for r in ok if older_than(r.saved, data.date, old_days)]
    if old:
        err.print(f"[yellow]{german.count(len(old), 'Datei', 'Dateien')} seit über {old_days} Tagen nicht gespeichert: "
                  + ", ".join(r.source for r in old[:10]) + (" …" if len(old) > 10 else "")
                  + "[/yellow]")
    if deviating:
        err.print(f"[yellow]{german.count(deviating, 'Datei', 'Dateien')} mit abweichenden "
                  "Parametern (siehe "
                  "Importprotokoll); zentral gerechnet.[/yellow]")
    if len(data.duplicates):
        console.print(f"{german.number(len(data.duplicates))} Kunden in mehreren Gebieten "
                      f"({german.number(int(data.duplicates['rows'].sum()))} Zeilen; je Kunde eine "
                      "Zeile im Blatt Duplikate); in den Summen "
                      + ("einmal gezählt." if once else "je Gebiet gezählt (--einmal-zaehlen: "
                                                        "einmal)."))
    _dimension_summary(data)
    times = ", ".join(f"{k} {german.number(v, 1)} s" for k, v in run.seconds.items())
    console.print(f"Geschrieben: {escape(str(run.out))} ({times})")
    if run.history is not None:
        console.print(f"Stand {german.date(data.date)} gespeichert: "
                      f"{german.count(run.stored, 'Kunde', 'Kunden')} in "
                      f"{escape(str(run.history))}")
    raise typer.Exit(run.exit_code)


def _dimension_summary(data) -> None:
    """One line per buying-behaviour dimension of the master, and what could not be done."""
    from .master import DIMENSIONS_SHEET

    for text in data.dimension_errors:
        err.print(f"[yellow]{escape(text)}.[/yellow]", soft_wrap=True)
    for t in data.dimensions:
        values = t.table.drop(index=TOTAL, level=0).index.get_level_values(0).unique()
        line = (f"Kaufverhalten {escape(t.name)}: "
                f"{german.count(len(values), 'Wert', 'Werte')} "
                f"({escape(', '.join(map(str, values[:6])))}{' …' if len(values) > 6 else ''})"
                f" x Segment im Blatt {DIMENSIONS_SHEET}")
        if t.missing and not t.combined:
            line += (f"; {german.count(len(t.missing), 'Datei', 'Dateien')} ohne diese Spalte "
                     "(Importprotokoll)")
        console.print(line + ".", soft_wrap=True)


def migration_command(
    date_from: Optional[str] = typer.Option(None, "--from",
                                            help="Älterer Stand TT.MM.JJJJ (Standard: vorletzter)"),
    date_to: Optional[str] = typer.Option(None, "--to",
                                          help="Neuerer Stand TT.MM.JJJJ (Standard: letzter)"),
    history_path: Path = typer.Option(Path("Gesamt.history.sqlite"), "--history",
                                      help="Verlaufsdatenbank von xl-cseg consolidate"),
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="Migration zusätzlich als Arbeitsmappe speichern "
                                            "(mit allen Kunden)"),
    top: int = typer.Option(15, "--top", min=0,
                            help="So viele Kunden mit dem höchsten Umsatz hier zeigen"),
    force: bool = typer.Option(False, "--force", "-f",
                               help="eine vorhandene Datei --out ersetzen"),
) -> None:
    """Segment-Migration zwischen zwei gespeicherten Ständen (z. B. C-Win -> B-Grow)."""
    from .migration_book import write_migration

    before, after = _date(date_from, "--from"), _date(date_to, "--to")
    try:
        target = None if out is None else check_output(out, [history_path], ".xlsx", force=force,
                                                       what="Migrationsmappe")
        if before is None or after is None:
            known = history.dates(history_path)
            after = after or (known[-1] if known else None)
            before = before or max((d for d in known if after and d < after), default=None)
            if before is None or after is None:
                raise history.HistoryError(
                    f"„{history_path.name}“ enthält keine zwei Stände (vorhanden: "
                    f"{history.listing(history_path)}); einen weiteren mit „xl-cseg consolidate "
                    "… --snapshot“ speichern oder --from und --to angeben.")
        result = migration_matrix(history.load(history_path, before),
                                  history.load(history_path, after))
        if target is not None:
            with new_folders(target):
                write_migration(result, before, after, target)
    except (history.HistoryError, WorkbookError) as exc:
        _fail(exc)
    counts = result.territories.loc[TOTAL]
    console.print(f"Segment-Migration {german.date(before)} → {german.date(after)}: "
                  f"{german.count(result.changed, 'Kunde', 'Kunden')} mit anderem Segment, "
                  f"{german.number(result.new)} neu, {german.number(result.dropped)} weggefallen; "
                  f"{german.count(result.downgrades.shape[0], 'Herabstufung', 'Herabstufungen')} "
                  f"({german.count(counts['Kunden vorher'], 'Kunde', 'Kunden')} vorher, "
                  f"{german.number(counts['Kunden nachher'])} nachher).")
    console.print(result.basis, style="dim")
    for title, matrix in (("Kunden", result.customers),
                          ("Umsatz nachher €", result.revenue)):
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("von \\ nach", no_wrap=True)
        for col in matrix.columns:
            table.add_column(str(col), justify="right", no_wrap=True)
        for label, row in matrix.iterrows():
            table.add_row(escape(str(label)), *(german.number(v) if v else "·" for v in row),
                          style="bold" if label == TOTAL else None)
        console.print(table)
    table = Table(title="Je Gebiet", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Gebiet", no_wrap=True)
    for col in result.territories.columns:
        table.add_column(col, justify="right", no_wrap=True)
    for label, row in result.territories.iterrows():
        table.add_row(escape(str(label)), *(german.number(v) for v in row),
                      style="bold" if label == TOTAL else None)
    console.print(table)
    for title, frame in ((f"Änderungen (die {top} größten nach Umsatz)", result.top(top)),
                         (f"Herabstufungen (die {top} größten)", result.downgrades.head(top))):
        if not len(frame) or not top:
            continue
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        for col in ("Kunden-Nr", "Kunde", "Gebiet", "von", "nach", "Umsatz vorher",
                    "Umsatz nachher", *(("Grund",) if "reason" in frame else ())):
            table.add_column(col, justify="right" if col.startswith("Umsatz") else "left",
                             overflow="fold")
        for r in frame.itertuples(index=False):
            table.add_row(*map(escape, (
                str(r.customer_id), "" if r.name is None or r.name != r.name else str(r.name),
                str(r.territory), str(r.from_code), str(r.to_code),
                *(german.number(v) if v == v and v is not None else "–"
                  for v in (r.revenue_before, r.revenue_after)),
                *((str(r.reason),) if "reason" in frame else ()))))
        console.print(table)
    if out is not None:
        console.print(f"Geschrieben: {escape(str(out))} (alle {german.number(len(result.moves))} Änderungen)")
    elif len(result.moves) > top:
        console.print(f"Alle {german.number(len(result.moves))} Änderungen mit --out Migration.xlsx.")


@params_app.command("push")
def push_command(
    source: Path = typer.Argument(..., metavar="PARAMETERDATEI",
                                 help="Arbeitsmappe mit den zentralen Parametern"),
    targets: list[Path] = typer.Argument(..., metavar="GEBIETSDATEIEN...",
                                        help="Gebietsdateien oder Ordner"),
    only: list[str] = typer.Option([], "--nur", metavar="GRUPPE",
                                   help="Nur diese Gruppe(n) oder Parameter verteilen "
                                        "(z. B. --nur Kosten --nur Kanalmatrix)"),
    also: list[str] = typer.Option([], "--auch", metavar="NAME",
                                   help="Zusätzlich diesen Gebietswert verteilen (z. B. --auch "
                                        "Ziel_Umsatz oder --auch Abwesenheit)"),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Nur anzeigen, was sich ändern würde; nichts schreiben"),
    recursive: bool = typer.Option(False, "--rekursiv",
                                   help="Auch Unterordner lesen (Standard: nur die eine Ebene)"),
    resegment: bool = typer.Option(False, "--segment",
                                   help="Geänderte Mappen gleich neu segmentieren"),
) -> None:
    """Zentrale Parameter (Kosten, Schwellen, Kanalmatrix, Wahrscheinlichkeiten, ...) in jede
    Gebietsdatei schreiben; Gebietswerte (Ziel, Abwesenheit, Kundentage) nur mit --auch/--nur.
    Vor jeder Änderung entsteht eine neue datierte Sicherung <Name>.Sicherung-<Zeit>.xlsm."""
    from ..core.param_groups import GROUPS, SelectionError
    from .params_push import CHANGED, UNCHANGED, WOULD_CHANGE, push
    from .sources import FAILED

    try:
        results = push(source, targets, only, also, dry_run, recursive, resegment)
    except SelectionError as exc:
        raise typer.BadParameter(str(exc), param_hint="--nur/--auch")
    except WorkbookError as exc:
        _fail(exc)
    groups = ", ".join(g.name for g in GROUPS if g.name.casefold() in
                       {w.casefold() for w in only}) if only else \
        "zentrale Gruppen (" + ", ".join(g.name for g in GROUPS if g.owner == "zentral") + ")"
    console.print(("Probelauf, nichts geschrieben. " if dry_run else "")
                  + f"Verteilt: {groups}" + (f"; zusätzlich: {', '.join(also)}" if also else ""))
    for r in results:
        colour = {CHANGED: "green", WOULD_CHANGE: "green", UNCHANGED: "default"}.get(r.status,
                                                                                   "yellow")
        console.print(f"[{colour}]{r.status}[/{colour}] {escape(str(r.path))}"
                      + (f": {escape(r.message)}" if r.message else ""))
        if r.changes:
            table = Table(box=box.SIMPLE_HEAD, show_header=True, pad_edge=False)
            for col in ("Parameter", "Gruppe", "Zelle", "alt", "neu"):
                table.add_column(col)
            for c in r.changes:
                table.add_row(*map(escape, (c.name, c.group, c.cell, _value(c.old),
                                            _value(c.new))))
            console.print(table)
        if r.backup is not None:
            console.print(f"  Sicherung: {r.backup.name}", markup=False)
        for c in r.held:
            err.print(f"  Gebietswert bleibt: {c.name} = {_value(c.old)} (zentral "
                      f"{_value(c.new)}; übernehmen mit --auch {c.name})", markup=False)
        for text in r.kept:
            err.print(f"  {text}: enthält eine Formel, nicht überschrieben", markup=False)
        if r.missing and r.status in (CHANGED, UNCHANGED, WOULD_CHANGE):
            err.print(f"  fehlt in der Datei: {', '.join(r.missing)}", markup=False)
        if r.segmented:
            console.print(f"  {r.segmented}", markup=False)
    failed = [r for r in results if r.status == FAILED]
    skipped = [r for r in results if r.status not in (CHANGED, UNCHANGED, WOULD_CHANGE, FAILED)]
    stale = [r for r in results if r.stale and not r.segmented.startswith("neu segmentiert")]
    verb = "würden geändert" if dry_run else "geändert"
    changed = sum(r.status in (CHANGED, WOULD_CHANGE) for r in results)
    console.print(f"{german.count(changed, 'Datei', 'Dateien')} {verb}, "
                  f"{sum(r.status == UNCHANGED for r in results)} unverändert, "
                  f"{len(skipped)} übersprungen, {len(failed)} fehlerhaft.")
    if stale:
        console.print(f"[yellow]{'Ergebnisse würden veralten' if dry_run else 'Veraltete Ergebnisse'}"
                      f" (Segment-Spalten mit den alten Parametern gerechnet) in "
                      f"{german.count(len(stale), 'Datei', 'Dateien')}:[/yellow] "
                      + ", ".join(escape(r.path.name) for r in stale)
                      + " – neu rechnen mit --segment oder „xl-cseg segment DATEI“.")
    raise typer.Exit(EXIT_ROW_ERRORS if failed else EXIT_OK)
