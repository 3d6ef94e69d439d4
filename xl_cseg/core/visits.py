"""From codes to a calendar: the visit plan of a field rep and the inside-sales call list.

Pure: customers in (code, visits and contacts a year from the channel matrix, postcode, town,
optional coordinates), a period (start, weeks), the parameters, absences and the appointments to
keep; a plan out. No files, no clock (``today`` is given).

The rules, as an experienced field rep plans:

- Customer days: each week gets ``Kundentage_je_Woche`` x (working days free of holidays and
  absences) / 5 of them (fractions carried from week to week, as the capacity check counts
  them), Tuesday, Wednesday, Thursday first, then Monday, then Friday (the planning day).
- Visits per customer day: ``Besuche_je_Kundentag`` (fractions carried from day to day); a
  ``Reserve_Anteil`` of each week's slots stays free.
- Each customer's visits are spread evenly: slot ``k`` of a customer with ``v`` visits a year
  aims at ``anchor + k x 365/v`` days, anchored on a fixed calendar (the customer's own offset),
  so 12 visits are about monthly, 4 quarterly, and a slot keeps its number from run to run (the
  calendar's UID). A visit goes to a customer day within half an interval of its aim, where the
  day's other customers are nearest (coordinates when both have them, else the postcode: same
  region, same first digits), nearer the aim when equal.
- When the capacity is short, the codes are thinned out with the capacity check's rule
  (:func:`planning.thin_out_visits`: lowest revenue per visit first, A and B keep a floor) and
  the codes are booked in the opposite order (highest revenue per visit first); what could not
  be planned is counted per code.
- Free slots (beyond the reserve) are offered to prospects and growth customers nearest the
  day's route; an open measure due in the period makes the customer's visit nearest before its
  due date the "nächster Schritt".
- Inside sales: customers with contacts a year get them spread over the working days, at most
  ``IS_Kunden_je_Tag`` a day, with their open measures and last contact beside them.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import hashlib
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from . import german, rules
from .holidays import holidays_between
from .params import CODES, Parameters
from .planning import thin_out_visits

WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
DAY_PREFERENCE = (1, 2, 3, 0, 4)  # Tue, Wed, Thu, Mon, Fri
REGULAR, NEXT_STEP, PROSPECT = "Regelbesuch", "nächster Schritt einer Maßnahme", "Interessent"
MAX_WEEKS = 53
DAY_START_MINUTES = 8 * 60 + 30  # first appointment 08:30
DAY_SPAN_MINUTES = 9 * 60  # appointments spread until 17:30
KM_PER_DAY_OFF = 3.0  # a day nearer the aim is worth this many kilometres
EMPTY_DAY_KM = 40.0  # cost of opening an empty day (a far day is worse, a near one better)
PROSPECT_KM = 35.0  # a prospect this near a day's route is suggested for its free slots
_EPOCH = _dt.date(2000, 1, 3)  # a Monday: the fixed calendar the visit slots count from

APPOINTMENT_COLUMNS = ("date", "weekday", "time", "customer_id", "name", "code", "postcode",
                       "city", "reason", "note", "fixed", "uid")
CALL_COLUMNS = ("date", "weekday", "customer_id", "name", "code", "open_measures",
                "last_contact")
UNPLANNED_COLUMNS = ("Kunden", "Besuche geplant", "Besuche benötigt", "gekürzt", "ohne Termin")


class PlanError(ValueError):
    """The period cannot be planned at all (German message)."""


@dataclass(frozen=True)
class Absence:
    """Days away from customers (holiday, fair, training), both dates inclusive."""

    first: _dt.date
    last: _dt.date
    label: str = ""
    where: str = ""  # sheet and cell, for messages


@dataclass(frozen=True)
class PlanIssue:
    """A German message; ``where`` names sheet and cell when known."""

    where: str
    message: str
    error: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(eq=False)
class VisitPlan:
    start: _dt.date
    end: _dt.date  # inclusive
    days: pd.DataFrame  # customer days: date, limit (visits), usable (after the reserve)
    appointments: pd.DataFrame  # APPOINTMENT_COLUMNS, by date and route order
    calls: pd.DataFrame  # CALL_COLUMNS
    by_code: pd.DataFrame  # UNPLANNED_COLUMNS per code
    holidays: dict[_dt.date, str]
    issues: list[PlanIssue] = field(default_factory=list)
    absences: list[Absence] = field(default_factory=list)  # those that count

    def away(self, day: _dt.date) -> str | None:
        """The reason the rep is away on ``day`` ("abwesend" without one), or None."""
        for a in self.absences:
            if a.first <= day <= a.last:
                return a.label or "abwesend"
        return None

    @property
    def regular(self) -> int:
        return int((self.appointments["reason"] != PROSPECT).sum())

    @property
    def unplanned(self) -> int:
        return int(self.by_code["ohne Termin"].sum() + self.by_code["gekürzt"].sum())


# -- the calendar ------------------------------------------------------------------------------
def check_period(start: _dt.date, weeks: int, today: _dt.date) -> tuple[_dt.date, _dt.date,
                                                                        list[PlanIssue]]:
    """First and last day to plan and the messages: a period longer than a year is cut to
    :data:`MAX_WEEKS` weeks, one starting in the past is planned from today; one wholly in
    the past cannot be planned (:class:`PlanError`)."""
    issues: list[PlanIssue] = []
    if weeks < 1:
        raise PlanError(f"--wochen {weeks}: bitte mindestens eine Woche planen")
    if weeks > MAX_WEEKS:
        issues.append(PlanIssue("", f"{weeks} Wochen sind länger als ein Jahr: geplant werden "
                                    f"{MAX_WEEKS} Wochen", error=True))
        weeks = MAX_WEEKS
    end = start + _dt.timedelta(days=7 * weeks - 1)
    if end < today:
        raise PlanError(f"Der Zeitraum {german.date(start)} bis {german.date(end)} liegt in der "
                        "Vergangenheit: bitte ein Datum ab heute angeben")
    if start < today:
        issues.append(PlanIssue("", f"Der Zeitraum beginnt in der Vergangenheit "
                                    f"({german.date(start)}): geplant wird ab heute "
                                    f"({german.date(today)})"))
        start = today
    return start, end, issues


def check_absences(absences: Sequence[Absence]) -> tuple[list[Absence], list[PlanIssue]]:
    """Absences with reversed dates are left out (error); overlapping ones are noted (both
    count)."""
    issues: list[PlanIssue] = []
    kept: list[Absence] = []
    for a in absences:
        if a.last < a.first:
            issues.append(PlanIssue(a.where, f"Abwesenheit „{a.label or 'ohne Grund'}“ endet "
                                             f"({german.date(a.last)}) vor ihrem Beginn "
                                             f"({german.date(a.first)}): nicht berücksichtigt, "
                                             "bitte Von und Bis prüfen", error=True))
        else:
            kept.append(a)
    ordered = sorted(kept, key=lambda a: (a.first, a.last))
    for prev, cur in zip(ordered, ordered[1:]):
        if cur.first <= prev.last:
            issues.append(PlanIssue(cur.where, f"Abwesenheit {german.date(cur.first)} bis "
                                               f"{german.date(cur.last)} überschneidet sich mit "
                                               f"{german.date(prev.first)} bis "
                                               f"{german.date(prev.last)} ({prev.where}); beide "
                                               "gelten"))
    return kept, issues


def customer_days(start: _dt.date, end: _dt.date, params: Parameters,
                  absences: Sequence[Absence], holidays: dict[_dt.date, str]) -> pd.DataFrame:
    """The customer days from ``start`` to ``end`` with their visit limit and the visits usable
    after the week's reserve (columns date, limit, usable)."""
    away = set()
    for a in absences:
        d = max(a.first, start)
        while d <= min(a.last, end):
            away.add(d)
            d += _dt.timedelta(days=1)
    monday = start - _dt.timedelta(days=start.weekday())
    week_carry = day_carry = 0.0
    dates: list[_dt.date] = []
    limits: list[int] = []
    usable: list[int] = []
    while monday <= end:
        free = [monday + _dt.timedelta(days=i) for i in DAY_PREFERENCE]
        free = [d for d in free if start <= d <= end and d not in holidays and d not in away]
        # the week's share of customer days, as the capacity check counts them (full weeks)
        week_carry += params.kundentage_woche * len(free) / 5.0
        n = min(int(math.floor(week_carry + 1e-9)), len(free))
        week_carry -= n
        chosen = sorted(free[:n])
        week_limits = []
        for _d in chosen:
            day_carry += params.besuche_tag
            k = int(math.floor(day_carry + 1e-9))
            day_carry -= k
            week_limits.append(k)
        budget = int(math.floor(sum(week_limits) * (1.0 - params.reserve_anteil) + 1e-9))
        for d, k in zip(chosen, week_limits):  # the reserve is taken from the week's last days
            use = min(k, budget)
            budget -= use
            dates.append(d)
            limits.append(k)
            usable.append(use)
        monday += _dt.timedelta(days=7)
    return pd.DataFrame({"date": dates, "limit": limits, "usable": usable})


def _phase(customer_id: str) -> float:
    """A fixed offset in [0, 1) per customer: spreads customers of one frequency over the
    interval, the same in every run."""
    digest = hashlib.blake2b(str(customer_id).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0 ** 64


def visit_slots(customer_id: str, per_year: float, start: _dt.date, end: _dt.date
                ) -> list[tuple[int, float]]:
    """(slot number, aim as days since ``start``) of the customer's visits from ``start`` to
    ``end``: about ``per_year`` x days / 365, within one of it."""
    if not per_year or per_year <= 0 or not math.isfinite(per_year):
        return []
    interval = 365.0 / per_year
    offset = _phase(customer_id) * interval
    first_day, last_day = (start - _EPOCH).days, (end - _EPOCH).days + 1
    k = math.ceil((first_day - offset) / interval - 1e-9)
    out = []
    while offset + k * interval < last_day:
        out.append((k, offset + k * interval - first_day))
        k += 1
    return out


# -- distances ---------------------------------------------------------------------------------
def postcode_key(value: object) -> str:
    text = "".join(ch for ch in str(value or "") if ch.isdigit())
    return text if len(text) >= 4 else ""


_PREFIX_KM = {5: 0.0, 4: 5.0, 3: 15.0, 2: 35.0, 1: 90.0, 0: 250.0}


def place_distance(a: tuple, b: tuple) -> float:
    """Kilometres between two places (postcode, lat, lon): great circle when both have
    coordinates, else by the postcode's common leading digits (no postcode: 150)."""
    pa, lat_a, lon_a = a
    pb, lat_b, lon_b = b
    if lat_a == lat_a and lat_b == lat_b:
        phi1, phi2 = math.radians(lat_a), math.radians(lat_b)
        dphi, dlmb = phi2 - phi1, math.radians(lon_b - lon_a)
        h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
        return 12742.0 * math.asin(min(1.0, math.sqrt(h)))
    if not pa or not pb:
        return 150.0
    common = 0
    for x, y in zip(pa[:5], pb[:5]):
        if x != y:
            break
        common += 1
    return _PREFIX_KM[common]


class DayRoute:
    """The places booked on one customer day, kept so that the distance of a further customer
    to the nearest of them (:func:`place_distance`) takes a few set look-ups: the postcode
    prefixes of the booked places, and the coordinates of those that have them (figures in
    ``benchmarks/bench_visits.py``)."""

    __slots__ = ("count", "prefixes", "plain_prefixes", "blank", "plain_blank", "lat", "lon")

    def __init__(self) -> None:
        self.count = 0
        self.prefixes: set[str] = set()  # every booked postcode's prefixes 1-5
        self.plain_prefixes: set[str] = set()  # the same of places without coordinates
        self.blank = self.plain_blank = False  # a booked place without postcode
        self.lat: list[float] = []
        self.lon: list[float] = []

    def add(self, place: tuple) -> None:
        postcode, lat, lon = place
        self.count += 1
        located = lat == lat and lon == lon
        if located:
            self.lat.append(lat)
            self.lon.append(lon)
        keys = {postcode[:k] for k in range(1, 6)} if postcode else set()
        self.prefixes |= keys
        self.blank |= not postcode
        if not located:
            self.plain_prefixes |= keys
            self.plain_blank |= not postcode

    def nearest(self, place: tuple) -> float:
        """Kilometres from ``place`` to the nearest booked place (inf when none)."""
        postcode, lat, lon = place
        best = math.inf
        if lat == lat and lon == lon:
            if self.lat:
                phi1, phi2 = math.radians(lat), np.radians(self.lat)
                dphi, dlmb = phi2 - phi1, np.radians(self.lon) - math.radians(lon)
                h = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
                best = float(12742.0 * np.arcsin(np.minimum(1.0, np.sqrt(h))).min())
            prefixes, blank = self.plain_prefixes, self.plain_blank
        else:
            prefixes, blank = self.prefixes, self.blank
        if prefixes or blank:
            if not postcode:
                return min(best, 150.0)
            common = 0
            for k in range(min(len(postcode), 5), 0, -1):
                if postcode[:k] in prefixes:
                    common = k
                    break
            best = min(best, _PREFIX_KM[common] if prefixes else math.inf,
                       150.0 if blank else math.inf)
        return best


def _route(places: list[tuple]) -> list[int]:
    """Order of one day's visits: by postcode; with coordinates nearest neighbour from the
    lowest postcode."""
    order = sorted(range(len(places)), key=lambda i: (places[i][0] or "99999", i))
    if len(order) < 3 or any(p[1] != p[1] for p in places):
        return order
    route = [order[0]]
    left = order[1:]
    while left:
        nxt = min(left, key=lambda i: (place_distance(places[route[-1]], places[i]), i))
        route.append(nxt)
        left.remove(nxt)
    return route


# -- the plan ----------------------------------------------------------------------------------
def _frame_column(frame: pd.DataFrame, key: str, default=None) -> list:
    if key in frame:
        return frame[key].tolist()
    return [default] * len(frame)


def visit_plan(customers: pd.DataFrame, start: _dt.date, weeks: int, params: Parameters, *,
               today: _dt.date, absences: Sequence[Absence] = (),
               fixed: pd.DataFrame | None = None, measures: pd.DataFrame | None = None,
               prospects: pd.DataFrame | None = None) -> VisitPlan:
    """The visit plan and call list of one rep.

    ``customers``: customer_id, name, code, revenue, postcode, city, optional lat, lon and
    ``where`` (the row's postcode cell, for messages); visits and contacts a year from the
    channel matrix (or columns ``visits``/``contacts``). ``fixed``: appointments to keep
    (date, customer_id, reason; in the past or marked fixed). ``measures``: open measures
    (customer_id, measure, next_step, due_date). ``prospects``: candidates for free slots
    (customer_id, name, code, postcode, city, optional lat, lon, kind).
    """
    start, end, issues = check_period(start, weeks, today)
    kept, more = check_absences(absences)
    issues += more
    hol = holidays_between(start, end, params.bundesland)
    days = customer_days(start, end, params, kept, hol)
    n_days = len(days)
    day_dates = days["date"].tolist()
    day_index = {d: i for i, d in enumerate(day_dates)}
    day_offset = np.array([(d - start).days for d in day_dates], dtype=float)
    usable = days["usable"].to_numpy(dtype=int).copy()
    routes = [DayRoute() for _ in range(n_days)]  # the places booked per day

    ids = [str(x) for x in _frame_column(customers, "customer_id", "")]
    codes = _frame_column(customers, "code")
    _ch, matrix_visits, matrix_contacts = rules.channel_plan(
        np.array(codes, dtype=object), params)
    per_year = customers["visits"].to_numpy(dtype=float) if "visits" in customers else \
        matrix_visits
    contacts_year = customers["contacts"].to_numpy(dtype=float) if "contacts" in customers \
        else matrix_contacts
    revenue = np.nan_to_num(np.array(_frame_column(customers, "revenue", 0.0), dtype=float))
    postcodes = [postcode_key(p) for p in _frame_column(customers, "postcode", "")]
    lat = np.array(_frame_column(customers, "lat", np.nan), dtype=float)
    lon = np.array(_frame_column(customers, "lon", np.nan), dtype=float)
    places = list(zip(postcodes, lat.tolist(), lon.tolist()))
    names = _frame_column(customers, "name", "")
    cities = _frame_column(customers, "city", "")
    wheres = _frame_column(customers, "where", "")
    position = {cid: i for i, cid in enumerate(ids)}
    has_postcodes = "postcode" in customers  # without the column no row is flagged

    # appointments kept from the sheet: they take their day's slots and their customer's slots
    appointments: list[dict] = []
    fixed_by_customer: dict[int, list[_dt.date]] = {}
    for rec in ([] if fixed is None else fixed.to_dict("records")):
        d, cid = rec["date"], str(rec["customer_id"])
        i = position.get(cid)
        appointments.append(_appointment(d, cid, names[i] if i is not None else rec.get("name", ""),
                                         codes[i] if i is not None else rec.get("code"),
                                         rec.get("postcode", "") if i is None else postcodes[i],
                                         rec.get("city", "") if i is None else cities[i],
                                         rec.get("reason") or REGULAR, rec.get("note") or "",
                                         True, rec.get("uid") or _uid(cid, "fest", d)))
        if d in day_index:
            usable[day_index[d]] -= 1
            if i is not None:
                routes[day_index[d]].add(places[i])
        if i is not None:
            fixed_by_customer.setdefault(i, []).append(d)

    # what each customer needs in the period (each slot aimed at a day)
    need: list[list[tuple[int, float]]] = []
    field_idx = [i for i in range(len(ids)) if per_year[i] == per_year[i] and per_year[i] > 0]
    for i in range(len(ids)):
        need.append(visit_slots(ids[i], per_year[i], start, end) if per_year[i] > 0 else [])
    for i, dates in fixed_by_customer.items():  # a kept appointment covers the nearest slot
        for d in dates:
            if need[i]:
                aim = (d - start).days
                j = min(range(len(need[i])), key=lambda j: abs(need[i][j][1] - aim))
                need[i].pop(j)
    code_of = {i: codes[i] for i in field_idx}
    demand = pd.DataFrame({"code": [code_of[i] for i in field_idx],
                           "Besuche": [float(len(need[i])) for i in field_idx],
                           "Umsatz": [revenue[i] * len(need[i]) / max(per_year[i], 1e-9)
                                      * 365.0 / max((end - start).days + 1, 1)
                                      for i in field_idx]})
    by_code = _code_table(demand)
    capacity = int(usable[usable > 0].sum())
    cuts = thin_out_visits(by_code, float(by_code["Besuche"].sum()) - capacity)
    cut_per_code = cuts["Besuche streichen"].to_dict() if len(cuts) else {}
    # thinning: the code's cut shared among its customers by their visits (largest remainder),
    # each customer's kept visits evenly spread over its slots
    for code, cut in cut_per_code.items():
        members = [i for i in field_idx if code_of[i] == code and need[i]]
        counts = [len(need[i]) for i in members]
        for i, keep in zip(members, _apportion(counts, sum(counts) - int(cut),
                                               [_phase(ids[i]) for i in members])):
            n = len(need[i])
            step = n / keep if keep else 0
            need[i] = [need[i][int(j * step)] for j in range(keep)]

    # book: codes with the highest revenue per visit first, each slot by its aim
    rank = {c: r for r, c in enumerate(by_code.sort_values("Umsatz je Besuch", ascending=False,
                                                           kind="stable").index)}
    slots = [(rank.get(code_of[i], 99), aim, ids[i], i, k) for i in field_idx
             for k, aim in need[i]]
    slots.sort()
    missed: dict[str, int] = {}
    day_offsets = day_offset.tolist()
    for _rank, aim, cid, i, k in slots:
        half = 365.0 / per_year[i] / 2.0
        lo = int(np.searchsorted(day_offset, aim - half, side="left"))
        hi = int(np.searchsorted(day_offset, aim + half, side="right"))
        best = _best_day(places[i], aim, lo, hi, day_offsets, usable, routes)
        if best < 0:
            missed[code_of[i]] = missed.get(code_of[i], 0) + 1
            continue
        usable[best] -= 1
        routes[best].add(places[i])
        note = "keine PLZ: ohne Tourenbezug geplant" if has_postcodes and not postcodes[i] \
            else ""
        appointments.append(_appointment(day_dates[best], cid, names[i], codes[i],
                                         postcodes[i], cities[i], REGULAR, note, False,
                                         _uid(cid, "besuch", k)))
    for i in field_idx if has_postcodes else ():
        if not postcodes[i] and need[i]:
            issues.append(PlanIssue(wheres[i] or "", f"Kunde {ids[i]} hat keine PLZ: "
                                                     "geplant, aber ohne Tourenbezug"))

    _next_steps(appointments, measures, start, end)
    planned_ids = {a["customer_id"] for a in appointments}
    appointments += _prospects(prospects, routes, usable, day_dates, planned_ids)
    frame = _ordered(appointments, places, position)
    by_code["Besuche geplant"] = 0.0
    planned = frame[~frame["fixed"] & (frame["reason"] != PROSPECT)]["code"].value_counts()
    by_code["Besuche geplant"] = [float(planned.get(c, 0)) for c in by_code.index]
    by_code["gekürzt"] = [float(cut_per_code.get(c, 0.0)) for c in by_code.index]
    by_code["ohne Termin"] = [float(missed.get(c, 0)) for c in by_code.index]
    by_code = by_code.rename(columns={"Besuche": "Besuche benötigt"})
    by_code = by_code[list(UNPLANNED_COLUMNS)]
    by_code.loc["Gesamt"] = by_code.sum()
    for code in by_code.index[:-1]:
        short = by_code.at[code, "gekürzt"] + by_code.at[code, "ohne Termin"]
        if short:
            issues.append(PlanIssue("", f"{code}: {german.number(short)} von "
                                        f"{german.number(by_code.at[code, 'Besuche benötigt'])} "
                                        "Besuchen ohne Termin (zu wenig Kundentage)"))
    calls, no_day = call_list(ids, names, codes, contacts_year, start, end, params, hol,
                              measures, _frame_column(customers, "last_contact"))
    if no_day:
        issues.append(PlanIssue("", f"Inside Sales: {german.number(no_day)} Kontakte ohne Tag "
                                    f"(höchstens {german.number(params.is_kunden_tag)} je Tag, "
                                    "IS_Kunden_je_Tag)"))
    return VisitPlan(start=start, end=end, days=days, appointments=frame, calls=calls,
                     by_code=by_code, holidays=hol, issues=issues, absences=kept)


def _best_day(place: tuple, aim: float, lo: int, hi: int, offsets: list[float],
              usable: np.ndarray, routes: list[DayRoute]) -> int:
    """The customer day in ``lo .. hi - 1`` with room where the visit costs least: kilometres to
    the day's nearest booked place (:data:`EMPTY_DAY_KM` for an empty day) plus
    :data:`KM_PER_DAY_OFF` per day from the aim; the earlier day on a tie; -1 when none has
    room. Days are tried outward from the aim and the search stops where the days off alone
    cost more than the best found."""
    best, best_cost = -1, math.inf
    right = bisect.bisect_left(offsets, aim, lo, hi)
    left = right - 1
    while left >= lo or right < hi:
        if right >= hi or (left >= lo and aim - offsets[left] <= offsets[right] - aim):
            j, left = left, left - 1
        else:
            j, right = right, right + 1
        off = KM_PER_DAY_OFF * abs(offsets[j] - aim)
        if off > best_cost:  # days come nearest first: every further one costs more
            break
        if usable[j] <= 0:
            continue
        route = routes[j]
        cost = (route.nearest(place) if route.count else EMPTY_DAY_KM) + off
        if cost < best_cost or cost == best_cost and j < best:
            best, best_cost = j, cost
    return best


def _apportion(counts: list[int], total: int, ties: list[float]) -> list[int]:
    """``total`` shared in proportion to ``counts`` (whole numbers, none above its count):
    floors first, the rest to the largest remainders (``ties`` decide equal ones)."""
    whole = sum(counts)
    if whole <= 0 or total <= 0:
        return [0] * len(counts)
    exact = [c * total / whole for c in counts]
    out = [min(c, int(math.floor(e + 1e-9))) for c, e in zip(counts, exact)]
    order = sorted(range(len(counts)), key=lambda j: (-(exact[j] - out[j]), ties[j], j))
    left = total - sum(out)
    for j in order:
        if left <= 0:
            break
        if out[j] < counts[j]:
            out[j] += 1
            left -= 1
    return out


def _appointment(day, cid, name, code, postcode, city, reason, note, fixed, uid) -> dict:
    return {"date": day, "weekday": WEEKDAYS[day.weekday()], "time": None, "customer_id": cid,
            "name": name, "code": code, "postcode": postcode, "city": city, "reason": reason,
            "note": note, "fixed": fixed, "uid": uid}


def _uid(customer_id: str, kind: str, key) -> str:
    """A calendar UID that stays the same for the same customer and slot (a re-import updates
    the event instead of adding a second one)."""
    digest = hashlib.sha1(f"{customer_id}|{kind}|{key}".encode()).hexdigest()[:20]
    return f"{digest}@xl-cseg"


def _code_table(demand: pd.DataFrame) -> pd.DataFrame:
    table = demand.groupby("code")[["Besuche", "Umsatz"]].sum() if len(demand) else \
        pd.DataFrame(columns=["Besuche", "Umsatz"], dtype=float)
    counts = demand.groupby("code").size() if len(demand) else pd.Series(dtype=float)
    table = table.reindex(list(CODES), fill_value=0.0).astype(float)
    table["Kunden"] = counts.reindex(list(CODES), fill_value=0).astype(float)
    table["Umsatz je Besuch"] = table["Umsatz"] / table["Besuche"].where(table["Besuche"] > 0)
    return table


def _next_steps(appointments: list[dict], measures: pd.DataFrame | None, start: _dt.date,
                end: _dt.date) -> None:
    """The visit nearest before an open measure's due date (in the period) becomes its next
    step (the first visit after it when there is none before)."""
    if measures is None or not len(measures) or not appointments:
        return
    mine: dict[str, list[dict]] = {}
    for a in appointments:
        if not a["fixed"]:
            mine.setdefault(a["customer_id"], []).append(a)
    for rec in measures.to_dict("records"):
        due = rec.get("due_date")
        if not isinstance(due, _dt.date) or not start <= due <= end:
            continue
        visits = sorted((a for a in mine.get(str(rec.get("customer_id")), [])
                         if a["reason"] == REGULAR), key=lambda a: a["date"])
        if not visits:
            continue
        before = [a for a in visits if a["date"] <= due]
        pick = before[-1] if before else visits[0]
        step = str(rec.get("next_step") or rec.get("measure") or "").strip()
        pick["reason"] = NEXT_STEP
        text = f"{step} (fällig {german.date(due)})" if step else f"fällig {german.date(due)}"
        pick["note"] = "; ".join(x for x in (text, pick["note"]) if x)


def _prospects(prospects: pd.DataFrame | None, routes: list[DayRoute], usable: np.ndarray,
               day_dates: list[_dt.date], planned: set) -> list[dict]:
    """Free slots (beyond the reserve) offered to the prospects or growth customers nearest the
    day's route (within :data:`PROSPECT_KM`), each at most once."""
    rows: list[dict] = []
    if prospects is None or not len(prospects):
        return rows
    cand_ids = [str(x) for x in _frame_column(prospects, "customer_id", "")]
    cand_places = list(zip([postcode_key(p) for p in _frame_column(prospects, "postcode", "")],
                           np.array(_frame_column(prospects, "lat", np.nan), dtype=float).tolist(),
                           np.array(_frame_column(prospects, "lon", np.nan), dtype=float).tolist()))
    free = [c for c in range(len(cand_ids)) if cand_ids[c] not in planned
            and (cand_places[c][0] or cand_places[c][1] == cand_places[c][1])]
    recs = prospects.to_dict("records")
    for j in range(len(day_dates)):
        if usable[j] <= 0 or not routes[j].count or not free:
            continue
        near = sorted((routes[j].nearest(cand_places[c]), c) for c in free)
        chosen = [c for km, c in near if km <= PROSPECT_KM][:int(usable[j])]
        for c in chosen:
            free.remove(c)
            usable[j] -= 1
            rec = recs[c]
            kind = str(rec.get("kind") or "Interessent")
            row = _appointment(day_dates[j], cand_ids[c], rec.get("name", ""), rec.get("code"),
                               cand_places[c][0], rec.get("city", ""), PROSPECT,
                               f"Vorschlag: {kind} nahe der Tour", False,
                               _uid(cand_ids[c], "vorschlag", day_dates[j].isoformat()))
            row["_place"] = cand_places[c]
            rows.append(row)
    return rows


def _ordered(appointments: list[dict], places: list[tuple], position: dict[str, int]
             ) -> pd.DataFrame:
    """Appointments by date, each day in route order, with start times."""
    by_day: dict[_dt.date, list[dict]] = {}
    for a in appointments:
        by_day.setdefault(a["date"], []).append(a)
    rows: list[dict] = []
    for day in sorted(by_day):
        group = by_day[day]
        spots = []
        for rec in group:
            i = position.get(str(rec["customer_id"]))
            place = rec.pop("_place", None)
            spots.append(place or (places[i] if i is not None else
                                   (postcode_key(rec["postcode"]), math.nan, math.nan)))
        step = min(DAY_SPAN_MINUTES // max(len(group), 1), 150)
        for n, k in enumerate(_route(spots)):
            rec = group[k]
            rec["time"] = _dt.time(*divmod(DAY_START_MINUTES + n * step, 60))
            rows.append(rec)
    return pd.DataFrame(rows, columns=list(APPOINTMENT_COLUMNS))


# -- inside sales ------------------------------------------------------------------------------
def call_list(ids: list[str], names: list, codes: list, contacts_year: np.ndarray,
              start: _dt.date, end: _dt.date, params: Parameters,
              hol: dict[_dt.date, str], measures: pd.DataFrame | None,
              last_contact: list) -> tuple[pd.DataFrame, int]:
    """Inside-sales contacts in the period, spread over the working days (Monday to Friday
    without holidays), at most ``IS_Kunden_je_Tag`` a day; each customer's open measures and
    last contact beside it. Returns the calls and how many found no day with room."""
    days = []
    d = start
    while d <= end:
        if d.weekday() < 5 and d not in hol:
            days.append(d)
        d += _dt.timedelta(days=1)
    per_day = max(int(params.is_kunden_tag), 1)
    offsets = np.array([(x - start).days for x in days], dtype=float)
    load = np.zeros(len(days), dtype=int)
    open_text: dict[str, str] = {}
    if measures is not None and len(measures):
        for cid, group in measures.groupby(measures["customer_id"].astype(str)):
            texts = [str(m) for m in group.get("measure", pd.Series(dtype=object)).tolist()
                     if str(m or "").strip()]
            open_text[cid] = "; ".join(texts)
    rows = []
    wanted = sorted(((aim, ids[i], i) for i in range(len(ids))
                     if contacts_year[i] == contacts_year[i] and contacts_year[i] > 0
                     for _k, aim in visit_slots(ids[i], contacts_year[i], start, end)))
    room = list(range(len(days)))  # days with room left, in order
    for aim, cid, i in wanted:
        if not room:
            break
        at = bisect.bisect_left(room, int(np.searchsorted(offsets, aim)))
        # the nearest day with room: the one at or after the aim, else the one before
        pick = at if at < len(room) else at - 1
        if at > 0 and at < len(room) and aim - offsets[room[at - 1]] < offsets[room[at]] - aim:
            pick = at - 1
        j = room[pick]
        load[j] += 1
        if load[j] >= per_day:
            room.pop(pick)
        last = last_contact[i]
        rows.append({"date": days[j], "weekday": WEEKDAYS[days[j].weekday()], "customer_id": cid,
                     "name": names[i], "code": codes[i], "open_measures": open_text.get(cid, ""),
                     "last_contact": last if isinstance(last, _dt.date) else None})
    frame = pd.DataFrame(rows, columns=list(CALL_COLUMNS))
    return (frame.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True),
            len(wanted) - len(rows))
