"""The segmentation rules: the seeds' figures and properties that must hold for any input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_cseg.core import rules
from xl_cseg.core.distribution import NO_SEGMENT, TOTAL, distribution
from xl_cseg.core.params import (ABC_CLASSES, CODES, POTENTIAL_CLASSES, Parameters,
                                  parameters_from_names, revenue_threshold)
from xl_cseg.core.segment import ERROR, NOTE, segment

money = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)


def test_seed_threshold_14000():
    assert revenue_threshold(4, 350, 0.10) == 14_000
    assert Parameters().c_threshold == 14_000


def test_seed_a_threshold_42000():
    assert revenue_threshold(12, 350, 0.10) == 42_000
    assert Parameters().a_threshold == 42_000


def test_cost_per_visit_derived_from_yearly_cost():
    params = Parameters(ad_kosten_jahr=140_000, ad_besuche_jahr=400)
    assert params.cost_per_visit == 350
    assert params.c_threshold == 14_000


@given(visits=st.floats(0.5, 50), cost=st.floats(1, 5000), share=st.floats(0.01, 1),
       factor=st.floats(0.1, 10))
def test_threshold_scales_linearly_with_cost(visits, cost, share, factor):
    base = visits * cost / share
    scaled = revenue_threshold(visits, cost * factor, share)
    assert scaled == pytest.approx(base * factor, rel=1e-9, abs=0.01)


def test_abc_absolute_boundaries_inclusive():
    rev = np.array([13_999.99, 14_000, 41_999, 42_000, 0, np.nan])
    out = rules.abc_absolute(rev, 42_000, 14_000)
    assert out.tolist()[:5] == ["C", "B", "B", "A", "C"]
    assert pd.isna(out[5])


@settings(max_examples=60)
@given(revs=st.lists(money, min_size=1, max_size=40), pick=st.integers(0, 39),
       extra=st.floats(0, 1e7), method=st.sampled_from(["absolut", "pareto"]))
def test_more_revenue_never_lowers_the_class(revs, pick, extra, method):
    params = Parameters(abc_methode=method)
    i = pick % len(revs)
    before = rules.abc_class(np.array(revs), params)[i]
    more = list(revs)
    more[i] += extra
    after = rules.abc_class(np.array(more), params)[i]
    assert "ABC".index(after) <= "ABC".index(before)


@settings(max_examples=60)
@given(revs=st.lists(money, min_size=1, max_size=40))
def test_pareto_equal_revenue_equal_class_and_a_share(revs):
    out = rules.abc_pareto(np.array(revs), 0.8, 0.15)
    by_value = {}
    for value, cls in zip(revs, out):
        assert by_value.setdefault(value, cls) == cls
    total = sum(revs)
    if total > 0:
        a_share = sum(v for v, c in zip(revs, out) if c == "A") / total
        # the customer that crosses 80 % is still A, so A covers at least 80 % of revenue
        assert a_share >= 0.8 - 1e-9


def test_pareto_80_15_5():
    revs = np.array([800.0, 100.0, 50.0, 30.0, 20.0])
    assert rules.abc_pareto(revs, 0.8, 0.15).tolist() == ["A", "B", "B", "C", "C"]


def test_potential_class_boundaries():
    params = Parameters(min_offenes_potenzial=0)
    rev = np.array([29.0, 30.0, 69.0, 70.0, 120.0, 0.0, 5.0])
    pot = np.array([100.0, 100.0, 100.0, 100.0, 100.0, 100.0, np.nan])
    out = rules.potential_class(rev, pot, params).tolist()
    assert out[:6] == ["Win", "Grow", "Grow", "Maintain", "Maintain", "Win"]
    assert pd.isna(out[6])


def test_small_open_potential_is_maintain():
    params = Parameters(min_offenes_potenzial=3500)
    out = rules.potential_class(np.array([1000.0]), np.array([4000.0]), params)
    assert out.tolist() == ["Maintain"]


@settings(max_examples=80)
@given(rev=money, pot=st.floats(1, 1e9), extra=st.floats(0, 1e8))
def test_more_revenue_never_raises_open_potential_class(rev, pot, extra):
    """With the potential fixed, more revenue moves Win -> Grow -> Maintain, never back."""
    params = Parameters()
    order = ["Win", "Grow", "Maintain"]
    a = rules.potential_class(np.array([rev]), np.array([pot]), params)[0]
    b = rules.potential_class(np.array([rev + extra]), np.array([pot]), params)[0]
    assert order.index(b) >= order.index(a)


@settings(max_examples=50)
@given(st.lists(st.tuples(money, st.floats(0, 1e9), st.one_of(st.none(), st.integers(1, 5))),
                min_size=1, max_size=30))
def test_segment_codes_are_always_one_of_nine(rows):
    raw = pd.DataFrame({"customer_id": [float(i) for i in range(len(rows))],
                        "name": [f"K{i}" for i in range(len(rows))],
                        "revenue": [r[0] for r in rows], "potential": [r[1] for r in rows],
                        "loyalty": [r[2] for r in rows]})
    result = segment(raw)
    codes = result.output["code"].dropna()
    assert set(codes) <= set(CODES)
    # a code exists exactly where potential is positive
    assert (result.output["code"].notna() == (result.inputs["potential"] > 0)).all()


def test_risk_only_for_a_and_b():
    raw = pd.DataFrame({"customer_id": [1.0, 2.0, 3.0], "name": ["a", "b", "c"],
                        "revenue": [50_000.0, 20_000.0, 5_000.0],
                        "revenue_prev": [60_000.0, 20_000.0, 9_000.0],
                        "potential": [100_000.0, 40_000.0, 20_000.0],
                        "loyalty": [4.0, 2.0, 1.0]})
    out = segment(raw).output
    assert out.at[0, "risk"] == "Umsatzrückgang −17 %"
    assert out.at[1, "risk"] == "geringe Verbundenheit (2)"
    assert pd.isna(out.at[2, "risk"])  # C customer: no risk flag


def test_prospect_and_new_customer():
    raw = pd.DataFrame({"customer_id": [1.0, 2.0], "name": ["a", "b"], "revenue": [None, 8000.0],
                        "revenue_prev": [0.0, 0.0], "potential": [30_000.0, 20_000.0]})
    result = segment(raw)
    out = result.output
    assert out.at[0, "abc"] == "C" and out.at[0, "code"] == "C-Win"
    assert out.at[0, "trend"] == "Potenzialkunde"
    assert out.at[1, "trend"] == "neu"
    assert result.ok


def test_channel_and_visits_from_matrix():
    raw = pd.DataFrame({"customer_id": [1.0], "name": ["a"], "revenue": [60_000.0],
                        "potential": [70_000.0]})
    out = segment(raw).output
    assert out.at[0, "code"] == "A-Maintain"
    assert out.at[0, "channel"] == "Außendienst" and out.at[0, "visits"] == 12


def test_bad_values_flagged_never_guessed():
    raw = pd.DataFrame({"customer_id": [1.0, 2.0, 3.0, 4.0, 4.0],
                        "name": ["a", "b", "c", "d", "e"],
                        "revenue": ["vierzehn", "14.000,50 €", -5.0, 100.0, 200.0],
                        "potential": [100.0, 20_000.0, 1000.0, None, 0.0],
                        "loyalty": [3.0, 7.0, None, None, None]})
    result = segment(raw)
    by = {(i.row, i.field, i.severity): i.message for i in result.issues}
    assert by[(0, "revenue", ERROR)] == '„vierzehn“ ist keine Zahl'
    assert by[(1, "revenue", NOTE)].startswith("Zahl als Text")
    assert result.inputs.at[1, "revenue"] == 14000.5
    assert by[(1, "loyalty", ERROR)] == "7 liegt außerhalb der Skala 1-5"
    assert "negativer Betrag" in by[(2, "revenue", ERROR)]
    assert by[(3, "potential", ERROR)] == "fehlt (wird nicht geschätzt)"
    assert "bitte Potenzial schätzen" in by[(4, "potential", ERROR)]
    assert by[(3, "customer_id", ERROR)] == "4 kommt 2-mal vor: Zeilen 3, 4"
    assert result.output["code"].isna().tolist() == [True, False, True, True, True]
    assert {i.row for i in result.issues if i.severity == ERROR} == {0, 1, 2, 3, 4}
    assert not result.ok


def test_revenue_above_potential_is_flagged_and_maintain():
    raw = pd.DataFrame({"customer_id": [1.0], "name": ["a"], "revenue": [30_000.0],
                        "potential": [20_000.0]})
    result = segment(raw)
    assert result.output.at[0, "potential_class"] == "Maintain"
    assert result.ok
    assert "Potenzial unterschätzt" in result.output.at[0, "notes"]


def test_blank_rows_are_skipped():
    raw = pd.DataFrame({"customer_id": [1.0, None], "name": ["a", "  "], "revenue": [1.0, None],
                        "potential": [5.0, None]})
    result = segment(raw)
    assert list(result.output.index) == [0]


def test_distribution_totals():
    raw = pd.DataFrame({"customer_id": [1.0, 2.0, 3.0], "name": ["a", "b", "c"],
                        "revenue": [50_000.0, 20_000.0, 5_000.0],
                        "potential": [60_000.0, 100_000.0, 40_000.0]})
    result = segment(raw)
    dist = distribution(result.output, result.inputs)
    assert dist.by_abc.loc["Gesamt", "Kunden"] == 3
    assert dist.by_abc.loc["Gesamt", "Umsatz"] == 75_000
    assert dist.by_abc.loc["A", "Anteil Umsatz"] == pytest.approx(50 / 75)
    assert dist.by_code.loc["A-Maintain", "Kunden"] == 1
    assert dist.matrix_customers.loc["C", "Win"] == 1
    assert dist.matrix_customers.to_numpy().sum() == 3


def _grouped_table(keys, revenue, potential, order):
    """A distribution table by plain pandas grouping (the test's oracle)."""
    open_pot = (potential - revenue).clip(lower=0)
    frame = pd.DataFrame({"key": keys.fillna(NO_SEGMENT), "Kunden": 1, "Umsatz": revenue.fillna(0),
                          "Potenzial": potential.fillna(0), "Offenes Potenzial": open_pot.fillna(0)})
    grouped = frame.groupby("key", sort=False)[["Kunden", "Umsatz", "Potenzial",
                                                 "Offenes Potenzial"]].sum()
    rows = list(order) + ([NO_SEGMENT] if NO_SEGMENT in grouped.index else [])
    table = grouped.reindex(rows, fill_value=0)
    table.loc[TOTAL] = table.sum()
    return table


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", None, "X", NO_SEGMENT]),
                          st.sampled_from(["Win", "Grow", "Maintain", None, "Y"]),
                          st.sampled_from([*CODES, None, "Z"]),
                          st.one_of(st.just(float("nan")), st.floats(0, 1e9)),
                          st.one_of(st.just(float("nan")), st.floats(0, 1e9))),
                min_size=1, max_size=30))
@settings(max_examples=60, deadline=None)
def test_distribution_counts_and_sums_like_grouping(rows):
    frame = pd.DataFrame(rows, columns=["abc", "potential_class", "code", "revenue", "potential"])
    frame = frame.astype({"abc": object, "potential_class": object, "code": object})
    dist = distribution(frame, frame)
    for table, key, order in ((dist.by_abc, "abc", ABC_CLASSES), (dist.by_code, "code", CODES)):
        expected = _grouped_table(frame[key], frame["revenue"], frame["potential"], order)
        assert table.index.tolist() == expected.index.tolist()
        for column in expected.columns:  # sums: summed in another order of groups, ±1 ulp
            assert table[column].tolist() == pytest.approx(expected[column].tolist(),
                                                           rel=1e-12, abs=0), (key, column)
    usable = frame[frame["code"].notna() & frame["abc"].isin(ABC_CLASSES) &
                   frame["potential_class"].isin(POTENTIAL_CLASSES)]
    for a in ABC_CLASSES:
        for c in POTENTIAL_CLASSES:
            cell = usable[(usable["abc"] == a) & (usable["potential_class"] == c)]
            assert dist.matrix_customers.loc[a, c] == len(cell)
            assert dist.matrix_revenue.loc[a, c] == pytest.approx(
                cell["revenue"].fillna(0).sum(), rel=1e-12, abs=0)


def test_parameters_from_names_validates():
    params, issues = parameters_from_names({"Kosten_je_Besuch": "vierhundert",
                                            "Max_Vertriebskostenanteil": 10,
                                            "Grenze_Win": 0.8, "Grenze_Maintain": 0.7,
                                            "abc_methode": "Pareto", "Besuche_C_Win": 3})
    assert params.kosten_je_besuch == 350
    assert params.max_kostenanteil == pytest.approx(0.10)
    assert params.abc_methode == "pareto"
    assert (params.grenze_win, params.grenze_maintain) == (0.3, 0.7)
    assert params.kanalmatrix["C-Win"].visits == 3
    names = [i.name for i in issues]
    assert "Kosten_je_Besuch" in names and "Grenze_Win" in names


def test_100k_rows_vectorized_fast_enough():
    """Not a timing assertion (machines are noisy): a smoke check that 100k rows run at all."""
    n = 100_000
    rng = np.random.default_rng(0)
    pot = rng.gamma(2, 30_000, n)
    raw = pd.DataFrame({"customer_id": np.arange(n, dtype=float), "name": ["x"] * n,
                        "revenue": pot * rng.uniform(0, 1, n), "potential": pot})
    assert len(segment(raw).output) == n


def test_text_columns_stay_object_and_blank_names_are_noted():
    """pandas 3 would infer its str dtype for text arrays; the outputs keep object columns
    (NaN where blank), and whitespace-only names count as missing."""
    raw = pd.DataFrame({"customer_id": [1.0, 2.0, 3.0, 4.0],
                        "name": ["Müller GmbH", " \t", None, " Meyer KG"],
                        "revenue": [50_000.0, 0.0, 1000.0, 20_000.0],
                        "potential": [60_000.0, 5000.0, 0.0, 100_000.0]})
    result = segment(raw)
    for key in ("trend", "abc", "potential_class", "code", "channel", "risk", "notes"):
        assert result.output[key].dtype == object, key
    assert result.inputs["customer_id"].tolist() == ["1", "2", "3", "4"]
    assert result.output["code"].tolist()[:2] == ["A-Maintain", "C-Win"]
    assert pd.isna(result.output.at[2, "code"])
    noted = {i.row for i in result.issues if i.field == "name"}
    assert noted == {1, 2}


def test_percentages_above_100_are_refused_not_read_as_points():
    from xl_cseg.core.params import parameters_from_names
    from xl_cseg.core.pipeline import parse_probability
    params, issues = parameters_from_names({"Max_Vertriebskostenanteil": 1.5})  # 150 % cell
    assert params.max_kostenanteil == 0.10 and "Max_Vertriebskostenanteil" in issues[0].name
    assert parameters_from_names({"Max_Vertriebskostenanteil": 12})[0].max_kostenanteil == 0.12
    assert parse_probability(1.4)[0] is None and "außerhalb" in parse_probability(1.4)[1]
    assert parse_probability(40)[0] == 0.4 and parse_probability(140)[0] is None
