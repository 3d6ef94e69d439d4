"""The ``xl-cseg`` command line: everything the workbook does, headless."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from . import __version__, jobs
from .consolidate.cli import consolidate_command, migration_command, params_app
from .core import german
from .core.distribution import Distribution
from .german_cli import CONTEXT, install
from .guard import guard_commands
from .xlsx.atomic import make_folder
from .xlsx.errors import WorkbookError

install()  # typer's and Click's own texts in German
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  context_settings=CONTEXT,
                  help="Kundensegmentierung (ABC x Win/Grow/Maintain) für Excel-Kundenlisten.")
# piped output (logs, CI) gets room for the distribution tables instead of rich's 80 columns
console = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def show(table: Table) -> None:
    """Print a table at its natural width when the console is narrower: a figure or a header
    cut to „10,9…“ is lost to the reader, a long line only wraps."""
    needed = Measurement.get(console, console.options.update_width(1000), table).maximum
    if needed <= console.width:
        console.print(table)
    else:  # rich never prints wider than its console: a console of the table's width
        Console(highlight=False, width=needed, file=console.file).print(table)

MAX_LISTED = 40


def distribution_table(title: str, frame) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("", no_wrap=True, min_width=10)
    for col in ("Kunden", "% Kunden", "Umsatz", "% Umsatz", "Potenzial", "offen"):
        table.add_column(col, justify="right", no_wrap=True)
    for label, row in frame.iterrows():
        style = "bold" if label == "Gesamt" else None
        table.add_row(str(label), german.number(row["Kunden"]),
                      german.percent(row["Anteil Kunden"]),
                      german.amount(row["Umsatz"]), german.percent(row["Anteil Umsatz"]),
                      german.amount(row["Potenzial"]), german.amount(row["Offenes Potenzial"]),
                      style=style)
    return table


def matrix_table(dist: Distribution) -> Table:
    table = Table(title="Portfolio-Matrix (Kunden / Umsatz)", title_justify="left",
                  box=box.SIMPLE_HEAD)
    table.add_column("", no_wrap=True)
    for col in dist.matrix_customers.columns:
        table.add_column(col, justify="right", no_wrap=True)
    for abc in dist.matrix_customers.index:
        table.add_row(abc, *(f"{german.number(dist.matrix_customers.at[abc, c])} / "
                             f"{german.amount(dist.matrix_revenue.at[abc, c])}"
                             for c in dist.matrix_customers.columns))
    return table


PARAMS_OPTION = typer.Option(
    None, "--params", help="Parameterdatei (z. B. die des Controllings, Parameter.xlsm): ihre "
                           "zentralen Werte gelten; Gebietswerte (Ziel, Abwesenheit, Kundentage) "
                           "aus der Mappe, wo sie welche hat")


def print_parameters(report: jobs.SegmentReport) -> None:
    if report.parameters is not None:
        console.print(f"Parameter: {escape(report.parameters.label)}")


def print_report(report: jobs.SegmentReport, verb: str) -> None:
    p = report.params
    console.print(f"[bold]{escape(report.path.name)}[/bold]: "
                  f"{german.count(report.customers, 'Kunde', 'Kunden')} in "
                  f"{escape(report.table.sheet)} ({verb}). C-Kunden-Schwelle "
                  f"{german.amount(p.c_threshold)} ({german.number(p.besuche_b, 2)} Besuche x "
                  f"{german.amount(p.cost_per_visit)} / {german.percent(p.max_kostenanteil)}), "
                  f"A-Schwelle {german.amount(p.a_threshold)}, "
                  f"ABC-Methode {p.abc_methode}.")
    print_parameters(report)
    show(distribution_table("Verteilung nach ABC-Klasse", report.distribution.by_abc))
    show(distribution_table("Verteilung nach Segment", report.distribution.by_code))
    show(matrix_table(report.distribution))
    if report.crossed is not None:
        show(crossed_table(report.crossed))
    _list("Hinweise", report.all_notes, "yellow")
    _list("Fehler", report.all_errors, "red")
    if report.written:
        console.print(f"Geschrieben: {escape(str(report.written))}")


def _list(title: str, lines: list[str], colour: str) -> None:
    if not lines:
        return
    err.print(f"[{colour}]{title} ({len(lines)}):[/{colour}]")
    for line in lines[:MAX_LISTED]:
        err.print(f"  {line}", markup=False)
    if len(lines) > MAX_LISTED:
        err.print(f"  … und {len(lines) - MAX_LISTED} weitere (siehe Spalte Prüfhinweis)")


def _fail(exc: Exception) -> None:
    err.print(f"[red]Fehler:[/red] {escape(str(exc))}")
    raise typer.Exit(jobs.EXIT_FAILED)


FORCE_HELP = "eine vorhandene Datei --out ersetzen (sonst wird sie nicht überschrieben)"


def _force() -> bool:
    return typer.Option(False, "--force", "-f", help=FORCE_HELP)


NACH_OPTION = typer.Option(None, "--nach", help="Spalte des Kaufverhaltens (z. B. Produktart), "
                                                "mit den Segmenten gekreuzt; bis zu zweimal")


def crossed_table(frame) -> Table:
    """The distribution crossed with the buying-behaviour dimensions."""
    name = frame.index.names[0]
    table = Table(title=f"Nach Kaufverhalten ({name} x Segment)", title_justify="left",
                  box=box.SIMPLE_HEAD)
    for col in (name, "Segment", "Kunden", "Umsatz", "Potenzial", "offen"):
        table.add_column(col, justify="left" if col in (name, "Segment") else "right",
                         no_wrap=True)
    for (value, code), row in frame.iterrows():
        table.add_row(str(value), str(code), german.number(row["Kunden"]),
                      german.amount(row["Umsatz"]), german.amount(row["Potenzial"]),
                      german.amount(row["Offenes Potenzial"]),
                      style="bold" if code == "Gesamt" else None)
    return table


@app.command()
def segment(workbook: Path = typer.Argument(..., metavar="MAPPE", help="Arbeitsmappe (.xlsx/.xlsm)"),
            out: Optional[Path] = typer.Option(None, "--out", "-o",
                                               help="Ergebnis hierhin schreiben statt in die Datei"),
            params: Optional[Path] = PARAMS_OPTION,
            force: bool = _force(), nach: Optional[list[str]] = NACH_OPTION) -> None:
    """Segmentieren und die Ergebnisspalten in die Kundentabelle schreiben."""
    try:
        with console.status("Segmentiere …"):
            report = jobs.segment_workbook(workbook, out, params=params, force=force,
                                           dimensions=nach or ())
    except WorkbookError as exc:
        _fail(exc)
    print_report(report, "segmentiert")
    raise typer.Exit(report.exit_code)


@app.command()
def validate(workbook: Path = typer.Argument(..., metavar="MAPPE", help="Arbeitsmappe (.xlsx/.xlsm)"),
             params: Optional[Path] = PARAMS_OPTION,
             nach: Optional[list[str]] = NACH_OPTION) -> None:
    """Prüfen wie beim Segmentieren, ohne etwas zu schreiben."""
    try:
        report = jobs.validate_workbook(workbook, params=params, dimensions=nach or ())
    except WorkbookError as exc:
        _fail(exc)
    print_report(report, "geprüft, nichts geschrieben")
    raise typer.Exit(report.exit_code)


def plan_table(title: str, rows) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Kennzahl", no_wrap=True)
    table.add_column("Wert", justify="right", no_wrap=True)
    table.add_column("Erläuterung", overflow="fold")
    for row in rows:
        value = row.value
        if isinstance(value, str):
            shown = value
        elif value is None:  # e.g. no coverage when there is no gap
            shown = "–"
        elif row.unit == "%":
            shown = german.percent(float(value))
        elif row.unit == "EUR":
            shown = german.amount(float(value))
        else:
            shown = german.number(float(value), 1) + (f" {row.unit}" if row.unit else "")
        table.add_row(row.label, shown, row.explanation)
    return table


@app.command()
def plan(workbook: Path = typer.Argument(..., metavar="MAPPE", help="Arbeitsmappe (.xlsx/.xlsm)"),
         out: Optional[Path] = typer.Option(None, "--out", "-o",
                                            help="Ergebnis hierhin schreiben statt in die Datei"),
         params: Optional[Path] = PARAMS_OPTION,
         force: bool = _force()) -> None:
    """Pipeline, Lücke zum Umsatzziel und Kapazität rechnen und in die Mappe schreiben."""
    try:
        with console.status("Plane …"):
            report = jobs.segment_workbook(workbook, out, params=params, force=force)
    except WorkbookError as exc:
        _fail(exc)
    plan_report = report.plan
    measures = len(plan_report.pipeline.output) if plan_report.pipeline is not None else 0
    console.print(f"[bold]{escape(report.path.name)}[/bold]: "
                  f"{german.count(report.customers, 'Kunde', 'Kunden')}, "
                  f"{german.count(measures, 'Maßnahme', 'Maßnahmen')}.")
    print_parameters(report)
    console.print(plan_table("Umsatzziel und Lücke", plan_report.gap.as_rows()))
    console.print(plan_table("Kapazität", plan_report.capacity.as_rows()))
    if plan_report.visits:
        console.print(f"Besuchsplan: {escape(plan_report.visits)}")
    _list("Hinweise", report.all_notes, "yellow")
    _list("Fehler", report.all_errors, "red")
    console.print(f"Geschrieben: {escape(str(report.written))}")
    raise typer.Exit(report.exit_code)


@app.command()
def demo(out: Path = typer.Option(Path("Kundensegmentierung-Demo.xlsm"), "--out", "-o",
                                  help="Wohin die Demo-Arbeitsmappe (.xlsm) geschrieben wird"),
         force: bool = _force()) -> None:
    """Die eingebaute Demo-Arbeitsmappe (150 Kunden) kopieren, segmentieren und auswerten."""
    try:
        report = jobs.demo_workbook_to(out, force=force)
    except WorkbookError as exc:
        _fail(exc)
    print_report(report, "Demo segmentiert")
    raise typer.Exit(report.exit_code)


@app.command("build-workbook")
def build_workbook(out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Pfad der Vorlage (Standard: workbook/Kundensegmentierung.xlsm "
                                  "im Projektordner)")) -> None:
    """Die Arbeitsmappe reproduzierbar aus den Quellen bauen (Vorlage und Demo)."""
    from .build.workbook import BuildError, build_all
    from .resources import data_dir

    target = out or Path("workbook") / "Kundensegmentierung.xlsm"
    try:
        written = build_all(target, data_dir())
    except (BuildError, ValueError) as exc:
        _fail(exc)
    for path, data in written.items():
        console.print(f"Gebaut: {path} ({german.number(len(data))} Bytes)")


@app.command()
def new(path: Path = typer.Argument(..., metavar="ZIEL", help="Ziel, z. B. Gebiet-Nord.xlsm")) -> None:
    """Eine leere Arbeitsmappe (Vorlage) für einen Außendienstmitarbeiter anlegen."""
    import shutil

    from .resources import template_workbook

    if path.exists():
        _fail(FileExistsError(f"„{path}“ gibt es schon; bitte einen anderen Namen wählen."))
    if path.suffix.lower() != ".xlsm":
        _fail(ValueError(f"„{path.name}“: die Vorlage enthält Makros und braucht die Endung "
                         ".xlsm."))
    make_folder(path.parent, path)
    shutil.copyfile(template_workbook(), path)
    console.print(f"Angelegt: {path}")


@app.command()
def doctor(workbook: Optional[Path] = typer.Argument(None, metavar="MAPPE", help="Arbeitsmappe (.xlsm), optional")
           ) -> None:
    """Python, xlwings und die Einstellungen einer Arbeitsmappe prüfen; sagt, was zu tun ist."""
    from . import doctor as checks

    raise typer.Exit(checks.main(workbook))


def _amount_option(value: Optional[str], option: str) -> Optional[float]:
    """A EUR amount from the command line ("250", "250,50", "1.000"); German message else."""
    if value is None:
        return None
    from .core.numbers import parse_number

    number, error = parse_number(value)
    if error or number is None or number < 0:
        said = error or f"„{value}“: bitte einen Betrag ab 0 angeben"
        _fail(ValueError(f"{option}: {said}"))
    return number


def pricing_table(title: str, frame) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("", no_wrap=True)
    for col in ("Kunden", "betroffen", "Aufträge < MBW", "Pauschale", "Bündelung",
                "Betreuung", "Anteil", "nicht kostend.", "Listenpreis"):
        table.add_column(col, justify="right", no_wrap=True)
    for label, row in frame.iterrows():
        share = row["Kostenanteil"]
        table.add_row(str(label), f"{int(row['Kunden'])}", f"{int(row['Betroffene Kunden'])}",
                      german.number(row["Aufträge unter Mindestbestellwert"]),
                      german.amount(row["Pauschale/Jahr"]), german.amount(row["Bündelung spart"]),
                      german.amount(row["Betreuungskosten"]),
                      german.percent(share) if share == share else "–",
                      f"{int(row['Nicht kostendeckend'])}",
                      f"{int(row['Listenpreis durchsetzen'])}",
                      style="bold" if label == "Gesamt" else None)
    return table


@app.command()
def pricing(workbook: Path = typer.Argument(..., metavar="MAPPE", help="Arbeitsmappe (.xlsx/.xlsm)"),
            mindestbestellwert: Optional[str] = typer.Option(
                None, "--mindestbestellwert", help="Mindestbestellwert in EUR (statt Parameter)"),
            pauschale: Optional[str] = typer.Option(
                None, "--pauschale", help="Bearbeitungspauschale je Auftrag darunter in EUR"),
            kosten_je_auftrag: Optional[str] = typer.Option(
                None, "--kosten-je-auftrag", help="Prozesskosten je Auftrag in EUR"),
            out: Optional[Path] = typer.Option(None, "--out", "-o",
                                               help="Ergebnis hierhin schreiben statt in die Datei"),
            params: Optional[Path] = PARAMS_OPTION,
            force: bool = _force()) -> None:
    """Betreuungskosten je Kunde und C-Kunden-Preispolitik; schreibt das Blatt „Preise & Kosten“."""
    overrides = {key: value for key, value in (
        ("mindestbestellwert", _amount_option(mindestbestellwert, "--mindestbestellwert")),
        ("pauschale", _amount_option(pauschale, "--pauschale")),
        ("kosten_je_auftrag", _amount_option(kosten_je_auftrag, "--kosten-je-auftrag")))
        if value is not None}
    try:
        with console.status("Rechne Betreuungskosten …"):
            report = jobs.pricing_workbook(workbook, out, overrides, force=force,
                                           params_path=params)
    except WorkbookError as exc:
        _fail(exc)
    result, p = report.result, report.result.params
    orders = (f"{result.orders_used} Aufträge aus „{report.orders.sheet}“" if report.orders
              is not None else "Aufträge/Jahr aus der Kundentabelle")
    console.print(f"[bold]{report.segment.path.name}[/bold]: {report.segment.customers} Kunden, "
                  f"{orders}. Besuch {german.amount(p.cost_per_visit)}, Auftrag "
                  f"{german.amount(p.kosten_je_auftrag)}, Mindestbestellwert "
                  f"{german.amount(p.mindestbestellwert)}, Pauschale {german.amount(p.pauschale)}, "
                  f"max. Vertriebskostenanteil {german.percent(p.max_kostenanteil)}.")
    show(pricing_table("Je Segment", result.by_code))
    show(pricing_table("Je ABC-Klasse", result.by_abc))
    total = result.totals
    console.print(f"Pauschale bringt {german.amount(total['Pauschale/Jahr'])} im Jahr "
                  f"({german.count(int(total['Betroffene Kunden']), 'Kunde', 'Kunden')} betroffen); Bündeln auf den "
                  f"Mindestbestellwert spart {german.amount(total['Bündelung spart'])}; "
                  f"{german.count(int(total['Nicht kostendeckend']), 'Kunde', 'Kunden')} nicht "
                  "kostendeckend betreut; "
                  f"{german.count(int(total['Listenpreis durchsetzen']), 'C-Kunde', 'C-Kunden')} mit Rabatt "
                  "(Listenpreis durchsetzen).")
    _list("Hinweise", report.notes, "yellow")
    _list("Fehler", report.errors, "red")
    console.print(f"Geschrieben: {report.written} (Blatt „Preise & Kosten“)")
    raise typer.Exit(report.exit_code)


MAX_WHATIF_ROWS = 60


@app.command()
def whatif(workbook: Path = typer.Argument(..., metavar="MAPPE", help="Arbeitsmappe (.xlsx/.xlsm)"),
           kosten_je_besuch: Optional[str] = typer.Option(
               None, "--kosten-je-besuch", help="Bereich 300:450:50 oder Liste 300,350,400 (EUR)"),
           besuche_b: Optional[str] = typer.Option(
               None, "--besuche-b", help="Besuche eines B-Kunden, z. B. 3:6 oder 3,4,6"),
           besuche_a: Optional[str] = typer.Option(
               None, "--besuche-a", help="Besuche eines A-Kunden, z. B. 8:16:2"),
           max_kostenanteil: Optional[str] = typer.Option(
               None, "--max-kostenanteil", help="Maximaler Vertriebskostenanteil, z. B. 8:12:1 "
                                                "(Prozent) oder 7,5;10"),
           out: Optional[Path] = typer.Option(None, "--out", "-o",
                                              help="Ergebnis hierhin schreiben statt in die Datei"),
           force: bool = _force()) -> None:
    """Was wäre, wenn: C- und A-Schwelle, Kunden und Umsatz je Klasse für andere Kosten,
    Besuche oder Kostenanteile; mehrere Parameter ergeben ein Raster. Schreibt das Blatt
    „Was-wäre-wenn“ mit Diagramm."""
    from .core.whatif import VARIABLES, WhatIfError, parse_values

    given = {"kosten_je_besuch": kosten_je_besuch, "besuche_b": besuche_b,
             "besuche_a": besuche_a, "max_kostenanteil": max_kostenanteil}
    values, problems = {}, []
    for key, text in given.items():
        if text is None:
            continue
        try:
            values[key] = parse_values(text, key)
        except WhatIfError as exc:
            problems.append(str(exc))
    for problem in problems:
        err.print(f"[red]Fehler:[/red] {problem}", markup=True)
    if not values:
        if not problems:
            err.print("[red]Fehler:[/red] bitte mindestens einen Parameter angeben, z. B. "
                      "--kosten-je-besuch 300:450:50")
        raise typer.Exit(jobs.EXIT_FAILED)
    try:
        with console.status("Rechne Szenarien …"):
            report = jobs.whatif_workbook(workbook, values, out, force=force)
    except (WorkbookError, WhatIfError) as exc:
        _fail(exc)
    result = report.result
    table = Table(title=f"Was wäre, wenn ({result.customers} Kunden mit Umsatz)",
                  title_justify="left", box=box.SIMPLE_HEAD)
    for col in ("Szenario", "C-Schwelle", "A-Schwelle", "A", "B", "C", "C-Umsatz",
                "Wechsel", "neu C", "nicht mehr C"):
        table.add_column(col, justify="left" if col == "Szenario" else "right", no_wrap=True,
                         min_width=len(col) if len(col) > 1 else 6)
    frame = result.table
    for _i, row in frame.head(MAX_WHATIF_ROWS).iterrows():
        table.add_row(str(row["Szenario"]), german.amount(row["C-Schwelle"]),
                      german.amount(row["A-Schwelle"]),
                      f"{row['A Kunden']}", f"{row['B Kunden']}", f"{row['C Kunden']}",
                      german.amount(row["C Umsatz"]), f"{row['Klassenwechsel']}", f"{row['neu C']}",
                      f"{row['nicht mehr C']}",
                      style="bold" if row["Szenario"] == "heute" else None)
    show(table)
    if len(frame) > MAX_WHATIF_ROWS:
        console.print(f"… und {len(frame) - MAX_WHATIF_ROWS} weitere Szenarien (siehe Blatt "
                      "„Was-wäre-wenn“)")
    _list("Hinweise", result.notes, "yellow")
    _list("Fehler", report.segment.errors + problems, "red")
    console.print(f"Geschrieben: {report.written} (Blatt „Was-wäre-wenn“ mit Diagramm)")
    raise typer.Exit(jobs.EXIT_ROW_ERRORS if problems or report.segment.errors else jobs.EXIT_OK)


@app.command()
def visits(workbook: Path = typer.Argument(..., metavar="MAPPE", help="Arbeitsmappe (.xlsx/.xlsm)"),
           von: str = typer.Option(..., "--von", help="erster Tag des Plans (30.06.2026 oder "
                                                      "2026-06-30)"),
           wochen: int = typer.Option(..., "--wochen", help="Wochen, die geplant werden (1-53)"),
           ics_file: Optional[Path] = typer.Option(None, "--ics", help="die Termine auch als "
                                                                       "Kalenderdatei (.ics)"),
           out: Optional[Path] = typer.Option(None, "--out", "-o",
                                              help="Ergebnis hierhin schreiben statt in die Datei"),
           force: bool = _force()) -> None:
    """Besuchsplan und Anrufliste: die Besuche laut Kanalmatrix gleichmäßig auf die Kundentage
    verteilen (Feiertage, Abwesenheiten, Reserve frei), Kunden eines Tages nah beieinander;
    schreibt die Blätter „Besuchsplan“ und „Anrufliste“, mit --ics eine Kalenderdatei."""
    from .consolidate.cli import _date

    start = _date(von, "--von")
    try:
        with console.status("Plane Besuche …"):
            report = jobs.visits_workbook(workbook, start, wochen, ics_file, out, force=force)
    except WorkbookError as exc:
        _fail(exc)
    plan = report.plan
    apps = plan.appointments
    prospects = int((apps["reason"] == "Interessent").sum())
    console.print(f"[bold]{escape(report.segment.path.name)}[/bold]: Besuchsplan "
                  f"{german.date(plan.start)} bis {german.date(plan.end)}: "
                  f"{german.count(len(apps) - prospects, 'Termin', 'Termine')} an "
                  f"{german.count(len(plan.days), 'Kundentag', 'Kundentagen')} "
                  f"({german.count(report.kept, 'Termin', 'Termine')} behalten), "
                  f"{german.count(prospects, 'Vorschlag', 'Vorschläge')} für Interessenten, "
                  f"{german.count(len(plan.calls), 'Anruf', 'Anrufe')} für Inside Sales.")
    table = Table(title="Besuche je Segment", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Segment", no_wrap=True)
    for col in plan.by_code.columns:
        table.add_column(col, justify="right", no_wrap=True)
    for code, row in plan.by_code.iterrows():
        if code != "Gesamt" and not row.any():
            continue
        table.add_row(str(code), *(german.number(v) for v in row.tolist()),
                      style="bold" if code == "Gesamt" else None)
    show(table)
    _list("Hinweise", report.notes, "yellow")
    _list("Fehler", report.errors, "red")
    console.print(f"Geschrieben: {escape(str(report.written))} (Blätter „Besuchsplan“ und "
                  "„Anrufliste“)")
    if report.calendar is not None:
        console.print(f"Kalender: {escape(str(report.calendar))}")
    raise typer.Exit(report.exit_code)


def _version(value: bool) -> None:
    if value:
        console.print(f"xl-cseg {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", "-V", is_eager=True,
                                          callback=_version,
                                          help="Die Version zeigen und beenden.")) -> None:
    """Kundensegmentierung (ABC x Win/Grow/Maintain) für Excel-Kundenlisten."""


app.command("consolidate")(consolidate_command)
app.command("migration")(migration_command)
app.add_typer(params_app, name="params")


guard_commands(app, err, jobs.EXIT_FAILED)


def main() -> None:  # pragma: no cover - console entry point
    app()
