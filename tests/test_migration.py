"""Segment migration between two snapshots: the matrix, the history database and the command."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from xl_cseg.consolidate import history
from xl_cseg.consolidate.cli import migration_command
from xl_cseg.core.migration import GONE, NEW, NO_SEGMENT, TOTAL, migration
from xl_cseg.core.params import CODES

JAN, JUN = dt.date(2026, 1, 31), dt.date(2026, 6, 30)


def snapshot(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "territory", "code", "revenue", "potential"])


BEFORE = snapshot([
    ("1", "Nord", "C-Win", 5_000.0, 50_000.0),
    ("2", "Nord", "C-Win", 8_000.0, 60_000.0),
    ("3", "Süd", "A-Grow", 90_000.0, 200_000.0),
    ("4", "Süd", "B-Maintain", 20_000.0, 25_000.0),  # dropped later
    ("5", "West", None, None, 10_000.0),  # without a segment (row error)
])
AFTER = snapshot([
    ("1", "Nord", "B-Grow", 20_000.0, 50_000.0),  # C-Win -> B-Grow
    ("2", "Nord", "C-Win", 9_000.0, 60_000.0),  # stays
    ("3", "Ost", "A-Maintain", 150_000.0, 200_000.0),  # A-Grow -> A-Maintain, new territory
    ("5", "West", "C-Grow", 1_000.0, 10_000.0),  # ohne Segment -> C-Grow
    ("6", "West", "C-Win", 2_000.0, 40_000.0),  # new
])


def test_matrix_with_known_moves():
    result = migration(BEFORE, AFTER)
    n, eur = result.customers, result.revenue
    assert list(n.index) == [*CODES, NO_SEGMENT, NEW, TOTAL]
    assert list(n.columns) == [*CODES, NO_SEGMENT, GONE, TOTAL]
    assert n.at["C-Win", "B-Grow"] == 1 and eur.at["C-Win", "B-Grow"] == 20_000
    assert n.at["C-Win", "C-Win"] == 1 and eur.at["C-Win", "C-Win"] == 9_000
    assert n.at["A-Grow", "A-Maintain"] == 1 and eur.at["A-Grow", "A-Maintain"] == 150_000
    assert n.at["B-Maintain", GONE] == 1 and eur.at["B-Maintain", GONE] == 20_000  # old revenue
    assert n.at[NEW, "C-Win"] == 1 and eur.at[NEW, "C-Win"] == 2_000
    assert n.at[NO_SEGMENT, "C-Grow"] == 1
    assert n.at[TOTAL, TOTAL] == 6 and n.loc[CODES[0]:NEW, TOTAL].sum() == 6
    assert n.drop(index=TOTAL, columns=TOTAL).to_numpy().sum() == 6
    assert eur.at[TOTAL, TOTAL] == pytest.approx(20_000 + 9_000 + 150_000 + 20_000 + 1_000 + 2_000)
    moves = result.moves.set_index("customer_id")
    assert sorted(moves.index) == ["1", "3", "4", "5", "6"] and result.changed == 5
    assert moves.at["3", "territory"] == "Ost"
    assert (moves.at["1", "from_code"], moves.at["1", "to_code"]) == ("C-Win", "B-Grow")
    assert moves.at["1", "revenue_before"] == 5_000 and moves.at["1", "revenue_after"] == 20_000


def test_matrix_without_segmentless_customers_and_with_duplicate_numbers():
    before = BEFORE[BEFORE["code"].notna()]
    after = pd.concat([AFTER[AFTER["code"].notna() & (AFTER["customer_id"] != "5")],
                       snapshot([("1", "Süd", "A-Win", 1.0, 1.0)])])  # same number, 2nd territory
    result = migration(before, after)
    assert NO_SEGMENT not in result.customers.index
    assert result.customers.at["C-Win", "B-Grow"] == 1  # the first row of customer 1 counts
    assert result.customers.at["C-Win", "A-Win"] == 0


def test_empty_snapshots():
    result = migration(snapshot([]), snapshot([]))
    assert result.customers.to_numpy().sum() == 0 and result.changed == 0


def test_history_roundtrip(tmp_path):
    db = tmp_path / "Gesamt.history.sqlite"
    assert history.default_history(tmp_path / "Gesamt.xlsx") == db
    assert history.store(db, JAN, BEFORE) == 5
    assert history.store(db, JUN, AFTER) == 5
    assert history.store(db, JUN, AFTER.iloc[:2]) == 2  # the same date again replaces it
    assert history.dates(db) == [JAN, JUN]
    loaded = history.load(db, JAN)
    pd.testing.assert_frame_equal(loaded, BEFORE.astype({"code": object}), check_dtype=False)
    with pytest.raises(history.HistoryError, match="keinen Stand vom 01.02.2026"):
        history.load(db, dt.date(2026, 2, 1))
    with pytest.raises(history.HistoryError, match="nicht gefunden"):
        history.dates(tmp_path / "fehlt.sqlite")
    (tmp_path / "kaputt.sqlite").write_bytes(b"kein sqlite" * 100)
    with pytest.raises(history.HistoryError, match="keine Verlaufsdatenbank"):
        history.dates(tmp_path / "kaputt.sqlite")


def test_migration_command(tmp_path):
    db = tmp_path / "Gesamt.history.sqlite"
    history.store(db, JAN, BEFORE)
    history.store(db, JUN, AFTER)
    app = typer.Typer()
    app.command("migration")(migration_command)
    app.command("unused")(lambda: None)
    out = tmp_path / "Migration.xlsx"
    result = CliRunner().invoke(app, ["migration", "--history", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "31.01.2026 → 30.06.2026" in result.output and "5 Kunden mit anderem" in result.output
    assert "B-Grow" in result.output and "weggefallen" in result.output
    ws = openpyxl.load_workbook(out, read_only=True)["Migration"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r[0] == "von \\ nach")
    matrix = pd.DataFrame(rows[header + 1: header + 13], columns=rows[header])
    matrix = matrix.set_index("von \\ nach")
    assert matrix.at["C-Win", "B-Grow"] == 1 and matrix.at["neu", "C-Win"] == 1
    explicit = CliRunner().invoke(app, ["migration", "--history", str(db), "--from", "2026-06-30",
                                        "--to", "2026-01-31"])
    assert explicit.exit_code == 0 and "30.06.2026 → 31.01.2026" in explicit.output
    missing = CliRunner().invoke(app, ["migration", "--history", str(db), "--from", "2025-12-31",
                                       "--to", "2026-01-31"])
    assert missing.exit_code == 2 and "keinen Stand vom 31.12.2025" in missing.output
