"""The visit plan engine: holidays, customer days, even spread, capacity and priority, route
order, prospects, the call list; properties and a hand-checked case."""

from __future__ import annotations

import datetime as _dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_cseg.core.holidays import easter_sunday, holidays
from xl_cseg.core.params import CODES, Parameters, parameters_from_names
from xl_cseg.core.planning import thin_out_visits
from xl_cseg.core.visits import (NEXT_STEP, PROSPECT, Absence, PlanError, check_period,
                                 visit_plan, visit_slots)

TODAY = _dt.date(2026, 12, 1)
MONDAY = _dt.date(2027, 1, 4)


def _customers(rows) -> pd.DataFrame:
    return pd.DataFrame(rows)


# -- holidays ----------------------------------------------------------------------------------
def test_easter_and_movable_feasts():
    assert easter_sunday(2026) == _dt.date(2026, 4, 5)
    assert easter_sunday(2027) == _dt.date(2027, 3, 28)
    assert easter_sunday(2038) == _dt.date(2038, 4, 25)  # the latest possible Easter
    by = holidays(2026, "BY")
    assert by[_dt.date(2026, 4, 3)] == "Karfreitag"
    assert by[_dt.date(2026, 5, 14)] == "Christi Himmelfahrt"
    assert by[_dt.date(2026, 5, 25)] == "Pfingstmontag"
    assert by[_dt.date(2026, 6, 4)] == "Fronleichnam"
    assert len(by) == 13
    assert len(holidays(2026, "BE")) == 10  # nationwide + Frauentag
    assert len(holidays(2026, "bundesweit")) == 9
    assert holidays(2027, "SN")[_dt.date(2027, 11, 17)] == "Buß- und Bettag"
    assert holidays(2026, "SN")[_dt.date(2026, 11, 18)] == "Buß- und Bettag"
    assert _dt.date(2026, 10, 31) in holidays(2026, "NI")
    assert _dt.date(2026, 10, 31) not in holidays(2026, "NW")
    assert _dt.date(2026, 11, 1) in holidays(2026, "NW")


def test_state_names_and_the_parameter():
    for text in ("Nordrhein-Westfalen", "nrw", "NW", " nw "):
        assert parameters_from_names({"Bundesland": text})[0].bundesland == "NW"
    params, issues = parameters_from_names({"Bundesland": "by", "Reserve_Anteil": "25 %"})
    assert params.bundesland == "BY" and params.reserve_anteil == 0.25 and not issues
    params, issues = parameters_from_names({"Bundesland": "Thüringen"})
    assert params.bundesland == "TH" and not issues
    params, issues = parameters_from_names({"Bundesland": "Atlantis"})
    assert params.bundesland == "bundesweit" and issues and "Bundesland" == issues[0].name


# -- a hand-checked case -----------------------------------------------------------------------
def test_hand_checked_two_weeks_in_bavaria():
    """3 customer days a week, 2 visits a day, no reserve, Bayern: Wednesday 6 January 2027
    (Heilige Drei Könige) is a holiday, so the first week has 4 working days x 3/5 = 2,4
    customer days: Tuesday and Thursday (0,4 carried); the second 3 + 0,4: Tue, Wed, Thu."""
    params = Parameters(kundentage_woche=3.0, besuche_tag=2.0, reserve_anteil=0.0,
                        bundesland="BY")
    customers = _customers([
        {"customer_id": "W", "name": "Wöchentlich", "code": "A-Grow", "visits": 52.0,
         "revenue": 90_000.0, "postcode": "80331", "city": "München"},
        {"customer_id": "N1", "name": "Nachbar 1", "code": "B-Grow", "visits": 26.0,
         "revenue": 20_000.0, "postcode": "80333", "city": "München"},
        {"customer_id": "N2", "name": "Nachbar 2", "code": "B-Grow", "visits": 26.0,
         "revenue": 20_000.0, "postcode": "80335", "city": "München"},
        {"customer_id": "F", "name": "Fern", "code": "B-Grow", "visits": 26.0,
         "revenue": 20_000.0, "postcode": "20095", "city": "Hamburg"},
    ])
    plan = visit_plan(customers, MONDAY, 2, params, today=TODAY)
    assert plan.days["date"].tolist() == [_dt.date(2027, 1, 5), _dt.date(2027, 1, 7),
                                          _dt.date(2027, 1, 12), _dt.date(2027, 1, 13),
                                          _dt.date(2027, 1, 14)]
    assert plan.days["limit"].tolist() == [2] * 5
    apps = plan.appointments
    count = apps.groupby("customer_id").size().to_dict()
    assert count == {"W": 2, "N1": 1, "N2": 1, "F": 1}  # weekly twice, fortnightly once
    weeks = apps[apps["customer_id"] == "W"]["date"].map(lambda d: d.isocalendar()[1])
    assert sorted(weeks) == [1, 2]  # one visit a week
    hamburg = apps[apps["customer_id"] == "F"]["date"].iloc[0]
    assert set(apps[apps["date"] == hamburg]["customer_id"]) == {"F"}  # alone on its day
    for day, group in apps.groupby("date"):  # a day's Munich customers in postcode order
        assert group["postcode"].tolist() == sorted(group["postcode"])
        assert group["time"].iloc[0] == _dt.time(8, 30)
    # the Munich neighbours share a day with another Munich customer
    for cid in ("N1", "N2"):
        day = apps[apps["customer_id"] == cid]["date"].iloc[0]
        assert len(apps[apps["date"] == day]) == 2
    assert plan.unplanned == 0 and not plan.issues
    assert plan.by_code.at["Gesamt", "Besuche geplant"] == 5


def test_reserve_share_and_fractional_days():
    params = Parameters(kundentage_woche=3.5, besuche_tag=3.0, reserve_anteil=0.2)
    plan = visit_plan(_customers([]), MONDAY, 4, params, today=TODAY)
    per_week = plan.days.groupby(plan.days["date"].map(lambda d: d.isocalendar()[1]))
    assert [len(g) for _w, g in per_week] == [3, 4, 3, 4]  # 3,5 a week on average
    for _w, g in per_week:
        assert g["usable"].sum() == int(g["limit"].sum() * 0.8)


# -- capacity and priority ---------------------------------------------------------------------
def test_short_capacity_thins_out_by_the_capacity_checks_rule():
    rows = [{"customer_id": f"A{i}", "name": f"A {i}", "code": "A-Grow", "visits": 12.0,
             "revenue": 200_000.0, "postcode": f"5{i:04d}"} for i in range(10)]
    rows += [{"customer_id": f"C{i}", "name": f"C {i}", "code": "C-Win", "visits": 2.0,
              "revenue": 4_000.0, "postcode": f"5{i:04d}"} for i in range(40)]
    params = Parameters(kundentage_woche=1.0, besuche_tag=2.0, reserve_anteil=0.0)
    plan = visit_plan(_customers(rows), MONDAY, 26, params, today=TODAY)
    by = plan.by_code
    assert by.at["C-Win", "gekürzt"] > 0  # lowest revenue per visit: thinned first
    assert by.at["A-Grow", "Besuche geplant"] >= by.at["A-Grow", "Besuche benötigt"] * 0.5
    assert by.at["A-Grow", "Besuche geplant"] > by.at["C-Win", "Besuche geplant"]
    needed = by.loc[list(CODES), ["Kunden", "Besuche benötigt"]].rename(
        columns={"Besuche benötigt": "Besuche"})
    revenue = {"A-Grow": 200_000.0 * 10 / 12, "C-Win": 4_000.0 * 40 / 2}
    needed["Umsatz je Besuch"] = [revenue.get(c, 0) / v if v else float("nan")
                                  for c, v in zip(needed.index, needed["Besuche"])]
    cuts = thin_out_visits(needed, needed["Besuche"].sum() - plan.days["usable"].sum())
    assert by.at["C-Win", "gekürzt"] == cuts.at["C-Win", "Besuche streichen"]
    assert any("C-Win" in str(i) and "ohne Termin" in str(i) for i in plan.issues)
    total = by.loc["Gesamt"]
    assert total["Besuche geplant"] + total["gekürzt"] + total["ohne Termin"] == \
        total["Besuche benötigt"]  # nothing lost: every visit is planned or listed


def test_prospects_fill_free_slots_near_the_route_and_measures_set_next_steps():
    customers = _customers([
        {"customer_id": "1", "name": "Bestand", "code": "A-Grow", "visits": 12.0,
         "revenue": 80_000.0, "postcode": "50667", "city": "Köln"}])
    prospects = _customers([
        {"customer_id": "P1", "name": "Nah", "postcode": "50668", "city": "Köln",
         "kind": "Interessent"},
        {"customer_id": "P2", "name": "Fern", "postcode": "01067", "city": "Dresden",
         "kind": "Interessent"}])
    measures = _customers([{"customer_id": "1", "measure": "Angebot", "next_step":
                            "Angebot besprechen", "due_date": _dt.date(2027, 1, 29)}])
    plan = visit_plan(customers, MONDAY, 4, Parameters(), today=TODAY, prospects=prospects,
                      measures=measures)
    apps = plan.appointments
    suggested = apps[apps["reason"] == PROSPECT]
    assert suggested["customer_id"].tolist() == ["P1"]  # the far one is not suggested
    visit_day = apps[apps["customer_id"] == "1"]["date"].iloc[0]
    assert suggested["date"].iloc[0] == visit_day
    step = apps[apps["reason"] == NEXT_STEP]
    assert len(step) == 1 and "Angebot besprechen" in step["note"].iloc[0]
    assert step["date"].iloc[0] <= _dt.date(2027, 1, 29)


def test_call_list_spreads_contacts_at_the_daily_limit():
    rows = [{"customer_id": f"C{i}", "name": f"C {i}", "code": "C-Grow", "revenue": 1000.0,
             "last_contact": _dt.date(2026, 11, 2)} for i in range(100)]
    plan = visit_plan(_customers(rows), MONDAY, 4, Parameters(is_kunden_tag=12.0),
                      today=TODAY, measures=_customers([{"customer_id": "C1",
                                                         "measure": "Webshop zeigen",
                                                         "due_date": None}]))
    calls = plan.calls
    assert len(calls) == pytest.approx(100 * 12 * 28 / 365, abs=100)  # ~1 a month each
    assert calls.groupby("date").size().max() <= 12
    assert all(d.weekday() < 5 for d in calls["date"])
    assert calls[calls["customer_id"] == "C1"]["open_measures"].iloc[0] == "Webshop zeigen"
    assert calls["last_contact"].iloc[0] == _dt.date(2026, 11, 2)
    assert plan.appointments.empty  # C-Grow: no field visits
    assert not plan.issues
    many = visit_plan(_customers(rows * 3), MONDAY, 4, Parameters(is_kunden_tag=12.0),
                      today=TODAY)  # ~276 contacts, 20 days x 12
    assert len(many.calls) == 240
    assert any("Inside Sales" in str(i) and "ohne Tag" in str(i) for i in many.issues)


# -- bad input ---------------------------------------------------------------------------------
def test_period_checks():
    with pytest.raises(PlanError, match="Vergangenheit"):
        check_period(_dt.date(2026, 1, 5), 4, TODAY)
    start, end, issues = check_period(_dt.date(2026, 11, 30), 2, TODAY)
    assert start == TODAY and "ab heute" in str(issues[0]) and not issues[0].error
    start, end, issues = check_period(MONDAY, 60, TODAY)
    assert (end - start).days + 1 == 53 * 7 and issues[0].error
    with pytest.raises(PlanError):
        check_period(MONDAY, 0, TODAY)


def test_absences_reversed_overlapping_and_applied():
    absences = [Absence(_dt.date(2027, 1, 5), _dt.date(2027, 1, 7), "Messe", "Abwesenheiten!A2"),
                Absence(_dt.date(2027, 1, 7), _dt.date(2027, 1, 8), "Urlaub", "Abwesenheiten!A3"),
                Absence(_dt.date(2027, 1, 20), _dt.date(2027, 1, 18), "Schulung",
                        "Abwesenheiten!A4")]
    customers = _customers([{"customer_id": "1", "name": "X", "code": "A-Grow",
                             "visits": 52.0, "revenue": 1.0, "postcode": "10115"}])
    plan = visit_plan(customers, MONDAY, 3, Parameters(), today=TODAY, absences=absences)
    texts = [str(i) for i in plan.issues]
    assert any(t.startswith("Abwesenheiten!A4") and "vor ihrem Beginn" in t for t in texts)
    assert any(t.startswith("Abwesenheiten!A3") and "überschneidet" in t for t in texts)
    days = set(plan.days["date"])
    assert not days & {_dt.date(2027, 1, d) for d in (5, 6, 7, 8)}
    assert _dt.date(2027, 1, 19) in days  # the reversed absence does not count


def test_customer_without_postcode_is_planned_and_flagged():
    customers = _customers([{"customer_id": "7", "name": "Ohne", "code": "A-Grow",
                             "visits": 12.0, "revenue": 1.0, "postcode": "",
                             "where": "Kunden!E8"}])
    plan = visit_plan(customers, MONDAY, 8, Parameters(), today=TODAY)
    assert len(plan.appointments) == 2
    assert plan.appointments["note"].str.contains("keine PLZ").all()
    assert any(str(i).startswith("Kunden!E8") for i in plan.issues)


# -- properties --------------------------------------------------------------------------------
FREQUENCIES = (1.0, 2.0, 4.0, 6.0, 12.0, 24.0, 52.0)
STATES = ("bundesweit", "BY", "NW", "SN", "BE", "TH")

customer_rows = st.lists(st.tuples(st.sampled_from(CODES), st.sampled_from(FREQUENCIES),
                                   st.sampled_from(["10115", "10117", "80331", "20095", "",
                                                    "50667", "80333"]),
                                   st.floats(0, 500_000)), max_size=25)


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame([{"customer_id": f"K{i}", "name": f"Kunde {i}", "code": code,
                          "visits": visits, "postcode": plz, "revenue": revenue}
                         for i, (code, visits, plz, revenue) in enumerate(rows)],
                        columns=["customer_id", "name", "code", "visits", "postcode", "revenue"])


absence_lists = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 20)), max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=customer_rows, days=st.sampled_from([1.0, 2.5, 3.5, 5.0]),
       per_day=st.sampled_from([1.0, 2.0, 3.0, 4.5]), reserve=st.sampled_from([0.0, 0.2, 0.5]),
       state=st.sampled_from(STATES), start=st.integers(0, 300), weeks=st.integers(1, 30),
       away=absence_lists)
def test_no_day_over_its_limit_and_only_on_customer_days(rows, days, per_day, reserve, state,
                                                        start, weeks, away):
    params = Parameters(kundentage_woche=days, besuche_tag=per_day, reserve_anteil=reserve,
                        bundesland=state)
    first = TODAY + _dt.timedelta(days=start)
    absences = [Absence(first + _dt.timedelta(days=a), first + _dt.timedelta(days=a + n))
                for a, n in away]
    plan = visit_plan(_frame(rows), first, weeks, params, today=TODAY, absences=absences)
    limits = dict(zip(plan.days["date"], plan.days["limit"]))
    usable = dict(zip(plan.days["date"], plan.days["usable"]))
    away_days = {a.first + _dt.timedelta(days=k) for a in absences
                 for k in range((a.last - a.first).days + 1)}
    for day, group in plan.appointments.groupby("date"):
        assert day in limits  # a customer day
        assert len(group) <= usable[day] <= limits[day]
        assert day.weekday() < 5 and day not in plan.holidays and day not in away_days
    assert all(plan.start <= d <= plan.end for d in plan.days["date"])
    again = visit_plan(_frame(rows), first, weeks, params, today=TODAY, absences=absences)
    pd.testing.assert_frame_equal(plan.appointments, again.appointments)  # same input, same plan
    pd.testing.assert_frame_equal(plan.calls, again.calls)


@settings(max_examples=60, deadline=None)
@given(rows=customer_rows, start=st.integers(0, 400), weeks=st.integers(1, 52),
       state=st.sampled_from(STATES))
def test_each_customer_gets_its_share_of_the_period_within_one(rows, start, weeks, state):
    """With room enough, each customer's visits in the period are its visits a year x days /
    365, within one."""
    params = Parameters(kundentage_woche=5.0, besuche_tag=20.0, reserve_anteil=0.0,
                        bundesland=state)
    first = TODAY + _dt.timedelta(days=start)
    frame = _frame(rows)
    plan = visit_plan(frame, first, weeks, params, today=TODAY)
    count = plan.appointments.groupby("customer_id").size()
    length = (plan.end - plan.start).days + 1
    for cid, visits in zip(frame["customer_id"], frame["visits"]):
        share = visits * length / 365.0
        assert abs(count.get(cid, 0) - share) < 1 + 1e-9, (cid, visits, share)
    assert plan.unplanned == 0


@given(cid=st.text(min_size=1, max_size=8), per_year=st.sampled_from(FREQUENCIES),
       start=st.integers(0, 2000), length=st.integers(1, 400))
def test_slots_are_even_and_numbered_on_a_fixed_calendar(cid, per_year, start, length):
    first = _dt.date(2026, 1, 1) + _dt.timedelta(days=start)
    last = first + _dt.timedelta(days=length - 1)
    slots = visit_slots(cid, per_year, first, last)
    assert abs(len(slots) - per_year * length / 365.0) < 1
    aims = [a for _k, a in slots]
    assert all(0 <= a < length for a in aims)
    assert all(b - a == pytest.approx(365.0 / per_year) for a, b in zip(aims, aims[1:]))
    # a later period numbers the same slots the same
    later = visit_slots(cid, per_year, first + _dt.timedelta(days=1), last)
    assert {k for k, _a in later} <= {k for k, _a in slots}


places = st.tuples(st.sampled_from(["", "10115", "10117", "10200", "80331", "19999", "1011"]),
                   st.one_of(st.just(float("nan")), st.floats(47.0, 55.0)),
                   st.floats(6.0, 15.0))


@given(booked=st.lists(places, min_size=1, max_size=8), other=places)
def test_day_route_distance_is_the_nearest_booked_place(booked, other):
    from xl_cseg.core.visits import DayRoute, place_distance, postcode_key

    def clean(p):
        return (postcode_key(p[0]), p[1], p[2] if p[1] == p[1] else float("nan"))

    route = DayRoute()
    for p in booked:
        route.add(clean(p))
    expected = min(place_distance(clean(other), clean(p)) for p in booked)
    assert route.nearest(clean(other)) == pytest.approx(expected, rel=1e-9, abs=1e-9)
