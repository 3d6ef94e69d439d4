"""German texts for figures: one format and one rounding policy for every message and sheet."""

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xl_cseg.core import german
from xl_cseg.core.numbers import parse_number


@pytest.mark.parametrize("value, text", [
    (14000.0, "14.000 €"), (14000.5, "14.000,50 €"), (0.0, "0 €"), (-5.0, "-5 €"),
    (1234567.891, "1.234.567,89 €"), (2.675, "2,68 €"), (0.125, "0,13 €"), (-0.004, "0 €"),
    (float("nan"), "– €"),
])
def test_amounts_to_the_cent_without_zero_cents(value, text):
    assert german.amount(value) == text


@pytest.mark.parametrize("value, decimals, text", [
    (0.125, 1, "12,5 %"), (0.1, 1, "10 %"), (0.07, 1, "7 %"), (1 / 3, 1, "33,3 %"),
    (0.0001, 2, "0,01 %"), (0.00125, 1, "0,1 %"), (-0.05, 1, "-5 %"), (0.125, 0, "13 %"),
    (0.285, 0, "29 %"), (12.5, 1, "1.250 %"),
])
def test_percentages_one_decimal_rounded_half_away_from_zero(value, decimals, text):
    assert german.percent(value, decimals) == text


def test_numbers_counts_and_dates():
    assert german.number(1234.0) == "1.234"
    assert german.number(3.5, 1) == "3,5" and german.number(3.0, 1) == "3"
    assert german.number(7.25, 1) == "7,3" and german.number(-0.4) == "0"
    assert german.count(1, "Datei", "Dateien") == "1 Datei"
    assert german.count(2000, "Datei", "Dateien") == "2.000 Dateien"
    assert german.count(0, "Kunde", "Kunden") == "0 Kunden"
    assert german.date(dt.date(2026, 6, 30)) == "30.06.2026"


@given(st.floats(-1e12, 1e12, allow_nan=False))
def test_an_amount_reads_back_as_its_rounded_value(value):
    parsed, error = parse_number(german.amount(value))
    assert error is None
    assert parsed == pytest.approx(value, abs=0.005 + 1e-9 * abs(value))


@given(st.lists(st.one_of(st.floats(-20, 20), st.integers(-4000, 4000).map(lambda i: i / 200),
                          st.sampled_from([0.125, 0.285, 0.005, -0.125, 1e20, math.inf])),
                max_size=50), st.integers(0, 2))
def test_many_percentages_at_once_read_as_each_alone(values, decimals):
    array = np.array(values, dtype=float)
    assert german.percents(array, decimals) == [german.percent(v, decimals) for v in values]
