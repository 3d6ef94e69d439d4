"""Parts of consolidate: file collection, the duplicate search, the master's rows, the
worker's handling of odd files."""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
import python_calamine as pc
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from test_consolidate_support import TODAY, customers, demo_copy, xlsx_territory

from tests.lo.harness import probe, requires_lo
from xl_cseg.consolidate import duplicates, master_rows, reader
from xl_cseg.core.identity import BY_BOTH, BY_ID, BY_NAME, name_keys
from xl_cseg.consolidate.parameters import central_parameters
from xl_cseg.consolidate.reader import FileResult, Task, read_territory
from xl_cseg.consolidate.sources import SKIPPED, backup_path, collect
from xl_cseg.consolidate.summary import territory_table
from xl_cseg.core.distribution import NO_SEGMENT, TOTAL
from xl_cseg.core.params import CODES
from xl_cseg.resources import template_workbook


# -- sources ---------------------------------------------------------------------------------
def test_collect_expands_folders_and_reads_every_file_once(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    one = tmp_path / "a" / "Nord.xlsx"
    one.write_bytes(b"PK one")
    (tmp_path / "a" / "b" / "Süd.XLSM").write_bytes(b"PK two")
    (tmp_path / "a" / "b" / "Kopie.xlsx").write_bytes(b"PK one")
    (tmp_path / "a" / "~$Nord.xlsx").write_bytes(b"lock")
    (tmp_path / "a" / "alt.xls").write_bytes(b"old")
    (tmp_path / "a" / "notizen.txt").write_text("x")
    backup_path(one).write_bytes(b"PK backup")
    os.symlink(one, tmp_path / "link.xlsx")
    out = tmp_path / "a" / "Gesamt.xlsx"
    out.write_bytes(b"PK out")
    found = collect([tmp_path / "a", one, tmp_path / "link.xlsx", tmp_path / "fehlt.xlsx"],
                    exclude={out: "Ausgabe"})
    assert [found.display(p) for p in found.files] == ["a/Nord.xlsx", "a/b/Süd.XLSM"]
    skipped = {found.display(s.path): (s.status, s.reason) for s in found.skipped}
    assert skipped["a/b/Kopie.xlsx"][1] == "gleicher Inhalt wie Nord.xlsx (Duplikat)"
    assert skipped["a/~$Nord.xlsx"] == (SKIPPED, "Excel-Sperrdatei")
    assert skipped["a/Gesamt.xlsx"] == (SKIPPED, "Ausgabe")
    assert skipped["a/Nord.bak.xlsx"][0] == SKIPPED
    assert skipped["a/alt.xls"][0] == SKIPPED and ".xls" in skipped["a/alt.xls"][1]
    assert skipped["fehlt.xlsx"] == ("Fehler", "nicht gefunden")
    assert len(skipped) == 6  # the symlink and the second mention of Nord.xlsx are silent
    same = collect([tmp_path / "a"], by_content=False)
    assert len(same.files) == 4  # Gesamt.xlsx and Kopie.xlsx too


# -- duplicates ------------------------------------------------------------------------------
def test_name_keys_ignore_legal_form_case_punctuation_umlauts_and_order():
    keys = name_keys(["Müller GmbH & Co. KG, Köln", "MUELLER KOELN", "Köln: Müller AG",
                      "e.K. Meier", None, 17.0, "GmbH"])
    assert keys[:3] == ["koeln mueller"] * 3
    assert keys[3:] == ["meier", None, None, None]


def find_duplicates(customers: pd.DataFrame) -> pd.DataFrame:
    """The duplicate rows as the consolidation finds them: each customer row with its group's
    reason and key (the rows of the groups that span two territories)."""
    groups = duplicates.find_groups(customers)
    listed = groups.row_group > 0
    table = groups.table.set_index("group")
    found = customers[listed].assign(group=groups.row_group[listed])
    found["reason"] = table["reason"].reindex(found["group"]).to_numpy()
    found["reason"] = found["reason"].replace({BY_BOTH: BY_NAME})
    found["key"] = found["group"]
    return found


def _frame(rows):
    return pd.DataFrame(rows, columns=["territory", "customer_id", "name"]).assign(
        source="x.xlsx", row=range(2, len(rows) + 2), revenue=1.0, code="A-Win",
        name_key=lambda f: name_keys(f["name"]))


def test_duplicates_need_two_territories():
    found = find_duplicates(_frame([
        ("Nord", "1", "Alpha Metallbau GmbH"), ("Nord", "1", "Alpha Metallbau KG"),  # one territory
        ("Nord", "2", "Beta Sanitär Hamburg"), ("Süd", "2", "Gamma Kältetechnik"),
        ("Nord", "3", "Zeta Elektrotechnik Lübeck"), ("West", "4", "Zeta Elektrotechnk Lübeck"),
        ("Nord", "5", "Filiale 3 Omega Bau"), ("Ost", "6", "Filiale 4 Omega Bau"),
    ]))
    assert found.loc[found["reason"] == BY_ID, "customer_id"].tolist() == ["2", "2"]
    by_name = found[found["reason"] == BY_NAME]
    assert sorted(by_name["customer_id"]) == ["3", "4"]  # typo joins, branch numbers do not
    assert by_name["key"].nunique() == 1


def test_no_names_or_numbers_at_all_find_no_duplicates():
    """Regression: without a single name key the search indexed an empty table and failed."""
    frame = _frame([("Nord", None, None), ("Süd", None, "  ")])
    assert find_duplicates(frame).empty


def test_duplicate_search_scales():
    rng = np.random.default_rng(3)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    names = ["".join(rng.choice(letters, 9)) + " Handel GmbH" for _ in range(40_000)]
    frame = _frame([(f"T{i % 50}", str(i), n) for i, n in enumerate(names)])
    typo = names[5][:4] + ("x" if names[5][4] != "x" else "y") + names[5][5:]
    frame.loc[len(frame)] = ["T1", "x", typo, "x.xlsx", 0, 1.0, "A-Win", None]
    frame.loc[len(frame) - 1, "name_key"] = name_keys([frame.loc[len(frame) - 1, "name"]])[0]
    found = find_duplicates(frame)
    assert set(found["customer_id"]) == {"5", "x"}


_WORDS = ("alpha", "alpah", "beta", "metallbau", "metalbau", "koeln", "kiel", "filiale 3",
          "filiale 4", "x" * 45, "y" * 45)


@given(st.lists(st.one_of(st.none(), st.lists(st.sampled_from(_WORDS), min_size=1,
                                              max_size=3).map(" ".join)), min_size=1, max_size=40))
@settings(max_examples=150, deadline=None)
def test_equal_name_keys_in_two_territories_are_always_listed(names: list[str | None]):
    """Every customer whose name key occurs in another territory too is listed; every listed
    group of names spans two territories or more."""
    frame = _frame([(f"T{i % 3}", str(i), n) for i, n in enumerate(names)])
    found = find_duplicates(frame)
    listed = found[found["reason"] == BY_NAME]
    spread = frame.dropna(subset=["name_key"]).groupby("name_key")["territory"].nunique()
    expected = set(frame.loc[frame["name_key"].isin(spread.index[spread >= 2]), "customer_id"])
    assert expected <= set(listed["customer_id"])
    assert (listed.groupby("key")["territory"].nunique() >= 2).all()


# -- bulk writer -----------------------------------------------------------------------------
TRICKY = ["A & B <GmbH>", "  spaces  ", "Zeile1\nZeile2", "ctrl\x01char", "_x000D_ literal",
          '=HYPERLINK("http://x","y")', "x" * 40_000, "", "Ünïcödé €"]


def _bulk_book(tmp_path, frame: pd.DataFrame, ids: tuple[str, ...] = (), blocks: int = 2):
    """A workbook whose first sheet's rows are rendered in ``blocks`` pieces (as by several
    workers), deflated apart and joined."""
    stream = io.BytesIO()
    wb = xlsxwriter.Workbook(stream, {"in_memory": True})
    ws = wb.add_worksheet("Daten")
    pct = wb.add_format({"num_format": "0.0%"})
    for col, name in enumerate(frame.columns):
        ws.write_string(0, col, name)
        ws.set_column(col, col, 12, pct if name == "pct" else None)
    other = wb.add_worksheet("Andere")
    other.write_string(0, 0, "A & B <GmbH>")  # a string both sheets share
    wb.close()
    template = stream.getvalue()
    with zipfile.ZipFile(io.BytesIO(template)) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml")
    columns = [master_rows.MasterColumn(frame[c], numeric_ids=c in ids) for c in frame.columns]
    cuts = np.linspace(0, len(frame), blocks + 1).astype(int)
    rendered = [master_rows.render_rows(
        [master_rows.MasterColumn(c.values.iloc[a:b], c.numeric_ids) for c in columns],
        master_rows.column_styles(xml)) for a, b in zip(cuts, cuts[1:])]
    dst = tmp_path / f"bulk-{blocks}.xlsx"
    part = master_rows.with_deflated_rows(xml, [master_rows.deflate(b) for b in rendered],
                                          len(frame) + 1, "D")
    master_rows.write_streamed(template, dst, {"xl/worksheets/sheet1.xml": part})
    return dst


@given(st.lists(st.text("019,a", max_size=4), min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_customer_numbers_become_numbers_exactly_when_each_one_is(ids: list[str]):
    """The one match over the joined numbers decides as the match of every number would."""
    xml = master_rows.render_rows(
        [master_rows.MasterColumn(pd.Series(ids, dtype=object), numeric_ids=True)], {})
    cells = re.findall(rb"<c/>|<c(?: [^>]*)?>.*?</c>", xml)
    assert len(cells) == len(ids)
    for text, cell in zip(ids, cells):
        if master_rows.numeric_id(text):
            assert cell == b"<c><v>%s</v></c>" % text.encode()
        else:
            assert b"<v>" not in cell


def test_bulk_sheet_values_round_trip(tmp_path):
    n = len(TRICKY)
    frame = pd.DataFrame({
        "text": pd.Series(TRICKY, dtype=object),
        "id": pd.Series(["10001", "0815", "K-17", None, "123456789012345678", "7", "7", "1", "2"],
                        dtype=object),
        "pct": [0.1, math.nan, math.inf, -0.25, 1e-7, 3.0, 2.5, 0.0, 1e16],
        "mixed": pd.Series(["neu", 0.5, None, True, pd.Timestamp("2026-01-02"), 3, "neu", 0.5,
                            float("nan")], dtype=object),
    })
    dst = _bulk_book(tmp_path, frame, ids=("id",))
    wb = openpyxl.load_workbook(dst, read_only=True)
    rows = list(wb["Daten"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == n
    text = [r[0] for r in rows]
    assert text[0] == "A & B <GmbH>" and text[1] == "  spaces  " and text[2] == "Zeile1\nZeile2"
    assert text[3] == "ctrlchar"
    assert text[4] == "_x005F_x000D_ literal"  # openpyxl leaves inline strings' escapes as is
    assert text[5] == '=HYPERLINK("http://x","y")' and len(text[6]) == 32_767
    assert text[7] is None and text[8] == "Ünïcödé €"
    assert [r[1] for r in rows][:5] == [10001, "0815", "K-17", None, "123456789012345678"]
    pct = [r[2] for r in rows]
    assert pct[0] == 0.1 and pct[1] is None and pct[2] is None and pct[8] == 1e16
    assert [r[3] for r in rows][:4] == ["neu", 0.5, None, True]
    assert rows[4][3] == "2026-01-02 00:00:00"
    assert next(wb["Andere"].iter_rows(values_only=True))[0] == "A & B <GmbH>"
    wb.close()
    grid = pc.CalamineWorkbook.from_path(str(dst)).get_sheet_by_name("Daten").to_python()
    assert grid[1][:3] == ["A & B <GmbH>", 10001.0, 0.1] and len(grid) == n + 1
    assert [row[0] for row in grid[1:]] == [text[0], text[1], text[2], "ctrlchar",
                                             "_x000D_ literal", *text[5:7], "", text[8]]
    with zipfile.ZipFile(dst) as zf:
        sheet, sst = zf.read("xl/worksheets/sheet1.xml"), zf.read("xl/sharedStrings.xml")
    assert b"<f>" not in sheet and b'<dimension ref="A1:D10"/>' in sheet
    assert b's="' in sheet  # the percent column keeps its style
    assert sheet.count(b"<row>") == n  # the rows after the header, unnumbered
    assert b't="inlineStr"' in sheet and sheet.count(b't="s"') == 4  # the header only
    assert sst.count(b"<si>") == 5  # as XlsxWriter wrote it: the headers and the other sheet


@requires_lo
def test_bulk_sheet_text_in_libreoffice(tmp_path):
    frame = pd.DataFrame({"text": pd.Series(TRICKY, dtype=object), "n": 1.0})
    dst = _bulk_book(tmp_path, frame)
    [report] = probe([{"path": str(dst), "cells": [f"Daten!A{r}" for r in range(2, 11)],
                       "recalc": False}])
    got = list(report["cells"].values())
    assert got[:6] == ["A & B <GmbH>", "  spaces  ", "Zeile1\nZeile2", "ctrlchar",
                       "_x000D_ literal", '=HYPERLINK("http://x","y")']
    assert len(got[6]) == 32_767 and got[7] is None and got[8] == "Ünïcödé €"


def test_bulk_write_is_atomic(tmp_path):
    frame = pd.DataFrame({"a": ["x"] * 3})
    dst = _bulk_book(tmp_path, frame)
    before = dst.read_bytes()

    class Broken(list):
        def __iter__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        master_rows.write_streamed(before, dst, {
            "xl/worksheets/sheet1.xml": master_rows.DeflatedPart(Broken())})
    assert dst.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [dst.name]


# -- the worker ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def central():
    return central_parameters(None)


def test_worker_notes_an_open_file_and_skips_empty_tables(tmp_path, central):
    path = xlsx_territory(tmp_path / "Nord.xlsx", customers(5, seed=2, first_id=1, territory="N"))
    (tmp_path / "~$Nord.xlsx").write_bytes(b"owner")
    result = read_territory(Task(path, "Nord.xlsx", central, TODAY))
    assert result.status == "ok" and result.rows == 5
    assert any("in Excel geöffnet" in n for n in result.notes)
    empty = tmp_path / "Vorlage.xlsm"
    shutil.copyfile(template_workbook(), empty)
    skipped = read_territory(Task(empty, "Vorlage.xlsm", central, TODAY))
    assert skipped.status == SKIPPED and "keine Kunden" in skipped.message


def test_worker_turns_unexpected_errors_into_a_status(tmp_path, central, monkeypatch):
    path = demo_copy(tmp_path / "Nord.xlsm", "Nord")

    def explode(*_args):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(reader, "find_customer_table", explode)
    result = read_territory(Task(path, "Nord.xlsm", central, TODAY))
    assert isinstance(result, FileResult) and result.status == "Fehler"
    assert "RuntimeError: kaputt" in result.message and result.seconds > 0


@given(st.lists(st.binary(max_size=44).map(lambda b: b.replace(b"\0", b"a")), min_size=2,
                max_size=30), st.integers(1, 3))
@settings(max_examples=200, deadline=None)
def test_common_start_of_fixed_width_keys(texts: list[bytes], step: int):
    """The word-wise comparison of neighbours counts the same equal leading bytes as a
    byte-wise one."""
    fixed = np.array(texts, dtype="S40")
    padded = [t[:40].ljust(40, b"\0") for t in texts]
    expected = [next((k for k in range(40) if padded[i][k] != padded[i + step][k]), 40)
                for i in range(len(texts) - step)]
    assert duplicates._common(duplicates._columns(fixed), step).tolist() == expected


def test_typo_neighbours_join_under_their_smallest_key():
    keys = np.array(["augsburg bauer metallbau", "augsburg baure metallbau", "kiel weber",
                     "augsburg bauer metalbau", "koeln filiale 3", "koeln filiale 4"],
                    dtype=object)
    assert duplicates._similar_keys(keys, duplicates.name_index(keys)) == \
        {0: 3, 1: 3, 3: 3}  # "...metalbau" first


def test_leading_zero_bytes_at_the_exact_float_edges():
    words = [0, 1, 0xFF, 0x100, 0xFFFFFFFF, 0x100000000, 0x00FFFFFFFFFFFFFF,
             0x0100000000000000, 0xFFFFFFFFFFFFFFFF, 0x0000000080000000, 0x000000FFFFFFFFFF]
    found = duplicates._leading_zero_bytes(np.array(words, dtype=np.uint64)).tolist()
    assert found == [(64 - w.bit_length()) // 8 for w in words]


def test_rows_deflated_apart_join_into_the_same_sheet(tmp_path):
    """Segments deflated in the workers (sync-flushed, CRCs combined) give the very sheet one
    segment gives; zipfile checks the CRC when reading."""
    frame = pd.DataFrame({"text": [f"Kunde {i} & Söhne" for i in range(3000)],
                          "n": np.arange(3000) / 7, "id": [str(10_000 + i) for i in range(3000)],
                          "pct": np.linspace(0, 1, 3000)})
    plain, joined = _bulk_book(tmp_path, frame, blocks=1), _bulk_book(tmp_path, frame, blocks=5)
    with zipfile.ZipFile(plain) as a, zipfile.ZipFile(joined) as b:
        assert b.testzip() is None
        assert a.read("xl/worksheets/sheet1.xml") == b.read("xl/worksheets/sheet1.xml")
        assert b.getinfo("xl/worksheets/sheet1.xml").compress_type == zipfile.ZIP_DEFLATED
    values = pc.CalamineWorkbook.from_path(str(joined)).get_sheet_by_name("Daten").to_python()
    assert len(values) == 3001 and values[3000][0] == "Kunde 2999 & Söhne"


def test_worker_keeps_every_message_of_each_kind_and_counts_all(tmp_path, central):
    rows = customers(30, seed=3, first_id=1, territory="N")
    for i, row in enumerate(rows):
        row["revenue"], row["potential"] = 5000.0, 1000.0  # a note for every customer
        if i < 25:
            row["loyalty"] = 9  # an error for 25 of them
    path = xlsx_territory(tmp_path / "Nord.xlsx", rows)
    result = read_territory(Task(path, "Nord.xlsx", central, TODAY))
    assert result.error_count == 25 and result.note_count >= 30
    assert len(result.errors) == 25 and len(result.notes) == result.note_count
    assert all(m.startswith("Kunden!") and ": " in m for m in result.errors + result.notes)
    assert "außerhalb der Skala 1-5" in result.errors[0]


# -- territory table -------------------------------------------------------------------------
SUMMED = ("Umsatz Vorjahr", "Potenzial")


def _grouped_reference(customers: pd.DataFrame) -> pd.DataFrame:
    """The first columns of the territory table by plain pandas grouping (the test's oracle)."""
    by = customers.groupby("territory", sort=True)
    files = customers[["territory", "source"]].drop_duplicates() \
        .groupby("territory", sort=True)["source"].agg(lambda s: ", ".join(sorted(s)))
    table = pd.DataFrame({"Dateien": files, "Kunden": by.size(),
                          "Umsatz Vorjahr": by["revenue"].sum(), "Potenzial": by["potential"].sum()})
    for code in CODES:
        table[code] = (customers["code"] == code).groupby(customers["territory"]).sum()
    table[NO_SEGMENT] = customers["code"].isna().groupby(customers["territory"]).sum()
    return table


@given(st.lists(st.tuples(st.sampled_from(["Nord", "Süd", "West", None]),
                          st.sampled_from(["a.xlsx", "b.xlsx", "c.xlsm"]),
                          st.sampled_from([*CODES, None, "X-Win"]),
                          st.one_of(st.none(), st.floats(0, 1e9)),
                          st.one_of(st.just(float("nan")), st.floats(-1e6, 1e9))),
                min_size=1, max_size=40))
@settings(max_examples=40, deadline=None)
def test_territory_table_counts_and_sums_like_grouping(rows):
    customers = pd.DataFrame(rows, columns=["territory", "source", "code", "revenue",
                                            "potential"]).astype(
        {"territory": object, "source": object, "code": object})
    customers = customers.where(customers.notna(), None).astype(
        {"revenue": float, "potential": float})
    customers["risk"] = None
    table = territory_table(customers, pd.DataFrame(columns=["territory", "weighted"]),
                            central_parameters(None).params)
    expected = _grouped_reference(customers)
    found = table.drop(index=TOTAL)[list(expected.columns)]
    assert found.index.tolist() == expected.index.tolist()
    for column in expected.columns:
        wanted = expected[column].tolist()
        if column in SUMMED:  # ±1 ulp: groups summed apart may round differently
            wanted = pytest.approx(wanted, rel=1e-12, abs=0)
        assert found[column].tolist() == wanted, column


def test_dated_backups_are_recognised_and_subfolders_read_only_when_asked(tmp_path):
    import datetime as dt

    from xl_cseg.consolidate.sources import dated_backup_path, is_backup
    one = tmp_path / "Nord.xlsm"
    one.write_bytes(b"PK one")
    backup = dated_backup_path(one, dt.datetime(2026, 12, 4, 9, 5, 7), attempt=1)
    assert backup.name == "Nord.Sicherung-2026-12-04-090507-2.xlsm" and is_backup(backup)
    assert not is_backup(tmp_path / "Nord Sicherung.xlsm")
    (tmp_path / "Archiv").mkdir()
    (tmp_path / "Archiv" / "Alt.xlsx").write_bytes(b"PK old")
    flat = collect([tmp_path], recursive=False)
    assert [p.name for p in flat.files] == ["Nord.xlsm"]
    assert [s.path.name for s in flat.skipped] == ["Archiv"]
    assert [p.name for p in collect([tmp_path]).files] == ["Alt.xlsx", "Nord.xlsm"]


@given(st.lists(st.tuples(st.sampled_from(["Nord", "Süd", "West"]),
                          st.sampled_from(["a.xlsx", "b.xlsx", "c.xlsm"]),
                          st.floats(0, 1e7), st.sampled_from([None, "Umsatzrückgang"])),
                min_size=1, max_size=30))
@settings(max_examples=30, deadline=None)
def test_territory_risk_target_and_gap_like_grouping(rows):
    customers = pd.DataFrame(rows, columns=["territory", "source", "revenue", "risk"]).astype(
        {"territory": object, "source": object, "risk": object})
    customers["code"], customers["potential"] = "C-Win", 1.0
    params = central_parameters(None).params
    targets = {"a.xlsx": 500_000.0, "b.xlsx": None}  # c.xlsm: not in the mapping
    table = territory_table(customers, pd.DataFrame(columns=["territory", "weighted"]), params,
                            targets).drop(index=TOTAL)
    by_pair = customers.groupby(["territory", "source"])["revenue"].sum()
    by_file = customers.groupby("source")["revenue"].sum()
    for territory, group in customers.groupby("territory"):
        target = 0.0
        for source, revenue in by_pair[territory].items():
            if targets.get(source) is None:
                target += revenue * (1 + params.ziel_wachstum)
            elif by_file[source] > 0:
                target += targets[source] * revenue / by_file[source]
        at_risk = group.loc[group["risk"].notna(), "revenue"].sum()
        gap = target - (group["revenue"].sum() - at_risk * params.verlustquote_risiko)
        row = table.loc[territory]
        assert row["Umsatz gefährdet"] == pytest.approx(at_risk, rel=1e-9, abs=1e-6)
        assert row["Umsatzziel"] == pytest.approx(target, rel=1e-9, abs=1e-6)
        assert row["Lücke zum Ziel"] == pytest.approx(gap, rel=1e-9, abs=1e-3)
