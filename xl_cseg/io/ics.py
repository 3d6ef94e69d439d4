"""The visit plan as an iCalendar file (RFC 5545) that Outlook, Google and Apple calendars
import: one VEVENT per appointment, local times in Europe/Berlin with its VTIMEZONE, UIDs that
stay the same for the same customer and visit slot (a re-import updates the events)."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from ..core.visits import VisitPlan
from ..xlsx.atomic import check_writable, target_path, temp_beside
from ..xlsx.errors import WorkbookError

PRODID = "-//xl-cseg//Besuchsplan//DE"
TZID = "Europe/Berlin"
VISIT_MINUTES = 60
_VTIMEZONE = (
    "BEGIN:VTIMEZONE", f"TZID:{TZID}", "X-LIC-LOCATION:Europe/Berlin",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
    "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
    "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
)


class CalendarRefused(WorkbookError):
    """The calendar file cannot be written there (German message)."""


def _text(value: object) -> str:
    """A TEXT value escaped (RFC 5545 3.3.11)."""
    text = "" if value is None or value != value else str(value)
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets folded (continuation lines start with a space)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # never split a character
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, 74
    return "\r\n ".join(parts)


def _local(day: _dt.date, t: _dt.time) -> str:
    return f"{day:%Y%m%d}T{t:%H%M%S}"


def calendar_text(plan: VisitPlan, stamp: _dt.datetime) -> str:
    """The plan's appointments as iCalendar text (``stamp``: the run's time, UTC)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "X-WR-CALNAME:Besuchsplan", f"X-WR-TIMEZONE:{TZID}",
             *_VTIMEZONE]
    utc = stamp.astimezone(_dt.timezone.utc) if stamp.tzinfo else stamp
    for rec in plan.appointments.to_dict("records"):
        day, start = rec["date"], rec["time"] or _dt.time(9, 0)
        begin = _dt.datetime.combine(day, start)
        end = begin + _dt.timedelta(minutes=VISIT_MINUTES)
        name = rec["name"] or rec["customer_id"]
        place = " ".join(str(x) for x in (rec["postcode"], rec["city"]) if x and x == x)
        details = "; ".join(str(x) for x in (f"Kunden-Nr {rec['customer_id']}",
                                              rec["code"] and f"Segment {rec['code']}",
                                              rec["reason"], rec["note"]) if x and x == x)
        lines += ["BEGIN:VEVENT", f"UID:{rec['uid']}", f"DTSTAMP:{utc:%Y%m%dT%H%M%SZ}",
                  f"DTSTART;TZID={TZID}:{_local(day, start)}",
                  f"DTEND;TZID={TZID}:{_local(end.date(), end.time())}",
                  f"SUMMARY:{_text(f'Besuch {name}')}"]
        if place:
            lines.append(f"LOCATION:{_text(place)}")
        lines += [f"DESCRIPTION:{_text(details)}", f"CATEGORIES:{_text(rec['reason'])}",
                  "TRANSP:OPAQUE", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def is_ours(path: Path) -> bool:
    """A calendar file this tool wrote (its PRODID near the top)."""
    try:
        with open(path, "rb") as f:
            head = f.read(400)
    except OSError:
        return False
    return PRODID.encode() in head


def check_calendar_target(path: Path, force: bool = False) -> Path:
    """The file ``--ics`` may write: a new ``.ics`` file, one this tool wrote before (a
    re-planning run replaces it), or with ``force`` any ``.ics``."""
    real = target_path(path)
    if real.suffix.casefold() != ".ics":
        raise CalendarRefused(f"„{path.name}“: die Kalenderdatei braucht die Endung .ics "
                              f"(z. B. --ics {path.with_suffix('.ics').name}).", path=path)
    if real.is_dir():
        raise CalendarRefused(f"„{path}“ ist ein Ordner; bitte einen Dateinamen angeben.",
                              path=path)
    if real.exists() and not force and not is_ours(real):
        raise CalendarRefused(f"„{path.name}“ gibt es schon und stammt nicht von xl-cseg; sie "
                              "wird nicht ersetzt. Bitte einen anderen Namen wählen oder "
                              "--force angeben.", path=path)
    if not real.parent.is_dir():
        raise CalendarRefused(f"Den Ordner „{real.parent}“ gibt es nicht.", path=path)
    return real


def write_calendar(path: Path, text: str) -> None:
    """Write the calendar atomically (temp file beside it, fsync, rename)."""
    real = target_path(path)
    check_writable(real)
    with temp_beside(real) as (out, _tmp):
        out.write(text.encode())
