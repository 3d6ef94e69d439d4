"""``xl-cseg visits`` on a rep's own list: the sheets written surgically, the .ics parsed back
with a real calendar parser, re-planning keeps past and fixed appointments, bad input."""

from __future__ import annotations

import datetime as _dt
import zipfile
from pathlib import Path

import icalendar
import openpyxl
import python_calamine as pc
import pytest
from typer.testing import CliRunner

from tests.ooxml.poi import assert_poi_reads, needs_poi
from tests.ooxml.schema import assert_schema_valid, needs_schemas
from tests.userlists import typed_list
from xl_cseg import jobs
from xl_cseg.cli import app
from xl_cseg.io import visit_sheet

runner = CliRunner()
TODAY = _dt.date(2026, 12, 1)
START = _dt.date(2027, 1, 4)
HEADERS = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "PLZ", "Ort"]
ROWS = [
    [1001, "Bäckerei Groß", 95_000, 120_000, "50667", "Köln"],
    [1002, "Metallbau Klein", 60_000, 200_000, "50668", "Köln"],
    [1003, "Druckerei Mitte", 30_000, 45_000, "40210", "Düsseldorf"],
    [1004, "Holz & Co", 18_000, 60_000, "", "Bonn"],  # no postcode: planned, flagged
    [1005, "Neukunde Süd", 0, 50_000, "50670", "Köln"],  # prospect
    [1006, "Kleinkunde", 3_000, 5_000, "44135", "Dortmund"],  # C: inside sales
]


def _absences(wb, _ws) -> None:
    sheet = wb.create_sheet("Abwesenheiten")
    sheet.append(["Von", "Bis", "Grund"])
    sheet.append([_dt.datetime(2027, 1, 18), _dt.datetime(2027, 1, 22), "Urlaub"])
    sheet.append(["03.02.2027", "04.02.2027", "Messe"])


def _list(path: Path, extra=_absences) -> Path:
    return typed_list(path, HEADERS, ROWS, extra=extra)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _plan_rows(path: Path) -> list[dict]:
    grid = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
        visit_sheet.SHEET).to_python(skip_empty_area=False)
    head = grid[visit_sheet.HEAD][:len(visit_sheet.COLUMNS)]
    assert tuple(head) == visit_sheet.COLUMNS
    return [dict(zip(head, r)) for r in grid[visit_sheet.HEAD + 1:] if r[0] not in ("", None)]


def test_cli_writes_plan_call_list_and_calendar(tmp_path):
    path = _list(tmp_path / "liste.xlsx")
    before = _members(path)
    ics_path = tmp_path / "plan.ics"
    result = runner.invoke(app, ["visits", str(path), "--von", "04.01.2027", "--wochen", "8",
                                 "--ics", str(ics_path)])
    assert result.exit_code == 0, result.output
    assert "Besuchsplan 04.01.2027 bis 28.02.2027" in result.output
    assert "Kunden!E5" in result.output and "keine PLZ" in result.output
    after = _members(path)
    changed = {n for n in before if before[n] != after.get(n)}
    assert changed <= {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
                       "xl/styles.xml"}
    book = pc.CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["Kunden", "Notizen", "Abwesenheiten", "Besuchsplan",
                                "Anrufliste"]
    rows = _plan_rows(path)
    assert rows and all(isinstance(r["Datum"], _dt.date) for r in rows)
    days = {r["Datum"] for r in rows}
    away = {_dt.date(2027, 1, d) for d in range(18, 23)} | {_dt.date(2027, 2, 3),
                                                             _dt.date(2027, 2, 4)}
    assert not days & away and all(d.weekday() < 5 for d in days)
    assert {r["Kunden-Nr"] for r in rows if r["Anlass"] == "Regelbesuch"} >= {"1001", "1002"}
    assert any(r["Kunden-Nr"] == "1004" and "keine PLZ" in r["Hinweis"] for r in rows)
    assert "1006" not in {r["Kunden-Nr"] for r in rows}  # C-Maintain: inside sales only
    calls = book.get_sheet_by_name(visit_sheet.CALL_SHEET).to_python()
    assert any(row[2] == "1006" for row in calls[4:])

    cal = icalendar.Calendar.from_ical(ics_path.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(rows)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    by_uid = {str(e["UID"]): e for e in events}
    assert len(by_uid) == len(events)
    for row, event in zip(rows, events):
        start = event["DTSTART"].dt
        assert str(start.tzinfo) in ("Europe/Berlin", "CET") or start.utcoffset() == \
            _dt.timedelta(hours=1)
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert start.date() == row["Datum"]
        assert (start.hour, start.minute) == (row["Uhrzeit"].hour, row["Uhrzeit"].minute)
        assert event["DTEND"].dt - start == _dt.timedelta(hours=1)

    # a second run: the same plan, the same UIDs (a re-import updates the events)
    again = runner.invoke(app, ["visits", str(path), "--von", "2027-01-04", "--wochen", "8",
                                "--ics", str(ics_path)])
    assert again.exit_code == 0, again.output
    events2 = list(icalendar.Calendar.from_ical(ics_path.read_bytes()).walk("VEVENT"))
    assert [str(e["UID"]) for e in events2] == [str(e["UID"]) for e in events]
    assert [e["DTSTART"].dt for e in events2] == [e["DTSTART"].dt for e in events]
    assert set(_members(path)) == set(after)  # rewritten in place, nothing added twice


def test_replanning_keeps_past_and_fixed_appointments(tmp_path):
    path = _list(tmp_path / "liste.xlsx")
    first = jobs.visits_workbook(path, START, 8, today=TODAY)
    rows = _plan_rows(path)
    # the rep fixes one appointment on another day and the plan is rerun four weeks later
    wb = openpyxl.load_workbook(path)
    ws = wb[visit_sheet.SHEET]
    target_row = next(r for r in range(visit_sheet.HEAD + 2, ws.max_row + 1)
                      if ws.cell(r, 1).value and ws.cell(r, 1).value.date() > _dt.date(2027, 2, 8))
    moved = _dt.datetime(2027, 2, 12)
    fixed_customer = str(ws.cell(target_row, 4).value)
    ws.cell(target_row, 1).value = moved
    ws.cell(target_row, 11).value = "x"
    # and types a note of their own beside another future appointment (kept like a fixed one)
    noted_row = next(r for r in range(target_row + 1, ws.max_row + 1) if ws.cell(r, 1).value)
    noted = (ws.cell(noted_row, 1).value.date(), str(ws.cell(noted_row, 4).value))
    ws.cell(noted_row, 10).value = "Herr Maier: Muster mitbringen"
    wb.save(path)
    later = _dt.date(2027, 2, 1)
    report = jobs.visits_workbook(path, later, 4, today=later)
    kept = [r for r in rows if r["Datum"] < later]
    new_rows = _plan_rows(path)
    assert report.kept == len(kept) + 2
    assert any(r["Datum"] == noted[0] and r["Kunden-Nr"] == noted[1]
               and r["Hinweis"] == "Herr Maier: Muster mitbringen" for r in new_rows)
    assert any(n.startswith(f"Besuchsplan!J{noted_row}") and "eigener Hinweis" in n
               for n in report.notes)
    for old in kept:  # the past stays as it was
        assert any(r["Datum"] == old["Datum"] and r["Kunden-Nr"] == old["Kunden-Nr"]
                   for r in new_rows)
    fixed = [r for r in new_rows if r["fest"] == "ja"]
    assert any(r["Datum"] == moved.date() and r["Kunden-Nr"] == fixed_customer for r in fixed)
    assert first.plan.appointments["uid"].is_unique


def test_bad_inputs_are_named_and_the_rest_planned(tmp_path):
    def bad_absences(wb, _ws):
        sheet = wb.create_sheet("Abwesenheiten")
        sheet.append(["Von", "Bis", "Grund"])
        sheet.append(["22.01.2027", "18.01.2027", "verdreht"])
        sheet.append(["irgendwann", "05.02.2027", "Messe"])
        sheet.append(["01.02.2027", "05.02.2027", "Urlaub"])
        sheet.append(["04.02.2027", "06.02.2027", "Schulung"])

    path = _list(tmp_path / "liste.xlsx", bad_absences)
    result = runner.invoke(app, ["visits", str(path), "--von", "04.01.2027", "--wochen", "60"])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "Abwesenheiten!A2" in out and "vor ihrem Beginn" in out
    assert "Abwesenheiten!A3" in out
    assert "Abwesenheiten!A5" in out and "überschneidet" in out
    assert "53 Wochen" in out
    rows = _plan_rows(path)
    assert rows and max(r["Datum"] for r in rows) <= START + _dt.timedelta(weeks=53)
    assert not {r["Datum"] for r in rows} & {_dt.date(2027, 2, d) for d in range(1, 6)}


def test_a_period_in_the_past_writes_nothing(tmp_path):
    path = _list(tmp_path / "liste.xlsx")
    before = path.read_bytes()
    result = runner.invoke(app, ["visits", str(path), "--von", "05.01.2015", "--wochen", "4"])
    assert result.exit_code == 2 and "Vergangenheit" in result.output
    assert path.read_bytes() == before
    result = runner.invoke(app, ["visits", str(path), "--von", "morgen", "--wochen", "4"])
    assert result.exit_code == 2 and "--von" in result.output


def test_foreign_sheet_and_foreign_calendar_are_refused(tmp_path):
    def own_plan(wb, _ws):
        wb.create_sheet("Besuchsplan")["A1"] = "mein eigener Plan"

    path = _list(tmp_path / "liste.xlsx", own_plan)
    before = path.read_bytes()
    result = runner.invoke(app, ["visits", str(path), "--von", "04.01.2027", "--wochen", "4"])
    assert result.exit_code == 2 and "anderem Inhalt" in result.output
    assert path.read_bytes() == before
    other = _list(tmp_path / "zwei.xlsx")
    before = other.read_bytes()
    mine = tmp_path / "termine.ics"
    mine.write_text("BEGIN:VCALENDAR\r\nPRODID:-//Outlook//DE\r\nEND:VCALENDAR\r\n")
    result = runner.invoke(app, ["visits", str(other), "--von", "04.01.2027", "--wochen", "4",
                                 "--ics", str(mine)])
    assert result.exit_code == 2 and "nicht von xl-cseg" in result.output
    assert other.read_bytes() == before and "Outlook" in mine.read_text()


@needs_schemas
def test_written_workbook_follows_the_schemas(tmp_path):
    path = _list(tmp_path / "liste.xlsx")
    jobs.visits_workbook(path, START, 8, today=TODAY)
    assert_schema_valid(path)


@needs_poi
def test_apache_poi_reads_the_plan(tmp_path):
    path = _list(tmp_path / "liste.xlsx")
    jobs.visits_workbook(path, START, 8, today=TODAY)
    result = assert_poi_reads([path], cells=True)[path]
    assert {"Besuchsplan", "Anrufliste"} <= set(result.sheets)


def test_ribbon_entry_point_on_a_file_plans_four_weeks_and_writes_the_calendar(tmp_path):
    from xl_cseg import macros

    path = _list(tmp_path / "liste.xlsx")
    summary = macros.run_on_file("visits", path, today=_dt.date(2027, 1, 6))  # a Wednesday
    assert "Besuchsplan 11.01.2027 bis 07.02.2027" in summary.text, summary.text
    assert summary.ok and "Kalenderdatei" in summary.text
    calendar = tmp_path / "liste Besuchsplan.ics"
    events = list(icalendar.Calendar.from_ical(calendar.read_bytes()).walk("VEVENT"))
    assert len(events) == len(_plan_rows(path))
    # a foreign calendar of that name stays as it is; the sheets are written all the same
    calendar.write_text("BEGIN:VCALENDAR\r\nPRODID:-//Outlook//DE\r\nEND:VCALENDAR\r\n")
    summary = macros.run_on_file("visits", path, today=_dt.date(2027, 1, 6))
    assert "Keine Kalenderdatei" in summary.text and "Outlook" in calendar.read_text()


def test_in_the_open_book_dates_and_times_get_their_formats(tmp_path):
    from tests.excel_fakes import FakeBook
    from xl_cseg import macros
    from xl_cseg.io.excel import ExcelSource, ExcelWriter

    path = _list(tmp_path / "liste.xlsx")
    book = FakeBook.from_file(path)
    book.fullname = str(tmp_path / "offen.xlsx")
    summary = macros.run_visits(ExcelSource(book), ExcelWriter(book), _dt.date(2027, 1, 6))
    assert "Besuchsplan 11.01.2027" in summary.text, summary.text
    sheet = book.sheets[visit_sheet.SHEET]
    assert sheet.values[(0, 0)] == visit_sheet.TITLE
    first = visit_sheet.HEAD + 1
    assert sheet.formats[(first, 0)] == "DD.MM.YYYY" and sheet.formats[(first, 2)] == "hh:mm"
    # a second click keeps nothing in the future, plans again and leaves no old cells
    again = macros.run_visits(ExcelSource(book), ExcelWriter(book), _dt.date(2027, 1, 6))
    assert again.ok


def test_plan_mentions_the_visit_plan(tmp_path):
    path = _list(tmp_path / "liste.xlsx")
    result = runner.invoke(app, ["plan", str(path)])
    assert "Besuchsplan:" not in result.output
    jobs.visits_workbook(path, START, 4, today=TODAY)
    result = runner.invoke(app, ["plan", str(path)])
    text = " ".join(result.output.split())
    rows = _plan_rows(path)
    first, last = min(r["Datum"] for r in rows), max(r["Datum"] for r in rows)
    count = f"{len(rows)} Termin" + ("e" if len(rows) != 1 else "")
    assert f"Besuchsplan: Blatt „Besuchsplan“: {count} vom {first:%d.%m.%Y} bis " \
        f"{last:%d.%m.%Y}" in text, text


def test_week_view_shows_customers_holidays_and_absences(tmp_path):
    path = _list(tmp_path / "liste.xlsx")
    report = jobs.visits_workbook(path, _dt.date(2026, 12, 21), 6, today=TODAY)
    grid = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
        visit_sheet.SHEET).to_python(skip_empty_area=False)
    col = visit_sheet.WEEK_COL
    assert tuple(grid[visit_sheet.HEAD][col:col + 9]) == visit_sheet.WEEK_COLUMNS
    weeks = {row[col]: row[col:col + 9] for row in grid[visit_sheet.HEAD + 1:]
             if isinstance(row[col], (int, float)) and row[col]}
    # columns: KW, Woche ab, Montag ... Freitag, Termine, frei
    assert weeks[52][6] == "1. Weihnachtstag"  # Friday 25 December 2026
    assert weeks[53][6] == "Neujahr"  # Friday 1 January 2027, ISO week 53 of 2026
    assert list(weeks[3][2:7]) == ["Urlaub"] * 5  # 18 to 22 January
    apps = report.plan.appointments
    for week, row in weeks.items():
        shown = sum(len(str(v).split("; ")) for v in row[2:7]
                    if v and v not in ("Urlaub", "Neujahr", "1. Weihnachtstag",
                                       "2. Weihnachtstag"))
        assert shown == row[7] == sum(1 for d in apps["date"] if d.isocalendar()[1] == week)


def test_calendar_times_follow_summer_time_and_texts_are_escaped():
    import pandas as pd

    from xl_cseg.core.params import Parameters
    from xl_cseg.core.visits import visit_plan
    from xl_cseg.io.ics import calendar_text

    customers = pd.DataFrame([{"customer_id": "7", "name": "Müller, Söhne; Partner " + "x" * 80,
                               "code": "A-Grow", "visits": 52.0, "revenue": 1.0,
                               "postcode": "10115", "city": "Berlin"}])
    plan = visit_plan(customers, _dt.date(2027, 3, 15), 4, Parameters(), today=TODAY)
    text = calendar_text(plan, _dt.datetime(2027, 3, 1, 12, tzinfo=_dt.timezone.utc))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    events = list(icalendar.Calendar.from_ical(text.encode()).walk("VEVENT"))
    assert len(events) == 4
    for event in events:  # summer time from 28 March 2027
        start = event["DTSTART"].dt
        summer = start.date() > _dt.date(2027, 3, 28)
        assert start.utcoffset() == _dt.timedelta(hours=2 if summer else 1)
    assert {e["DTSTART"].dt.utcoffset() for e in events} == {_dt.timedelta(hours=1),
                                                              _dt.timedelta(hours=2)}
    assert str(events[0]["SUMMARY"]).startswith("Besuch Müller, Söhne; Partner xxx")
    assert str(events[0]["DTSTAMP"].dt) == "2027-03-01 12:00:00+00:00"
