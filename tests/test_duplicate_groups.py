"""Duplicates as groups: one row per customer found in several territories, numbers and names
merged, places told apart, linear in the rows; counting such customers once is an option."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from test_consolidate_support import TODAY, customers, read_master, xlsx_territory

from xl_cseg.consolidate import duplicates
from xl_cseg.consolidate.run import consolidate
from xl_cseg.core.identity import (BY_BOTH, BY_ID, BY_NAME, counted_once, name_keys,
                                   place_keys, similar_names)


def frame(rows, places=None) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["territory", "customer_id", "name"]).assign(
        source=lambda f: f["territory"] + ".xlsx", row=range(2, len(rows) + 2), revenue=1.0,
        code="A-Win", name_key=lambda f: name_keys(f["name"]))
    out["place_key"] = places if places is not None else None
    return out


def test_cities_in_names_are_not_typos():
    duisburg, augsburg = name_keys(["Müller Metallbau GmbH Duisburg",
                                    "Müller Metallbau GmbH Augsburg"])
    assert not similar_names(duisburg, augsburg)
    found = duplicates.find_groups(frame([("Nord", "1", "Müller Metallbau GmbH Duisburg"),
                                          ("Süd", "2", "Müller Metallbau GmbH Augsburg")]))
    assert found.table.empty


def test_postcode_or_city_columns_tell_companies_apart():
    places = place_keys([47051.0, "86150", None, None], [None, None, "Köln", "Köln"])
    assert places == ["47051", "86150", "koeln", "koeln"]
    found = duplicates.find_groups(frame([
        ("Nord", "1", "Schmidt Haustechnik GmbH"), ("Süd", "2", "Schmidt Haustechnik KG"),
        ("West", "3", "Weber Bau GmbH"), ("Ost", "4", "Weber Bau AG"),
    ], places))
    assert found.table["territories"].tolist() == ["Ost, West"]  # Köln = Köln; 47051 ≠ 86150


def test_numbers_and_names_of_one_customer_are_one_group():
    found = duplicates.find_groups(frame([
        ("Nord", "1", "Alpha Metallbau GmbH"), ("Süd", "1", "Alpha Metallbau KG"),
        ("West", "9", "Alpha Metallbau"),  # another number, same name: the same customer
        ("Ost", "5", "Beta Bau"), ("Mitte", "5", "Gamma Handel"),  # number only
        ("Nord", "7", "Zeta Elektrotechnik Lübeck"), ("West", "8", "Zeta Elektrotechnk Lübeck"),
    ]))
    table = found.table.set_index("customer_id")
    assert len(table) == 3 and found.table["group"].tolist() == [1, 2, 3]
    alpha = table.loc["1, 9"]
    assert alpha["reason"] == BY_BOTH and alpha["territories"] == "Nord, Süd, West"
    assert alpha["rows"] == 3 and alpha["similarity"] == 1.0
    assert alpha["sources"] == "Nord.xlsx, Süd.xlsx, West.xlsx"
    assert table.loc["5", "reason"] == BY_ID and np.isnan(table.loc["5", "similarity"])
    zeta = table.loc["7, 8"]
    assert zeta["reason"] == BY_NAME and 0.92 <= zeta["similarity"] < 1
    assert found.row_group.tolist() == [1, 1, 1, 2, 2, 3, 3]


def test_copies_of_one_list_give_one_row_per_customer():
    base = [(f"K{i}", f"Kunde {i} Handel GmbH") for i in range(300)]
    rows = [(f"Gebiet {t:03d}", cid, name) for t in range(50) for cid, name in base]
    found = duplicates.find_groups(frame(rows))
    assert len(found.table) == 300 and (found.table["territory_count"] == 50).all()
    assert (found.table["rows"] == 50).all() and (found.table["reason"] == BY_BOTH).all()
    assert found.table["territories"].str.endswith("… (50)").all()  # listed once, shortened


def test_counted_once_keeps_the_biggest_row_of_each_group():
    keep = counted_once(np.array([0, 1, 1, 2, 2, 0]), np.array([5, 1, 9, 3, 3, 7.0]))
    assert keep.tolist() == [True, False, True, True, False, True]


def test_count_once_option_and_the_overview_says_which(tmp_path):
    rows = customers(20, seed=4, first_id=100, territory="Nord")
    copy = [{**r, "territory": "Süd"} for r in rows[:5]]  # 5 customers in both territories
    xlsx_territory(tmp_path / "Nord.xlsx", rows)
    xlsx_territory(tmp_path / "Süd.xlsx", copy + customers(10, seed=5, first_id=500,
                                                           territory="Süd"))
    each = consolidate([tmp_path], tmp_path / "out" / "je.xlsx", today=TODAY, workers=1)
    once = consolidate([tmp_path], tmp_path / "out" / "einmal.xlsx", today=TODAY, workers=1,
                       once=True)
    lines = {label: value for label, value, _ in each.data.overview}
    lines_once = {label: value for label, value, _ in once.data.overview}
    assert lines["Kunden"] == 35 and lines_once["Kunden"] == 30
    assert lines["Kunden in mehreren Gebieten"] == 5
    assert lines["Zählweise dieser Kunden"].startswith("je Gebiet gezählt")
    assert lines_once["Zählweise dieser Kunden"].startswith("einmal gezählt")
    assert once.data.distribution.by_code.loc["Gesamt", "Kunden"] == 30
    sheet = openpyxl.load_workbook(tmp_path / "out" / "einmal.xlsx", read_only=True)["Übersicht"]
    texts = [v for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any(t.startswith("einmal gezählt") for t in texts)
    dups = read_master(tmp_path / "out" / "je.xlsx")["Duplikate"]
    assert len(dups) == 5 and (dups["Gebiete"] == "Nord, Süd").all()
