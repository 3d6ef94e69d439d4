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
    # one basis per matrix: the dropped customer has no newer revenue, only an older one
    assert n.at["B-Maintain", GONE] == 1 and eur.at["B-Maintain", GONE] == 0
    assert result.revenue_before.at["B-Maintain", GONE] == 20_000
    assert n.at[NEW, "C-Win"] == 1 and eur.at[NEW, "C-Win"] == 2_000
    assert result.revenue_before.at[NEW, "C-Win"] == 0
    assert n.at[NO_SEGMENT, "C-Grow"] == 1
    assert n.at[TOTAL, TOTAL] == 6 and n.loc[CODES[0]:NEW, TOTAL].sum() == 6
    assert n.drop(index=TOTAL, columns=TOTAL).to_numpy().sum() == 6
    assert eur.at[TOTAL, TOTAL] == pytest.approx(20_000 + 9_000 + 150_000 + 1_000 + 2_000)
    assert result.revenue_before.at[TOTAL, TOTAL] == pytest.approx(
        5_000 + 8_000 + 90_000 + 20_000)
    moves = result.moves.set_index("customer_id")
    assert sorted(moves.index) == ["1", "3", "4", "5", "6"]
    assert (result.changed, result.new, result.dropped) == (3, 1, 1)  # apart, not all "changed"
    assert moves.at["3", "territory"] == "Süd → Ost"
    assert (moves.at["1", "from_code"], moves.at["1", "to_code"]) == ("C-Win", "B-Grow")
    assert moves.at["1", "revenue_before"] == 5_000 and moves.at["1", "revenue_after"] == 20_000


def test_matrix_without_segmentless_customers_and_with_duplicate_numbers():
    before = BEFORE[BEFORE["code"].notna()]
    after = pd.concat([AFTER[AFTER["code"].notna() & (AFTER["customer_id"] != "5")],
                       snapshot([("1", "Süd", "A-Win", 1.0, 1.0)])])  # same number, 2nd territory
    result = migration(before, after)
    assert NO_SEGMENT not in result.customers.index
    assert result.customers.at["C-Win", "B-Grow"] == 1  # customer 1 in Nord, followed
    assert result.customers.at["C-Win", "A-Win"] == 0
    assert result.customers.at[NEW, "A-Win"] == 1  # and new in Süd: counted per territory


def test_empty_snapshots():
    result = migration(snapshot([]), snapshot([]))
    assert result.customers.to_numpy().sum() == 0 and result.changed == 0


def test_history_roundtrip(tmp_path):
    db = tmp_path / "Gesamt.history.sqlite"
    assert history.default_history(tmp_path / "Gesamt.xlsx") == db
    assert history.store(db, JAN, BEFORE) == 5
    assert history.store(db, JUN, AFTER) == 5
    with pytest.raises(history.SnapshotExists, match="--ersetzen"):
        history.store(db, JUN, AFTER.iloc[:2])  # the same date again: only when asked
    assert len(history.load(db, JUN)) == 5
    assert history.store(db, JUN, AFTER.iloc[:2], replace=True) == 2
    assert history.dates(db) == [JAN, JUN]
    loaded = history.load(db, JAN)
    pd.testing.assert_frame_equal(loaded.drop(columns="name"), BEFORE.astype({"code": object}),
                                  check_dtype=False)
    with pytest.raises(history.HistoryError, match="keinen Stand vom 01.02.2026"):
        history.load(db, dt.date(2026, 2, 1))
    with pytest.raises(history.HistoryError, match="nicht gefunden"):
        history.dates(tmp_path / "fehlt.sqlite")
    (tmp_path / "kaputt.sqlite").write_bytes(b"kein sqlite" * 100)
    with pytest.raises(history.HistoryError, match="keine Verlaufsdatenbank"):
        history.dates(tmp_path / "kaputt.sqlite")


def migration_history(tmp_path, before, after):
    """A history with two snapshots and the migration command as a CLI app."""
    db = tmp_path / "Gesamt.history.sqlite"
    history.store(db, JAN, before)
    if after is not None:
        history.store(db, JUN, after)
    app = typer.Typer()
    app.command("migration")(migration_command)
    app.command("unused")(lambda: None)
    return db, app


def test_migration_command(tmp_path):
    db, app = migration_history(tmp_path, BEFORE, AFTER)
    out = tmp_path / "Migration.xlsx"
    result = CliRunner().invoke(app, ["migration", "--history", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "31.01.2026 → 30.06.2026" in result.output
    assert "3 Kunden mit anderem Segment, 1 neu, 1 weggefallen" in result.output
    assert "B-Grow" in result.output and "weggefallen" in result.output
    ws = openpyxl.load_workbook(out, read_only=True)["Migration"]  # reading our own output
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


NAMED_BEFORE = pd.DataFrame([
    ("1", "Nord", "A-Grow", 60_000.0, 1.0, "Alpha GmbH"),
    ("2", "Nord", "B-Win", 20_000.0, 1.0, "Beta KG"),
    ("3", "Süd", "C-Win", 5_000.0, 1.0, "Gamma AG"),
    ("4", "Süd", "B-Maintain", 30_000.0, 1.0, "Delta OHG"),
    ("5", "Süd", "A-Maintain", 90_000.0, 1.0, "Epsilon SE"),
], columns=list(history.ROW_COLUMNS))
NAMED_AFTER = pd.DataFrame([
    ("1", "Nord", "B-Grow", 30_000.0, 1.0, "Alpha GmbH"),  # A -> B: downgrade
    ("2", "Nord", "C-Win", 9_000.0, 1.0, "Beta KG"),  # B -> C: downgrade
    ("3", "Süd", "B-Grow", 25_000.0, 1.0, "Gamma AG"),  # C -> B: upgrade
    ("5", "Süd", "A-Maintain", 95_000.0, 1.0, "Epsilon SE"),  # same
    ("6", "Süd", "C-Win", 1_000.0, 1.0, "Zeta eG"),  # new
], columns=list(history.ROW_COLUMNS))  # 4: a Maintain customer lost


def test_downgrades_and_counts_per_territory():
    result = migration(NAMED_BEFORE, NAMED_AFTER)
    down = result.downgrades.set_index("customer_id")
    assert sorted(down.index) == ["1", "2", "4"]
    assert down.at["1", "reason"] == "A → B" and down.at["2", "reason"] == "B → C"
    assert down.at["4", "reason"] == "Maintain-Kunde weggefallen"
    assert down.at["1", "name"] == "Alpha GmbH" and down.at["4", "name"] == "Delta OHG"
    per = result.territories
    assert per.at["Nord", "geändert"] == 2 and per.at["Nord", "Herabstufungen"] == 2
    assert (per.at["Süd", "geändert"], per.at["Süd", "neu"], per.at["Süd", "weggefallen"]) == \
        (1, 1, 1)
    assert per.at[TOTAL, "Kunden vorher"] == 5 and per.at[TOTAL, "Kunden nachher"] == 5
    assert [r.customer_id for r in result.top(2).itertuples()] == ["1", "4"]  # 60,000; 30,000


def test_command_lists_names_both_revenues_and_the_sheets(tmp_path):
    db, app = migration_history(tmp_path, NAMED_BEFORE, NAMED_AFTER)
    out = tmp_path / "Migration.xlsx"
    result = CliRunner().invoke(app, ["migration", "--history", str(db), "--out", str(out),
                                      "--top", "3"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "3 Kunden mit anderem Segment, 1 neu, 1 weggefallen; 3 Herabstufungen" in text
    assert "Delta OHG" in text and "Alpha GmbH" in text and "Zeta eG" not in text  # top 3 only
    assert "Umsatz vorher = Umsatz Vorjahr laut älterem Stand" in " ".join(text.split())
    wb = openpyxl.load_workbook(out, read_only=True)  # reading our own output
    changes = [r for r in wb["Änderungen"].iter_rows(values_only=True)]
    assert changes[0] == ("Kunden-Nr", "Kunde", "Gebiet", "Status", "von", "nach",
                          "Umsatz vorher", "Umsatz nachher")
    by_id = {r[0]: r for r in changes[1:]}
    assert len(by_id) == 5 and by_id[1][1:6] == ("Alpha GmbH", "Nord", "geändert", "A-Grow",
                                                 "B-Grow")
    assert by_id[1][6:] == (60_000, 30_000) and by_id[6][3] == "neu" and by_id[6][6] is None
    down = [r for r in wb["Herabstufungen"].iter_rows(values_only=True)]
    assert {r[0] for r in down[1:]} == {1, 2, 4} and down[0][-1] == "Grund"
    overview = [r[0] for r in wb["Migration"].iter_rows(values_only=True) if r and r[0]]
    assert any(str(t).startswith("Umsatzbasis:") for t in overview) and "Je Gebiet" in overview


def test_one_snapshot_message_lists_what_exists(tmp_path):
    db, app = migration_history(tmp_path, NAMED_BEFORE, None)
    result = CliRunner().invoke(app, ["migration", "--history", str(db)])
    assert result.exit_code == 2
    assert "keine zwei Stände (vorhanden: 31.01.2026 (5 Kunden))" in " ".join(result.output.split())


def test_database_of_an_earlier_version_gets_names(tmp_path):
    import sqlite3
    db = tmp_path / "alt.sqlite"
    con = sqlite3.connect(db)
    con.executescript("""
        CREATE TABLE snapshot (date TEXT PRIMARY KEY, created TEXT NOT NULL,
                               customers INTEGER NOT NULL, source TEXT);
        CREATE TABLE snapshot_row (date TEXT NOT NULL, customer_id TEXT NOT NULL,
                                   territory TEXT NOT NULL, code TEXT, revenue REAL,
                                   potential REAL);
        INSERT INTO snapshot VALUES ('2026-01-31', '2026-01-31T10:00:00', 1, '');
        INSERT INTO snapshot_row VALUES ('2026-01-31', '1', 'Nord', 'C-Win', 5.0, 9.0);
    """)
    con.commit()
    con.close()
    old = history.load(db, JAN)
    assert old.loc[0, "customer_id"] == "1" and old.loc[0, "name"] is None
    history.store(db, JUN, NAMED_AFTER)
    moved = migration(old, history.load(db, JUN))
    assert (moved.changed, moved.new) == (1, 4) and moved.moves["name"].iloc[0] == "Alpha GmbH"
