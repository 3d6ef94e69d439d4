"""The ``Besuchsplan`` and ``Anrufliste`` sheets, the ``Abwesenheiten`` list and reading a plan
back for re-planning (one layout for every writer and reader)."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import pandas as pd

from ..core import german
from ..core.numbers import normalize_id
from ..core.params import Parameters
from ..core.pipeline import parse_date
from ..core.visits import PROSPECT, Absence, PlanIssue, VisitPlan
from ..io.headers import normalize
from ..xlsx.cellref import a1
from ..xlsx.new_sheet import SheetContent
from .source import SheetSource

SHEET = "Besuchsplan"
TITLE = "Besuchsplan: Termine je Kundentag"
CALL_SHEET = "Anrufliste"
CALL_TITLE = "Anrufliste Inside Sales: Kontakte je Arbeitstag"
ABSENCE_SHEETS = ("abwesenheiten", "abwesenheit", "urlaub")
HEAD = 4  # header row of the appointment list (0-based)
COLUMNS = ("Datum", "Wochentag", "Uhrzeit", "Kunden-Nr", "Kunde", "Segment", "PLZ", "Ort",
           "Anlass", "Hinweis", "fest")
_KEYS = ("date", "weekday", "time", "customer_id", "name", "code", "postcode", "city", "reason",
         "note", "fixed")
WEEK_COL = len(COLUMNS) + 1  # the week view starts one column right of the list
WEEK_COLUMNS = ("KW", "Woche ab", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag",
                "Termine", "frei")
CALL_COLUMNS = ("Datum", "Wochentag", "Kunden-Nr", "Kunde", "Segment", "Offene Maßnahmen",
                "Letzter Kontakt", "erledigt")
_EXCEL_EPOCH = _dt.date(1899, 12, 30)
FIXED_WORDS = ("", "nein", "0", "false", "falsch", "-", "–")


def serial(day: _dt.date) -> float:
    """Excel's serial number of a date (what a date cell holds)."""
    return float((day - _EXCEL_EPOCH).days)


def time_serial(t: _dt.time) -> float:
    return (t.hour * 60 + t.minute) / 1440.0


def plan_content(plan: VisitPlan, params: Parameters) -> SheetContent:
    """The ``Besuchsplan`` sheet: the list (one row per appointment), the week view and the
    visits per code."""
    cells: dict[tuple[int, int], Any] = {(0, 0): TITLE}
    formats: dict[tuple[int, int], str] = {(0, 0): "bold"}
    cells[(1, 0)] = (
        f"Zeitraum {german.date(plan.start)} bis {german.date(plan.end)}; "
        f"{german.number(params.kundentage_woche, 1)} Kundentage je Woche, "
        f"{german.number(params.besuche_tag, 1)} Besuche je Kundentag, "
        f"{german.percent(params.reserve_anteil)} Reserve je Woche, Feiertage "
        f"{params.bundesland}. Ein Termin mit Eintrag in „fest“, mit eigenem Hinweis oder in der "
        "Vergangenheit bleibt beim nächsten Lauf stehen; die übrigen werden neu geplant "
        "(xl-cseg visits).")
    apps = plan.appointments
    regular = int((apps["reason"] != PROSPECT).sum())
    cells[(2, 0)] = (f"{german.count(regular, 'Termin', 'Termine')} an "
                     f"{german.count(len(plan.days), 'Kundentag', 'Kundentagen')}, "
                     f"{german.count(len(apps) - regular, 'Vorschlag', 'Vorschläge')} für "
                     f"Interessenten; ohne Termin: {german.number(plan.unplanned)} Besuche.")
    for c, text in enumerate(COLUMNS):
        cells[(HEAD, c)] = text
        formats[(HEAD, c)] = "header"
    for r, rec in enumerate(apps.to_dict("records"), start=HEAD + 1):
        for c, key in enumerate(_KEYS):
            value = rec[key]
            if key == "date":
                value = serial(value)
                formats[(r, c)] = "date"
            elif key == "time":
                value = time_serial(value) if value is not None else None
                formats[(r, c)] = "time"
            elif key == "fixed":
                value = "ja" if value else None
            elif value is not None and not isinstance(value, str):
                value = None if value != value else str(value)
            if value not in (None, ""):
                cells[(r, c)] = value
    _week_view(plan, cells, formats)
    widths = {0: 11, 1: 11, 2: 8, 3: 11, 4: 30, 5: 11, 6: 7, 7: 18, 8: 28, 9: 40, 10: 6,
              WEEK_COL: 11, WEEK_COL + 1: 11, **{WEEK_COL + 2 + i: 28 for i in range(5)},
              WEEK_COL + 7: 8, WEEK_COL + 8: 6}
    return SheetContent(name=SHEET, cells=cells, formats=formats, widths=widths,
                        freeze_row=HEAD + 1, notes=(1, 2))


def _week_view(plan: VisitPlan, cells: dict, formats: dict) -> None:
    """Beside the list: per week the customers of each weekday (route order), the appointments
    and the free slots; below it the visits needed, planned and left out per code."""
    col = WEEK_COL
    cells[(HEAD - 1, col)] = "Wochenansicht"
    formats[(HEAD - 1, col)] = "bold"
    for i, text in enumerate(WEEK_COLUMNS):
        cells[(HEAD, col + i)] = text
        formats[(HEAD, col + i)] = "header"
    apps = plan.appointments
    by_day: dict[_dt.date, list[str]] = {}
    for rec in apps.to_dict("records"):
        by_day.setdefault(rec["date"], []).append(str(rec["name"] or rec["customer_id"]))
    free: dict[_dt.date, int] = {}
    for rec in plan.days.to_dict("records"):
        free[rec["date"]] = int(rec["limit"])
    for day, names in by_day.items():
        if day in free:
            free[day] -= len(names)
    monday = plan.start - _dt.timedelta(days=plan.start.weekday())
    r = HEAD + 1
    while monday <= plan.end:
        week = [monday + _dt.timedelta(days=i) for i in range(5)]
        cells[(r, col)] = monday.isocalendar()[1]
        cells[(r, col + 1)] = serial(monday)
        formats[(r, col + 1)] = "date"
        for i, day in enumerate(week):
            if day in plan.holidays:
                cells[(r, col + 2 + i)] = plan.holidays[day]
            elif plan.away(day) and not by_day.get(day):
                cells[(r, col + 2 + i)] = plan.away(day)
            elif by_day.get(day):
                cells[(r, col + 2 + i)] = "; ".join(by_day[day])
        cells[(r, col + 7)] = sum(len(by_day.get(d, [])) for d in week)
        cells[(r, col + 8)] = max(sum(free.get(d, 0) for d in week), 0)
        monday += _dt.timedelta(days=7)
        r += 1
    r += 1
    cells[(r, col)] = "Besuche je Segment"
    formats[(r, col)] = "bold"
    r += 1
    heads = ("Segment", *plan.by_code.columns)
    for i, text in enumerate(heads):
        cells[(r, col + i)] = text
        formats[(r, col + i)] = "header"
    for code, row in plan.by_code.iterrows():
        r += 1
        cells[(r, col)] = str(code)
        for i, value in enumerate(row.tolist(), start=1):
            cells[(r, col + i)] = float(value)
            formats[(r, col + i)] = "int_bold" if code == "Gesamt" else "int"


def calls_content(plan: VisitPlan) -> SheetContent:
    """The ``Anrufliste`` sheet: one row per inside-sales contact."""
    cells: dict[tuple[int, int], Any] = {(0, 0): CALL_TITLE}
    formats: dict[tuple[int, int], str] = {(0, 0): "bold"}
    cells[(1, 0)] = (f"Zeitraum {german.date(plan.start)} bis {german.date(plan.end)}: "
                     f"{german.count(len(plan.calls), 'Kontakt', 'Kontakte')} laut Kanalmatrix, "
                     "Montag bis Freitag ohne Feiertage.")
    head = 3
    for c, text in enumerate(CALL_COLUMNS):
        cells[(head, c)] = text
        formats[(head, c)] = "header"
    keys = ("date", "weekday", "customer_id", "name", "code", "open_measures", "last_contact")
    for r, rec in enumerate(plan.calls.to_dict("records"), start=head + 1):
        for c, key in enumerate(keys):
            value = rec[key]
            if key in ("date", "last_contact"):
                if isinstance(value, _dt.date):
                    cells[(r, c)] = serial(value)
                    formats[(r, c)] = "date"
                continue
            if value is not None and value == value and str(value) != "":
                cells[(r, c)] = value if isinstance(value, str) else str(value)
    widths = {0: 11, 1: 11, 2: 11, 3: 30, 4: 11, 5: 44, 6: 14, 7: 9}
    return SheetContent(name=CALL_SHEET, cells=cells, formats=formats, widths=widths,
                        freeze_row=head + 1, notes=(1,))


def is_ours(content: SheetContent, grid: list[list[Any]]) -> bool:
    """The sheet holds one of these layouts (its title in A1): a rerun may rewrite it."""
    title = TITLE if content.name == SHEET else CALL_TITLE
    return bool(grid) and bool(grid[0]) and str(grid[0][0]).strip() == title


# -- reading back ------------------------------------------------------------------------------
def _sheet(source: SheetSource, names: tuple[str, ...]):
    return next((s for s in source.worksheets() if normalize(s.name) in names), None)


def kept_appointments(source: SheetSource, today: _dt.date
                      ) -> tuple[pd.DataFrame | None, list[PlanIssue]]:
    """The appointments of an existing ``Besuchsplan`` that a new run keeps: those before
    ``today`` and those marked in ``fest``. None when the workbook has no plan of ours."""
    info = next((s for s in source.worksheets() if s.name == SHEET), None)
    if info is None:
        return None, []
    grid = source.grid(info)
    if not grid or not grid[0] or str(grid[0][0]).strip() != TITLE:
        return None, []
    issues: list[PlanIssue] = []
    rows = []
    for r in range(HEAD + 1, len(grid)):
        row = list(grid[r][:len(COLUMNS)]) + [None] * max(0, len(COLUMNS) - len(grid[r]))
        if all(v in (None, "") for v in row):
            continue
        day, error = parse_date(row[0])
        cid = normalize_id(row[3])
        if error or day is None or cid is None:
            if any(v not in (None, "") for v in row[:4]):
                issues.append(PlanIssue(f"{SHEET}!{a1(r, 0 if error or day is None else 3)}",
                                        "Termin ohne gültiges Datum oder Kunden-Nr: nicht "
                                        "übernommen (die Zeile wird neu geplant)"))
            continue
        fixed = str(row[10] if row[10] is not None else "").strip().casefold() not in \
            FIXED_WORDS
        if not fixed and day >= today and is_own_note(row[9]):
            fixed = True  # what the rep typed is never planned away
            issues.append(PlanIssue(f"{SHEET}!{a1(r, 9)}", "eigener Hinweis: der Termin bleibt "
                                                            "stehen wie ein fester"))
        if not fixed and day >= today:
            continue
        rows.append({"date": day, "customer_id": cid, "name": row[4] or "", "code": row[5],
                     "postcode": str(row[6] or ""), "city": row[7] or "",
                     "reason": row[8] or "", "note": row[9] or ""})
    return pd.DataFrame(rows, columns=["date", "customer_id", "name", "code", "postcode", "city",
                                       "reason", "note"]), issues


_OUR_NOTES = re.compile(r"(keine PLZ: ohne Tourenbezug geplant|Vorschlag: .* nahe der Tour|"
                        r".*\(fällig \d\d\.\d\d\.\d{4}\)|fällig \d\d\.\d\d\.\d{4})")


def is_own_note(value: Any) -> bool:
    """A ``Hinweis`` the rep typed (not one of the texts the plan writes there)."""
    text = str(value if value is not None else "").strip()
    return bool(text) and not all(_OUR_NOTES.fullmatch(part.strip())
                                  for part in text.split("; "))


def plan_summary(source: SheetSource) -> str | None:
    """One German line about the workbook's ``Besuchsplan`` (appointments, first and last day,
    how many are fixed); None when it has none of ours."""
    info = next((s for s in source.worksheets() if s.name == SHEET), None)
    if info is None:
        return None
    grid = source.grid(info)
    if not grid or not grid[0] or str(grid[0][0]).strip() != TITLE:
        return None
    days, fixed = [], 0
    for row in grid[HEAD + 1:]:
        day, _error = parse_date(row[0] if row else None)
        if day is None:
            continue
        days.append(day)
        fixed += len(row) > 10 and str(row[10] or "").strip().casefold() not in FIXED_WORDS
    if not days:
        return f"Blatt „{SHEET}“ ohne Termine (neu planen: xl-cseg visits)."
    return (f"Blatt „{SHEET}“: {german.count(len(days), 'Termin', 'Termine')} vom "
            f"{german.date(min(days))} bis {german.date(max(days))}"
            + (f", davon {fixed} fest" if fixed else "")
            + " (neu planen: xl-cseg visits oder „Besuchsplan“ im Menüband).")


def read_absences(source: SheetSource) -> tuple[list[Absence], list[PlanIssue]]:
    """The optional ``Abwesenheiten`` list: a header row with ``Von`` and ``Bis`` (optional
    ``Grund``) in its first rows; one period per row. Dates that cannot be read are named."""
    info = _sheet(source, ABSENCE_SHEETS)
    if info is None:
        return [], []
    grid = source.grid(info)
    head = None
    for r, row in enumerate(grid[:10]):
        words = [normalize(v) for v in row]
        if any(w in ("von", "ab", "beginn", "start") for w in words) and \
                any(w in ("bis", "ende", "end") for w in words):
            head = r, words
            break
    if head is None:
        return [], [PlanIssue(f"{info.name}!A1", "keine Überschriften „Von“ und „Bis“ gefunden: "
                                                 "Abwesenheiten nicht berücksichtigt",
                              error=True)]
    r0, words = head
    c_from = next(c for c, w in enumerate(words) if w in ("von", "ab", "beginn", "start"))
    c_to = next(c for c, w in enumerate(words) if w in ("bis", "ende", "end"))
    c_why = next((c for c, w in enumerate(words) if w in ("grund", "art", "anlass",
                                                         "bemerkung")), None)
    found: list[Absence] = []
    issues: list[PlanIssue] = []
    for r in range(r0 + 1, len(grid)):
        row = grid[r]
        cell = (lambda c: row[c] if c is not None and c < len(row) else None)
        raw_from, raw_to = cell(c_from), cell(c_to)
        if raw_from in (None, "") and raw_to in (None, ""):
            continue
        first, e1 = parse_date(raw_from)
        last, e2 = parse_date(raw_to)
        if first is None and e1 is None:
            e1 = "Von fehlt"
        if e1 or e2:
            where = f"{info.name}!{a1(r, c_from if e1 else c_to)}"
            issues.append(PlanIssue(where, f"{e1 or e2}: Abwesenheit nicht berücksichtigt",
                                    error=True))
            continue
        found.append(Absence(first, last or first, str(cell(c_why) or "").strip(),
                             f"{info.name}!{a1(r, c_from)}"))
    return found, issues
