"""Gap to target and capacity planning: the handbook's figures, every rule, bad inputs."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_cseg.core.params import (DEFAULT_CHANNELS, ChannelRule, ParamIssue, Parameters,
                                 parameters_from_names)
from xl_cseg.core.pipeline import evaluate_pipeline
from xl_cseg.core.planning import (CANDIDATE_COLUMNS, MIN_VISIT_SHARE, ROW_COLUMNS, capacity,
                                   gap_to_target)
from xl_cseg.core.segment import segment

TODAY = dt.date(2026, 6, 15)

# Last year's revenue sums to the handbook's 500,000 EUR.
CUSTOMERS = pd.DataFrame({
    "customer_id": [1001.0, 1002.0, 1003.0, 1004.0, 1005.0, 1006.0, 1007.0],
    "name": ["Müller GmbH", "Schmidt AG", "Weber KG", "Becker", "Hoffmann", "Schulz", "Koch"],
    "revenue": [250000.0, 120000.0, 80000.0, 30000.0, 12000.0, 8000.0, None],
    "potential": [280000.0, 300000.0, 90000.0, 120000.0, 15000.0, 40000.0, 60000.0],
    "revenue_prev": [240000.0, 110000.0, 100000.0, 30000.0, 12000.0, 8000.0, None],
    "loyalty": [5.0, 4.0, 4.0, 3.0, 3.0, 2.0, None],
})
CODES = ["A-Maintain", "A-Grow", "A-Maintain", "B-Win", "C-Maintain", "C-Win", "C-Win"]

MEASURES = pd.DataFrame({
    "customer_id": ["1002", "1004", "1006", "1007", "1001", "1003"],
    "measure": ["Neue Produktlinie", "Sensor", "Webshop", "Erstbesuch", "Rahmenvertrag", "Service"],
    "status": ["Angebot beim Einkauf", "in der Erprobung", "nicht gestartet", "initial vorgestellt",
               "gewonnen", "verloren"],
    "expected_revenue": [60000.0, 50000.0, 20000.0, 40000.0, 15000.0, 10000.0],
})


@pytest.fixture(scope="module")
def seg():
    result = segment(CUSTOMERS)
    assert result.output["code"].tolist() == CODES
    return result


@pytest.fixture(scope="module")
def pipe(seg):
    customers = pd.concat([seg.inputs[["customer_id"]], seg.output[["code"]]], axis=1)
    return evaluate_pipeline(MEASURES, customers, None, TODAY, 60)


# -- gap to target ----------------------------------------------------------------------------
def test_handbook_500000_to_600000_by_growth(seg):
    gap = gap_to_target(seg.output, seg.inputs, None,
                        Parameters(ziel_wachstum=0.20, verlustquote_risiko=0.0))
    assert gap.revenue == 500000.0
    assert gap.target == pytest.approx(600000.0)
    assert gap.target_from_growth
    assert gap.gap == pytest.approx(100000.0)


def test_handbook_500000_to_600000_absolute(seg):
    gap = gap_to_target(seg.output, seg.inputs, None,
                        Parameters(ziel_umsatz=600000.0, verlustquote_risiko=0.0))
    assert (gap.revenue, gap.target, gap.gap) == (500000.0, 600000.0, 100000.0)
    assert not gap.target_from_growth


def test_gap_figures(seg, pipe):
    gap = gap_to_target(seg.output, seg.inputs, pipe, Parameters(ziel_umsatz=600000.0))
    assert gap.secured == 250000.0  # Müller only: Weber is at risk, Hoffmann's loyalty is 3
    assert gap.risk_revenue == 80000.0  # Weber falls 20 %; Schulz (loyalty 2) is a C customer
    assert gap.at_risk == 20000.0  # 25 % of 80,000
    assert gap.expected_base == 480000.0
    assert gap.gap == 120000.0
    assert gap.won == 15000.0
    assert gap.open_pipeline == 170000.0
    assert gap.weighted_pipeline == pytest.approx(42000 + 20000 + 2000 + 8000 + 15000)
    assert gap.coverage == pytest.approx(87000 / 120000)
    assert gap.required_pipeline == 240000.0
    assert gap.missing_pipeline == 70000.0
    assert not gap.overplanning_ok


def test_overplanning_ok(seg, pipe):
    gap = gap_to_target(seg.output, seg.inputs, pipe,
                        Parameters(ziel_umsatz=550000.0, ueberplanung=2.0))
    assert gap.gap == 70000.0 and gap.required_pipeline == 140000.0
    assert gap.overplanning_ok and gap.missing_pipeline == 0.0


def test_secured_needs_loyalty_threshold(seg):
    gap = gap_to_target(seg.output, seg.inputs, None, Parameters(sicher_verbundenheit=3))
    assert gap.secured == 250000.0 + 12000.0  # Hoffmann (Maintain, loyalty 3) now secured


def test_target_already_covered(seg, pipe):
    gap = gap_to_target(seg.output, seg.inputs, pipe, Parameters(ziel_umsatz=400000.0))
    assert gap.gap == -80000.0
    assert gap.coverage is None
    assert gap.required_pipeline == 0.0 and gap.overplanning_ok
    rows = {r.label: r for r in gap.as_rows()}
    assert rows["Deckungsgrad"].value is None
    assert rows["Deckungsgrad"].explanation == \
        "Keine Lücke: das Ziel ist durch die erwartete Basis gedeckt."


def test_without_pipeline(seg):
    gap = gap_to_target(seg.output, seg.inputs, None, Parameters())
    assert (gap.won, gap.open_pipeline, gap.weighted_pipeline) == (0.0, 0.0, 0.0)
    assert gap.target == pytest.approx(550000.0)  # default growth 10 %
    assert gap.coverage == 0.0
    assert gap.growth_candidates["Offene Maßnahmen"].tolist() == [0, 0, 0]


def test_growth_candidates_and_prospects(seg, pipe):
    gap = gap_to_target(seg.output, seg.inputs, pipe, Parameters())
    growth = gap.growth_candidates
    assert list(growth.columns) == list(CANDIDATE_COLUMNS)
    assert growth["Kunden-Nr"].tolist() == ["1002", "1004", "1006"]  # by open potential
    assert growth["Offenes Potenzial"].tolist() == [180000.0, 90000.0, 32000.0]
    assert growth["Segment"].tolist() == ["A-Grow", "B-Win", "C-Win"]
    assert growth["Gewichtete Pipeline"].tolist() == pytest.approx([42000.0, 20000.0, 2000.0])
    assert growth["Offene Maßnahmen"].tolist() == [1, 1, 1]
    prospects = gap.prospects
    assert prospects["Kunden-Nr"].tolist() == ["1007"]
    assert prospects.iloc[0]["Kunde"] == "Koch"
    assert prospects.iloc[0]["Potenzial"] == 60000.0
    assert prospects.iloc[0]["Gewichtete Pipeline"] == pytest.approx(8000.0)


def test_candidates_are_made_only_when_asked_for(seg, pipe, monkeypatch):
    from xl_cseg.core import planning

    made = []
    candidates = planning._candidates
    monkeypatch.setattr(planning, "_candidates",
                        lambda *args, prospects: made.append(prospects) or candidates(
                            *args, prospects=prospects))
    gap = gap_to_target(seg.output, seg.inputs, pipe, Parameters())
    assert made == []  # a segment run without a Planung sheet never needs them
    assert gap.prospects is gap.prospects and gap.growth_candidates is gap.growth_candidates
    assert made == [True, False]


def test_gap_rows(seg, pipe):
    gap = gap_to_target(seg.output, seg.inputs, pipe, Parameters(ziel_umsatz=600000.0))
    assert ROW_COLUMNS == ("Kennzahl", "Wert", "Einheit", "Erläuterung")
    assert all(len(row) == len(ROW_COLUMNS) for row in gap.as_rows())
    rows = {r.label: r for r in gap.as_rows()}
    assert rows["Umsatz Vorjahr"].value == 500000.0 and rows["Umsatz Vorjahr"].unit == "EUR"
    assert rows["Umsatzziel"].explanation == "Absolutes Umsatzziel (Ziel_Umsatz)."
    assert rows["Lücke zum Ziel"].value == 120000.0
    assert rows["Deckungsgrad"].unit == "%"
    assert rows["Überplanung erreicht"].value == "nein"
    assert rows["Überplanung erreicht"].explanation == (
        "Es fehlen 70.000 € ungewichtete Pipeline: weitere Maßnahmen bei Wachstums- und "
        "Potenzialkunden planen.")
    assert rows["Noch zu planen"].value == 70000.0
    assert rows["Erwarteter Verlust"].explanation == "25 % des Umsatzes gefährdeter Kunden."
    growth = gap_to_target(seg.output, seg.inputs, pipe, Parameters(ziel_wachstum=0.2))
    assert growth.as_rows()[1].explanation == "Vorjahr x (1 + 20 % Wachstum)."


def test_planning_parameters_from_names():
    params, issues = parameters_from_names({"Ziel_Umsatz": "600.000 €", "Ziel_Wachstum": "20 %"})
    assert params.ziel_umsatz == 600000.0 and params.ziel_wachstum == pytest.approx(0.2)
    assert issues == []


# -- capacity ---------------------------------------------------------------------------------
def test_capacity_defaults(seg):
    cap = capacity(seg.output, Parameters(), seg.inputs)
    assert cap.working_days == 220  # the handbook's ~220 working days
    assert cap.absence_days == 30 + 8 + 5 + 12
    assert cap.available_days == 165
    assert cap.customer_days == pytest.approx(115.5)  # 165 x 3.5 / 5
    assert cap.customer_days < 200  # "deutlich weniger als 200 Tage"
    assert cap.field_capacity == pytest.approx(346.5)
    assert cap.visit_demand == 12 + 12 + 12 + 6 + 0 + 2 + 2
    assert cap.utilisation == pytest.approx(46 / 346.5)
    assert cap.free_visits == pytest.approx(300.5)
    assert not cap.over_capacity and cap.thin_out.empty
    assert cap.issues == []


def test_customer_days_three_to_four_a_week():
    for per_week, days in ((3.0, 99.0), (4.0, 132.0)):
        cap = capacity(pd.DataFrame({"code": [], "revenue": []}),
                       Parameters(kundentage_woche=per_week))
        assert cap.customer_days == pytest.approx(days) and days < 200


def test_inside_sales(seg):
    cap = capacity(seg.output, Parameters(), seg.inputs)
    assert cap.is_days == 220 - 30 - 8
    assert Parameters().is_kunden_tag == 12  # 10-15 C-customers a day
    assert cap.is_capacity == 182 * 12
    assert cap.contact_demand == 6 + 12 + 12  # C-Maintain, 2 x C-Win
    assert cap.is_fte == pytest.approx(30 / 2184)
    assert cap.c_fte == pytest.approx(30 / 2184)
    assert cap.cost_per_contact == pytest.approx(65000 / 2184)
    assert cap.cost_per_visit == 350.0
    assert cap.c_customers == 3
    assert cap.c_field_cost == 3 * 4 * 350.0
    assert cap.c_plan_cost == pytest.approx(4 * 350.0 + 30 * 65000 / 2184)
    assert cap.c_saving == pytest.approx(cap.c_field_cost - cap.c_plan_cost)
    assert cap.c_saving > 0


def test_b_maintain_contacts_count_for_fte_not_for_c():
    frame = pd.DataFrame({"code": ["B-Maintain", "C-Grow"], "revenue": [20000.0, 5000.0]})
    cap = capacity(frame, Parameters())
    assert cap.contact_demand == 6 + 12
    assert cap.is_fte == pytest.approx(18 / 2184)
    assert cap.c_fte == pytest.approx(12 / 2184)
    assert cap.by_code.at["B-Maintain", "Inside-Sales-FTE"] == pytest.approx(6 / 2184)


def test_by_code_table(seg):
    cap = capacity(seg.output, Parameters(), seg.inputs)
    table = cap.by_code
    assert table.at["A-Maintain", "Kunden"] == 2
    assert table.at["A-Maintain", "Besuche"] == 24
    assert table.at["A-Maintain", "Umsatz je Besuch"] == pytest.approx(330000 / 24)
    assert table.at["C-Win", "Kontakte"] == 24
    assert table.at["Gesamt", "Besuche"] == 46
    assert table.at["Gesamt", "Kunden"] == 7
    assert math.isnan(table.at["C-Maintain", "Umsatz je Besuch"])  # no visits


def test_over_capacity_thins_lowest_revenue_per_visit_first(seg):
    params = Parameters(besuche_tag=0.25)  # 115.5 x 0.25 = 28.875 visits
    cap = capacity(seg.output, params, seg.inputs)
    assert cap.over_capacity
    assert cap.free_visits == pytest.approx(28.875 - 46)
    thin = cap.thin_out
    # revenue per visit: C-Win 2,000, B-Win 5,000, A-Grow 10,000, A-Maintain 13,750;
    # floors: B keeps a quarter (6 -> cut 4), A half (12 -> cut 6)
    assert list(thin.index) == ["C-Win", "B-Win", "A-Grow", "A-Maintain"]
    assert thin["Besuche streichen"].tolist() == [4.0, 4.0, 6.0, 4.0]  # 17.125 -> 18 visits
    assert thin["Besuche je Kunde danach"].tolist() == pytest.approx([0.0, 2.0, 6.0, 10.0])
    assert cap.by_code.at["Gesamt", "Besuche streichen"] == 18
    rows = {r.label: r for r in cap.as_rows()}
    assert rows["Ausdünnen C-Win"].value == -4.0
    assert rows["Ausdünnen A-Grow"].explanation == \
        "Umsatz je Besuch 10.000 €; danach 6 Besuche je Kunde."
    assert rows["Freie Besuche"].explanation == (
        "Überlastet: 17,1 Besuche pro Jahr zu viel; Segmente mit dem geringsten Umsatz je Besuch "
        "ausdünnen.")


def test_capacity_rows(seg):
    cap = capacity(seg.output, Parameters(), seg.inputs)
    assert all(len(row) == len(ROW_COLUMNS) for row in cap.as_rows())
    rows = {r.label: r for r in cap.as_rows()}
    assert rows["Verfügbare Tage"].value == 165 and rows["Verfügbare Tage"].unit == "Tage"
    assert rows["Kundentage"].explanation == \
        "Verfügbare Tage x 3,5 von 5 Tagen pro Woche beim Kunden."
    assert rows["Freie Besuche"].explanation == "Kapazität reicht: 300,5 Besuche pro Jahr frei."
    assert rows["Inside Sales benötigt"].unit == "FTE"
    assert rows["Kontakte je Inside-Sales-Stelle"].explanation == \
        "Inside-Sales-Tage x 12 Kunden je Tag."
    assert rows["C-Kunden im Außendienst"].explanation == "Je C-Kunde 4 Besuche x 350 € pro Jahr."
    assert not any(label.startswith("Ausdünnen") for label in rows)


def test_absence_beyond_working_days(seg):
    cap = capacity(seg.output, Parameters(urlaub=150, krankheit=80), seg.inputs)
    assert cap.issues == [ParamIssue("Arbeitstage", "Abwesenheiten (247 Tage) übersteigen die "
                                                    "Arbeitstage (220); Standardwerte verwendet")]
    assert cap.available_days == 165  # defaults used


def test_unrelated_parameter_issues_not_repeated(seg):
    cap = capacity(seg.output, Parameters(grenze_win=0.9), seg.inputs)
    assert cap.issues == []


def test_revenue_from_output_column_or_error(seg):
    merged = seg.output.assign(revenue=seg.inputs["revenue"])
    assert capacity(merged, Parameters()).visit_demand == 46
    with pytest.raises(ValueError):
        capacity(seg.output, Parameters())


def test_unsegmented_customers_need_no_visits():
    frame = pd.DataFrame({"code": ["A-Win", None], "revenue": [50000.0, None]})
    cap = capacity(frame, Parameters())
    assert cap.visit_demand == 12 and cap.by_code.at["Gesamt", "Kunden"] == 1


# -- properties -------------------------------------------------------------------------------
CODE_LIST = list(DEFAULT_CHANNELS)


def _frame(codes, revenues):
    return pd.DataFrame({"code": codes, "revenue": revenues})


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40), st.integers(0, 20), st.integers(0, 15), st.integers(0, 20),
       st.sampled_from(["urlaub", "krankheit", "messen", "interne_tage"]), st.integers(1, 60))
def test_more_absence_never_raises_capacity(urlaub, krankheit, messen, intern, which, extra):
    base = Parameters(urlaub=urlaub, krankheit=krankheit, messen=messen, interne_tage=intern)
    more = base.with_values(**{which: getattr(base, which) + extra})
    frame = _frame(["A-Win"], [50000.0])
    a, b = capacity(frame, base), capacity(frame, more)
    assert b.available_days <= a.available_days
    assert b.field_capacity <= a.field_capacity
    assert b.is_capacity <= a.is_capacity


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=8), st.data())
def test_gap_plus_expected_base_is_target(revenues, data):
    n = len(revenues)
    output = pd.DataFrame({
        "potential_class": data.draw(st.lists(st.sampled_from(["Win", "Grow", "Maintain"]),
                                              min_size=n, max_size=n)),
        "risk": data.draw(st.lists(st.sampled_from([None, "geringe Verbundenheit (2)"]),
                                   min_size=n, max_size=n)),
        "code": ["B-Grow"] * n})
    inputs = pd.DataFrame({"customer_id": [str(i) for i in range(n)], "name": "x",
                           "revenue": revenues, "potential": [r * 2 for r in revenues],
                           "loyalty": data.draw(st.lists(st.integers(1, 5), min_size=n,
                                                         max_size=n))})
    params = Parameters(ziel_wachstum=data.draw(st.floats(-0.5, 1.0)),
                        ziel_umsatz=data.draw(st.none() | st.floats(0, 1e7)),
                        verlustquote_risiko=data.draw(st.floats(0, 1)))
    gap = gap_to_target(output, inputs, None, params)
    assert gap.gap + gap.expected_base == pytest.approx(gap.target, abs=1e-6)
    assert 0 <= gap.at_risk <= gap.risk_revenue <= gap.revenue + 1e-6
    assert gap.secured <= gap.revenue + 1e-6


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(CODE_LIST), min_size=1, max_size=30), st.integers(1, 5))
def test_fte_scales_linearly_with_contacts(codes, factor):
    frame = _frame(codes, [1000.0] * len(codes))
    scaled = {c: ChannelRule(r.channel, r.visits, r.contacts * factor)
              for c, r in DEFAULT_CHANNELS.items()}
    base = capacity(frame, Parameters())
    more = capacity(frame, Parameters(kanalmatrix=scaled))
    assert more.is_fte == pytest.approx(base.is_fte * factor)
    assert more.contact_demand == pytest.approx(base.contact_demand * factor)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CODE_LIST), st.floats(0, 1e6)), min_size=1,
                max_size=40), st.floats(0.1, 5.0))
def test_thinning_always_fits_capacity(rows, per_day):
    frame = _frame([r[0] for r in rows], [r[1] for r in rows])
    cap = capacity(frame, Parameters(besuche_tag=per_day))
    cut = cap.thin_out["Besuche streichen"].sum()
    floor = sum(cap.by_code.at[c, "Besuche"] * MIN_VISIT_SHARE[c[0]] for c in CODE_LIST)
    assert cap.visit_demand - cut <= max(cap.field_capacity, floor) + 1 + 1e-9
    assert (cut == 0) == (not cap.over_capacity)
    assert (cap.thin_out["Besuche streichen"] <= cap.thin_out["Besuche"]).all()
    per_visit = cap.thin_out["Umsatz je Besuch"].tolist()
    assert per_visit == sorted(per_visit)
