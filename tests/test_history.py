"""Customer history: revenue over several years gives the average growth, the years of decline
in a row and a risk flag; with two years everything stays as it is."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import python_calamine as pc
from hypothesis import given
from hypothesis import strategies as st

from xl_cseg import jobs
from xl_cseg.core.history import history_figures
from xl_cseg.core.segment import segment

TODAY = _dt.date(2026, 5, 1)


def test_average_growth_and_years_of_decline():
    growth, declining = history_figures({
        2021: np.array([10_000.0, 60_000.0, np.nan, 5000.0, 0.0]),
        2022: np.array([12_000.0, 55_000.0, np.nan, 4000.0, 0.0]),
        2023: np.array([14_400.0, 50_000.0, 1000.0, np.nan, 2000.0]),
        2024: np.array([17_280.0, 48_000.0, 900.0, 3000.0, 4000.0]),
        2025: np.array([20_736.0, 45_000.0, 800.0, 2000.0, 8000.0])})
    assert growth[0] == pytest_approx(0.2)  # 20 % a year
    assert growth[1] == pytest_approx((45 / 60) ** 0.25 - 1)
    assert growth[2] == pytest_approx((800 / 1000) ** 0.5 - 1)  # from its first year
    assert growth[4] == pytest_approx(1.0)  # from 2,000 in 2023 to 8,000 in 2025
    assert declining.tolist() == [0, 4, 2, 1, 0]  # a missing year ends the run (customer 4)


def pytest_approx(value):
    import pytest
    return pytest.approx(value, rel=1e-12)


@given(st.lists(st.floats(1, 1e6), min_size=3, max_size=8))
def test_figures_of_one_customer(revenues):
    by_year = {2020 + i: np.array([v]) for i, v in enumerate(revenues)}
    growth, declining = history_figures(by_year)
    expected = (revenues[-1] / revenues[0]) ** (1 / (len(revenues) - 1)) - 1
    assert np.isclose(growth[0], expected, rtol=1e-9)
    n = 0
    for later, earlier in zip(revenues[::-1][:-1], revenues[::-1][1:]):
        if later < earlier:
            n += 1
        else:
            break
    assert declining[0] == n


def _raw() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ["1", "2", "3"], "name": ["A", "B", "C"],
                         "revenue": [45_000.0, 20_000.0, 3000.0],
                         "revenue_prev": [48_000.0, 21_000.0, 3500.0],
                         "revenue_y2023": [50_000.0, 22_000.0, 4000.0],
                         "potential": [90_000.0, 60_000.0, 9000.0], "loyalty": [4.0, 4.0, 4.0]})


def test_two_years_stay_as_today_and_three_add_history():
    raw = _raw()
    plain = segment(raw.drop(columns="revenue_y2023"))
    two = segment(raw.drop(columns="revenue_y2023"), years={2025: "revenue", 2024: "revenue_prev"})
    pd.testing.assert_frame_equal(plain.output, two.output)
    three = segment(raw, years={2025: "revenue", 2024: "revenue_prev", 2023: "revenue_y2023"})
    assert "growth" not in plain.output and "growth" in three.output
    assert three.output["declining"].tolist() == [2, 2, 2]
    # A and B customers falling two years in a row are at risk; C customers are not flagged
    assert three.output["risk"].tolist()[:2] == ["Umsatzrückgang −6 %; rückläufig seit 2 Jahren",
                                                 "rückläufig seit 2 Jahren"]
    assert pd.isna(three.output["risk"].iloc[2])
    for key in ("trend", "abc", "code", "potential_class"):
        assert three.output[key].tolist() == plain.output[key].tolist()


def _book(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunden"
    ws.append(["Kunden-Nr", "Kunde", "Umsatz 2021", "Umsatz 2022", "Umsatz 2023", "Umsatz 2024",
               "Umsatz 2025", "Potenzial"])
    for row in rows:
        ws.append(row)
    ws["C1"].font = openpyxl.styles.Font(bold=True)
    wb.save(path)
    return path


def test_workbook_with_five_years(tmp_path):
    path = _book(tmp_path / "liste.xlsx", [
        [1, "Fallend", 60_000, 55_000, 50_000, 48_000, 45_000, 90_000],
        [2, "Wachsend", 10_000, 12_000, 14_400, 17_280, 20_736, 60_000],
        [3, "Fehler", 1000, "viel", -5, 1000, 1200, 9000]])
    report = jobs.segment_workbook(path, today=TODAY)
    assert 'Kunden!D4: „viel“ ist keine Zahl' in report.errors
    assert "Kunden!E4: negativer Betrag -5 € ist nicht zulässig" in report.errors
    assert any("Umsätze 2021 bis 2025 als Kundenhistorie" in n for n in report.notes)
    grid = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Kunden").to_python()
    head = grid[0]
    assert head[-3:] == ["Ø Wachstum p. a.", "Rückläufig seit (Jahren)", "Prüfhinweis"]
    rows = {r[0]: dict(zip(head, r)) for r in grid[1:]}
    assert rows[1.0]["Rückläufig seit (Jahren)"] == 4
    assert rows[1.0]["Risiko"].endswith("rückläufig seit 4 Jahren")
    assert abs(rows[2.0]["Ø Wachstum p. a."] - 0.2) < 1e-12
    # the bad cells are left out of the history, the rest is computed
    assert abs(rows[3.0]["Ø Wachstum p. a."] - ((1200 / 1000) ** 0.25 - 1)) < 1e-12
    # a rerun reuses the columns
    again = jobs.segment_workbook(path, today=TODAY)
    assert again.customers == 3
    assert pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Kunden").to_python()[0] \
        == head
