"""German public holidays per federal state, computed (Easter by the Gregorian computus; no
network, no table to keep up to date).

Nationwide: Neujahr, Karfreitag, Ostermontag, Tag der Arbeit, Christi Himmelfahrt,
Pfingstmontag, Tag der Deutschen Einheit, 1. and 2. Weihnachtstag. State holidays as the
states' laws have them since 2023 (Reformationstag in the northern states since 2018,
Frauentag in Berlin since 2019 and Mecklenburg-Vorpommern since 2023, Weltkindertag in
Thüringen since 2019). Holidays of only some municipalities (Fronleichnam in parts of Sachsen
and Thüringen, Augsburger Friedensfest) are left out; Mariä Himmelfahrt counts for Bayern, where
most municipalities keep it, and the Saarland.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

STATES: dict[str, str] = {
    "BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "BB": "Brandenburg",
    "HB": "Bremen", "HH": "Hamburg", "HE": "Hessen", "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen", "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz",
    "SL": "Saarland", "SN": "Sachsen", "ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}
NATIONWIDE = "bundesweit"  # only the nationwide holidays


def easter_sunday(year: int) -> _dt.date:
    """Easter Sunday of ``year`` (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return _dt.date(year, month, day + 1)


@lru_cache(maxsize=64)
def holidays(year: int, state: str = NATIONWIDE) -> dict[_dt.date, str]:
    """Public holidays of ``year`` in ``state`` (a code of :data:`STATES` or
    :data:`NATIONWIDE`): date -> German name."""
    easter = easter_sunday(year)

    def after(days: int) -> _dt.date:
        return easter + _dt.timedelta(days=days)

    days = {
        _dt.date(year, 1, 1): "Neujahr", after(-2): "Karfreitag", after(1): "Ostermontag",
        _dt.date(year, 5, 1): "Tag der Arbeit", after(39): "Christi Himmelfahrt",
        after(50): "Pfingstmontag", _dt.date(year, 10, 3): "Tag der Deutschen Einheit",
        _dt.date(year, 12, 25): "1. Weihnachtstag", _dt.date(year, 12, 26): "2. Weihnachtstag",
    }
    if state in ("BW", "BY", "ST"):
        days[_dt.date(year, 1, 6)] = "Heilige Drei Könige"
    if state == "BE" and year >= 2019 or state == "MV" and year >= 2023:
        days[_dt.date(year, 3, 8)] = "Internationaler Frauentag"
    if state in ("BW", "BY", "HE", "NW", "RP", "SL"):
        days[after(60)] = "Fronleichnam"
    if state in ("BY", "SL"):
        days[_dt.date(year, 8, 15)] = "Mariä Himmelfahrt"
    if state == "TH" and year >= 2019:
        days[_dt.date(year, 9, 20)] = "Weltkindertag"
    if state in ("BB", "MV", "SN", "ST", "TH") or \
            state in ("HB", "HH", "NI", "SH") and year >= 2018:
        days[_dt.date(year, 10, 31)] = "Reformationstag"
    if state in ("BW", "BY", "NW", "RP", "SL"):
        days[_dt.date(year, 11, 1)] = "Allerheiligen"
    if state == "SN":  # the Wednesday before 23 November
        nov23 = _dt.date(year, 11, 23)
        days[nov23 - _dt.timedelta(days=(nov23.weekday() - 2) % 7 or 7)] = "Buß- und Bettag"
    return days


def holidays_between(first: _dt.date, last: _dt.date, state: str = NATIONWIDE
                     ) -> dict[_dt.date, str]:
    """Holidays from ``first`` to ``last`` (inclusive)."""
    out: dict[_dt.date, str] = {}
    for year in range(first.year, last.year + 1):
        out.update({d: n for d, n in holidays(year, state).items() if first <= d <= last})
    return out
