"""Measure pipeline: status matching, probabilities, dates, weighted revenue, warnings, totals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xl_cseg.core.numbers import CellError, UncachedFormula, parse_number
from xl_cseg.core.params import ParamIssue
from xl_cseg.core.pipeline import (DEFAULT_PROBABILITIES, MEASURE_KEYS, PHASES, STATUSES,
                                   evaluate_pipeline, measure_header, parse_date, parse_phase,
                                   parse_probability, parse_status,
                                   status_probabilities_from_names)

TODAY = dt.date(2026, 6, 15)
CUSTOMERS = pd.DataFrame({"customer_id": ["1001", "1002", "1003"],
                          "code": ["A-Maintain", "A-Grow", "C-Win"]})


def measures(**columns) -> pd.DataFrame:
    """One-row measure table with sensible defaults, overridden by ``columns`` (lists)."""
    n = len(next(iter(columns.values()))) if columns else 1
    base = {"customer_id": ["1001"] * n, "measure": ["Neue Produktlinie"] * n,
            "status": ["in Erprobung"] * n, "expected_revenue": [10000.0] * n,
            "next_step": ["Termin"] * n, "due_date": [None] * n, "last_activity": [None] * n}
    base.update(columns)
    return pd.DataFrame(base)


def run(frame: pd.DataFrame, customers=CUSTOMERS, probabilities=None, stale_days=60):
    return evaluate_pipeline(frame, customers, probabilities, TODAY, stale_days)


def messages(result, field=None):
    return [i.message for i in result.issues if field is None or i.field == field]


# -- statuses and phases ----------------------------------------------------------------------
def test_statuses_in_order_with_documented_defaults():
    assert [(s.label, s.default) for s in STATUSES] == [
        ("nicht gestartet", 0.10), ("initial vorgestellt", 0.20), ("in Erprobung", 0.40),
        ("Angebot beim Einkauf", 0.70), ("gewonnen", 1.00), ("verloren", 0.00)]
    assert [s.name for s in STATUSES] == [
        "Wkt_nicht_gestartet", "Wkt_initial_vorgestellt", "Wkt_in_Erprobung",
        "Wkt_Angebot_beim_Einkauf", "Wkt_gewonnen", "Wkt_verloren"]
    assert DEFAULT_PROBABILITIES["Angebot beim Einkauf"] == 0.70


@pytest.mark.parametrize("text, label", [
    ("in der Erprobung", "in Erprobung"),
    ("IN ERPROBUNG", "in Erprobung"),
    ("  in   Erprobung ", "in Erprobung"),
    ("Nicht gestartet", "nicht gestartet"),
    ("nicht-gestartet", "nicht gestartet"),
    ("initial vorgestellt", "initial vorgestellt"),
    ("angebot beim einkauf", "Angebot beim Einkauf"),
    ("Gewonnen", "gewonnen"),
    ("verloren ", "verloren"),
])
def test_status_matching_is_forgiving(text, label):
    assert parse_status(text) == (label, None)


def test_unknown_status_suggests_the_closest():
    assert parse_status("Angebot Einkauf") == (
        None, '„Angebot Einkauf“ ist kein bekannter Status – meinten Sie „Angebot beim Einkauf“?')
    assert parse_status("gewonen")[1] == \
        '„gewonen“ ist kein bekannter Status – meinten Sie „gewonnen“?'


def test_unknown_status_without_close_match_lists_the_statuses():
    assert parse_status("xyz")[1] == (
        '„xyz“ ist kein bekannter Status (erlaubt: nicht gestartet, initial vorgestellt, '
        'in Erprobung, Angebot beim Einkauf, gewonnen, verloren)')


def test_status_blank_and_error_cells():
    assert parse_status(None) == (None, None)
    assert parse_status("  ") == (None, None)
    assert parse_status(float("nan")) == (None, None)
    assert parse_status(CellError("#N/A")) == (None, "Fehlerwert #NV statt eines Status")
    assert parse_phase(CellError("#REF!")) == (None, "Fehlerwert #BEZUG! statt einer Phase")


def test_uncached_formula_cells():
    message = parse_number(UncachedFormula("=A1"))[1]
    assert message.startswith("Formel =A1 ohne gespeichertes Ergebnis")
    assert parse_status(UncachedFormula("=A1")) == (None, message)
    assert parse_date(UncachedFormula("=A1")) == (None, message)


@pytest.mark.parametrize("text, phase", [
    ("Vorbereitung", "Vorbereitung"), ("start", "Start"), ("BEDARF", "Bedarf"),
    ("Lösung", "Lösung"), ("Loesung", "Lösung"), ("losung", "Lösung"), ("Abschluss", "Abschluss"),
    ("Nachfreude", "Nachfreude"), ("Einstieg", "Start"), ("Nachsorge", "Nachfreude"),
])
def test_phase_matching(text, phase):
    assert parse_phase(text) == (phase, None)


def test_six_phases_and_unknown_phase_message():
    assert PHASES == ("Vorbereitung", "Start", "Bedarf", "Lösung", "Abschluss", "Nachfreude")
    assert parse_phase("Lösng") == (None, '„Lösng“ ist keine bekannte Phase – meinten Sie „Lösung“?')
    assert parse_phase("Kaffee")[1].startswith('„Kaffee“ ist keine bekannte Phase (erlaubt: ')


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([s.label for s in STATUSES]), st.booleans(), st.integers(0, 3))
def test_status_matching_ignores_case_and_padding(label, upper, pad):
    text = " " * pad + (label.upper() if upper else label.lower()) + " " * pad
    assert parse_status(text) == (label, None)


# -- probabilities ----------------------------------------------------------------------------
@pytest.mark.parametrize("raw, value", [(0.4, 0.4), ("40 %", 0.4), (40, 0.4), ("40", 0.4),
                                        (0, 0.0), (1, 1.0), (100, 1.0), (None, None)])
def test_parse_probability(raw, value):
    got, error = parse_probability(raw)
    assert error is None
    assert got == pytest.approx(value) if value is not None else got is None


@pytest.mark.parametrize("raw, message", [
    (150, "150 % liegt außerhalb 0 bis 100 %"),
    (-0.1, "-10 % liegt außerhalb 0 bis 100 %"),
    ("viel", '„viel“ ist keine Zahl'),
])
def test_parse_probability_rejects(raw, message):
    assert parse_probability(raw) == (None, message)


def test_status_probabilities_from_names():
    probs, issues = status_probabilities_from_names(
        {"wkt_in_erprobung": "50 %", "Wkt_Angebot_beim_Einkauf": 0.8, "Andere": 3})
    assert probs["in Erprobung"] == pytest.approx(0.5)
    assert probs["Angebot beim Einkauf"] == 0.8
    assert probs["nicht gestartet"] == 0.10  # missing: default, silently
    assert issues == []


def test_status_probabilities_from_names_validates():
    probs, issues = status_probabilities_from_names(
        {"Wkt_gewonnen": 150, "Wkt_verloren": "", "Wkt_nicht_gestartet": -0.2})
    assert probs == DEFAULT_PROBABILITIES
    assert issues == [
        ParamIssue("Wkt_nicht_gestartet",
                   "-20 % liegt außerhalb 0 bis 100 %; Standardwert 10 % verwendet"),
        ParamIssue("Wkt_gewonnen", "150 % liegt außerhalb 0 bis 100 %; Standardwert 100 % verwendet"),
        ParamIssue("Wkt_verloren", "leer; Standardwert 0 % verwendet"),
    ]


def test_probability_mapping_is_checked():
    with pytest.raises(ValueError):
        run(measures(), probabilities={"in Erprobung": 1.5})
    with pytest.raises(ValueError):
        run(measures(), probabilities={"unbekannt": 0.5})


# -- dates ------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, date", [
    (45000.0, dt.date(2023, 3, 15)),
    (45000, dt.date(2023, 3, 15)),
    (45000.75, dt.date(2023, 3, 15)),
    (np.float64(46022.0), dt.date(2025, 12, 31)),
    ("31.12.2026", dt.date(2026, 12, 31)),
    (" 1.2.2026 ", dt.date(2026, 2, 1)),
    ("31.12.26", dt.date(2026, 12, 31)),
    ("2026-12-31", dt.date(2026, 12, 31)),
    ("2026-12-31 00:00:00", dt.date(2026, 12, 31)),
    (dt.date(2026, 5, 1), dt.date(2026, 5, 1)),
    (dt.datetime(2026, 5, 1, 14, 30), dt.date(2026, 5, 1)),
    (pd.Timestamp("2026-05-01"), dt.date(2026, 5, 1)),
])
def test_parse_date(raw, date):
    assert parse_date(raw) == (date, None)


@pytest.mark.parametrize("raw", [None, "", "  ", float("nan"), pd.NaT])
def test_parse_date_blank(raw):
    assert parse_date(raw) == (None, None)


@pytest.mark.parametrize("raw, message", [
    ("nächste Woche", '„nächste Woche“ ist kein Datum (erwartet z. B. 31.12.2026)'),
    ("31.02.2026", '„31.02.2026“ ist kein Datum (erwartet z. B. 31.12.2026)'),
    (-5.0, "-5 ist kein gültiges Datum"),
    (1e9, "1.000.000.000 ist kein gültiges Datum"),
    (True, '„WAHR“ ist ein Wahrheitswert, kein Datum'),
    (CellError("#VALUE!"), "Fehlerwert #WERT! statt eines Datums"),
])
def test_parse_date_rejects(raw, message):
    assert parse_date(raw) == (None, message)


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_excel_serials_and_german_text_round_trip(date):
    serial = float((date - dt.date(1899, 12, 30)).days)
    assert parse_date(serial) == (date, None)
    assert parse_date(f"{date.day:02d}.{date.month:02d}.{date.year:04d}") == (date, None)


# -- evaluation -------------------------------------------------------------------------------
def test_probability_weighted_and_code():
    frame = measures(customer_id=[1001.0, "1002", " 1003 "],
                     status=["in der Erprobung", "Angebot beim Einkauf", "gewonnen"],
                     expected_revenue=[10000.0, 50000.0, 8000.0])
    result = run(frame)
    out = result.output
    assert out["probability"].tolist() == [0.4, 0.7, 1.0]
    assert out["weighted"].tolist() == pytest.approx([4000.0, 35000.0, 8000.0])
    assert out["code"].tolist() == ["A-Maintain", "A-Grow", "C-Win"]
    assert result.inputs["status"].tolist() == ["in Erprobung", "Angebot beim Einkauf", "gewonnen"]
    assert result.inputs["customer_id"].tolist() == ["1001", "1002", "1003"]
    assert result.issues == [] and result.ok
    assert result.open.tolist() == [True, True, False]


def test_configured_probabilities():
    result = run(measures(), probabilities={"in der Erprobung": 0.5})
    assert result.output.at[0, "weighted"] == 5000.0


def test_probability_override_column():
    frame = measures(status=["in Erprobung", "gewonnen", "in Erprobung"],
                     probability=["55 %", 0.3, 150])
    result = run(frame)
    assert result.output["probability"].tolist()[:2] == [0.55, 1.0]
    assert result.output.at[2, "probability"] == 0.4  # invalid override: status probability
    assert sorted((i.row, i.severity, i.message) for i in result.issues) == [
        (1, "Hinweis", 'bei Status „gewonnen“ nicht berücksichtigt'),
        (2, "Fehler", "150 % liegt außerhalb 0 bis 100 %"),
    ]


def test_lost_measure_weights_zero():
    result = run(measures(status=["verloren"]))
    assert result.output.at[0, "weighted"] == 0.0


def test_overdue_text():
    frame = measures(status=["in Erprobung", "initial vorgestellt", "gewonnen", "verloren",
                             "in Erprobung", "in Erprobung"],
                     due_date=[dt.date(2026, 6, 3), "14.06.2026", dt.date(2026, 1, 1), 45000.0,
                               dt.date(2026, 6, 15), "01.07.2026"])
    overdue = run(frame).output["overdue"]
    assert overdue.tolist()[:2] == ["überfällig seit 12 Tagen", "überfällig seit 1 Tag"]
    assert overdue.iloc[2:].isna().all()  # closed, due today, due later


def test_overdue_from_excel_serial():
    serial = float((dt.date(2026, 6, 5) - dt.date(1899, 12, 30)).days)
    result = run(measures(due_date=[serial]))
    assert result.inputs.at[0, "due_date"] == dt.date(2026, 6, 5)
    assert result.output.at[0, "overdue"] == "überfällig seit 10 Tagen"


def test_stale_open_measures():
    frame = measures(status=["in Erprobung", "in Erprobung", "gewonnen", "in Erprobung"],
                     last_activity=[dt.date(2026, 4, 1), dt.date(2026, 4, 16), dt.date(2026, 1, 1),
                                    None])
    stale = run(frame, stale_days=60).output["stale"]
    assert stale[0] == "keine Aktivität seit 75 Tagen"
    assert stale.iloc[1:].isna().all()  # exactly 60 days, closed, unknown


def test_last_activity_in_the_future():
    result = run(measures(last_activity=["01.07.2026"]))
    assert [(i.field, i.severity, i.message) for i in result.issues] == [
        ("last_activity", "Hinweis", "01.07.2026 liegt in der Zukunft")]
    assert pd.isna(result.output.at[0, "stale"])


def test_bad_dates():
    result = run(measures(due_date=["bald"], last_activity=[True]))
    assert [(i.field, i.severity, i.message) for i in result.issues] == [
        ("due_date", "Fehler", '„bald“ ist kein Datum (erwartet z. B. 31.12.2026)'),
        ("last_activity", "Fehler", '„WAHR“ ist ein Wahrheitswert, kein Datum')]


def test_unknown_status_in_table():
    result = run(measures(status=["Angebot Einkauf"]))
    assert [(i.row, i.field, i.severity) for i in result.issues] == [(0, "status", "Fehler")]
    assert messages(result) == [
        '„Angebot Einkauf“ ist kein bekannter Status – meinten Sie „Angebot beim Einkauf“?']
    assert np.isnan(result.output.at[0, "weighted"])
    assert "ohne Status" not in result.by_status.index  # a measure with an error counts nowhere
    assert result.by_status.at["Gesamt", "Maßnahmen"] == 0
    assert not result.ok


def test_blank_status_counts_as_not_started():
    result = run(measures(status=[None]))
    assert result.inputs.at[0, "status"] == "nicht gestartet"
    assert result.output.at[0, "weighted"] == 1000.0
    assert messages(result, "status") == ['fehlt, als „nicht gestartet“ gewertet']


def test_unknown_customer_and_missing_customer():
    result = run(measures(customer_id=["4711", None]))
    assert [(i.row, i.field, i.severity, i.message) for i in result.issues] == [
        (0, "customer_id", "Fehler", "4711 steht nicht in der Kundenliste"),
        (1, "customer_id", "Fehler", "fehlt")]
    assert result.output["code"].isna().all()
    assert result.output["weighted"].isna().all()  # a measure with an error counts nowhere
    assert result.by_customer.at["Gesamt", "Maßnahmen"] == 0


def test_without_customer_list_no_customer_check():
    result = run(measures(customer_id=["4711"]), customers=None)
    assert result.issues == []
    assert pd.isna(result.output.at[0, "code"])


@pytest.mark.parametrize("raw, severity, message, value", [
    ("vierzehn", "Fehler", '„vierzehn“ ist keine Zahl', None),
    (-500.0, "Fehler", "negativer Betrag -500 € ist nicht zulässig", None),
    ("-1.500,50 €", "Fehler", "negativer Betrag -1.500,50 € ist nicht zulässig", None),
    ("14.000,50 €", "Hinweis", 'Zahl als Text „14.000,50 €“ übernommen', 14000.5),
    ("20.000", "Hinweis", 'Zahl als Text „20.000“ übernommen', 20000.0),
    (None, "Hinweis", "fehlt: Maßnahme zählt nicht zur Pipeline", None),
    (CellError("#N/A"), "Fehler", "Fehlerwert #NV statt einer Zahl", None),
])
def test_amounts(raw, severity, message, value):
    result = run(measures(expected_revenue=[raw]))
    found = [(i.severity, i.message) for i in result.issues if i.field == "expected_revenue"]
    assert (severity, message) in found
    got = result.inputs.at[0, "expected_revenue"]
    assert got == value if value is not None else np.isnan(got)


def test_measure_and_phase_checks():
    frame = measures(measure=["", "Sensor"], phase=["Bedarfs", "in der Lösung"])
    result = run(frame)
    assert [(i.row, i.field, i.severity, i.message) for i in result.issues] == [
        (0, "measure", "Hinweis", "keine Maßnahme beschrieben"),
        (0, "phase", "Fehler", '„Bedarfs“ ist keine bekannte Phase – meinten Sie „Bedarf“?'),
        (1, "phase", "Fehler",
         '„in der Lösung“ ist keine bekannte Phase – meinten Sie „Lösung“?'),
    ]


def test_phase_column_parsed():
    result = run(measures(phase=["loesung"]))
    assert result.inputs.at[0, "phase"] == "Lösung"


def test_notes_use_german_headers():
    result = run(measures(customer_id=["4711"], expected_revenue=["vierzehn"]))
    assert result.output.at[0, "notes"] == ("Kunden-Nr: 4711 steht nicht in der Kundenliste; "
                                            'Erwarteter Umsatz: „vierzehn“ ist keine Zahl')
    assert measure_header("due_date") == "Fällig am"
    assert set(MEASURE_KEYS) >= {"customer_id", "measure", "status", "expected_revenue",
                                 "next_step", "due_date", "last_activity", "phase", "probability"}


def test_blank_rows_skipped_and_index_kept():
    frame = measures(customer_id=["1001", None, "1002"], measure=["A", None, "B"],
                     status=["gewonnen", None, "verloren"], expected_revenue=[1.0, None, 2.0],
                     next_step=["x", "  ", "y"])
    frame.index = [7, 8, 9]
    result = run(frame)
    assert list(result.output.index) == [7, 9]
    assert result.issues == []


def test_empty_and_minimal_tables():
    result = run(pd.DataFrame(columns=list(MEASURE_KEYS)))
    assert result.output.empty and result.issues == []
    assert result.by_status.at["Gesamt", "Maßnahmen"] == 0
    minimal = run(pd.DataFrame({"customer_id": ["1001"], "status": ["gewonnen"],
                                "expected_revenue": [5.0]}))
    assert minimal.output.at[0, "weighted"] == 5.0


def test_totals():
    frame = measures(customer_id=["1001", "1002", "1002", "1003", "1003"],
                     status=["gewonnen", "Angebot beim Einkauf", "nicht gestartet", "verloren",
                             "in Erprobung"],
                     expected_revenue=[5000.0, 20000.0, 10000.0, 3000.0, 4000.0])
    result = run(frame)
    cols = ["Maßnahmen", "Erwarteter Umsatz", "Gewichteter Umsatz"]
    by_customer = result.by_customer[cols]
    assert list(by_customer.index) == ["1002", "1001", "1003", "Gesamt"]
    assert by_customer.loc["1002"].tolist() == [2, 30000.0, 15000.0]
    assert by_customer.loc["1003"].tolist() == pytest.approx([2, 7000.0, 1600.0])
    assert by_customer.loc["Gesamt"].tolist() == pytest.approx([5, 42000.0, 21600.0])
    by_code = result.by_code
    assert list(by_code.index) == ["A-Win", "A-Grow", "A-Maintain", "B-Win", "B-Grow",
                                   "B-Maintain", "C-Win", "C-Grow", "C-Maintain", "Gesamt"]
    assert by_code.loc["A-Grow", cols].tolist() == [2, 30000.0, 15000.0]
    assert by_code.loc["C-Win", cols].tolist() == pytest.approx([2, 7000.0, 1600.0])
    by_status = result.by_status
    assert list(by_status.index) == [s.label for s in STATUSES] + ["Gesamt"]
    assert by_status.loc["verloren", cols].tolist() == [1, 3000.0, 0.0]
    assert by_status.loc["Angebot beim Einkauf", cols].tolist() == [1, 20000.0, 14000.0]
    assert by_status.loc["initial vorgestellt", cols].tolist() == [0, 0.0, 0.0]
    assert by_status.at["Gesamt", "Gewichteter Umsatz"] == pytest.approx(21600.0)


def test_totals_catch_all_rows():
    result = run(measures(customer_id=["1001"]), customers=None)  # no customer list: no code
    assert result.by_code.at["ohne Segment", "Maßnahmen"] == 1


def test_measures_with_errors_count_in_no_total():
    frame = measures(customer_id=["1001", "4711", "1002", "1003"],
                     status=["in Erprobung", "in Erprobung", "offen", "in Erprobung"],
                     expected_revenue=[10000.0, 20000.0, 30000.0, "viel"])
    result = run(frame)
    assert result.counted.tolist() == [True, False, False, False]
    assert result.output["weighted"].isna().tolist() == [False, True, True, True]
    for table in (result.by_code, result.by_status, result.by_customer):
        assert table.at["Gesamt", "Maßnahmen"] == 1
        assert table.at["Gesamt", "Erwarteter Umsatz"] == 10000.0
    assert "ohne Status" not in result.by_status.index


# -- properties -------------------------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e7), min_size=1, max_size=5), st.floats(0, 1), st.floats(0, 1))
def test_higher_probability_never_lowers_weighted(amounts, p1, p2):
    low, high = sorted((p1, p2))
    frame = measures(expected_revenue=amounts)
    w_low = run(frame, probabilities={"in Erprobung": low}).output["weighted"]
    w_high = run(frame, probabilities={"in Erprobung": high}).output["weighted"]
    assert (w_low <= w_high).all()
    assert (w_low >= 0).all() and (w_high <= pd.Series(amounts)).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([s.label for s in STATUSES]), st.floats(0, 1e6)),
                min_size=1, max_size=8))
def test_totals_add_up(rows):
    frame = measures(status=[r[0] for r in rows], expected_revenue=[r[1] for r in rows])
    result = run(frame)
    weighted = result.output["weighted"].sum()
    for table in (result.by_customer, result.by_code, result.by_status):
        body = table.drop(index="Gesamt")
        assert body["Maßnahmen"].sum() == len(rows) == table.at["Gesamt", "Maßnahmen"]
        assert body["Gewichteter Umsatz"].sum() == pytest.approx(weighted)
    assert result.by_status.at["Gesamt", "Erwarteter Umsatz"] == pytest.approx(
        sum(r[1] for r in rows))
