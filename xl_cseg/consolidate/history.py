"""Dated snapshots of the consolidated segments in an embedded SQLite database (next to the
master workbook), the input of the segment migration between two dates."""

from __future__ import annotations

import datetime as _dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

from ..core import german

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshot (
    date TEXT PRIMARY KEY, created TEXT NOT NULL, customers INTEGER NOT NULL, source TEXT);
CREATE TABLE IF NOT EXISTS snapshot_row (
    date TEXT NOT NULL, customer_id TEXT NOT NULL, territory TEXT NOT NULL, code TEXT,
    revenue REAL, potential REAL);
CREATE INDEX IF NOT EXISTS snapshot_row_date ON snapshot_row (date);
"""
ROW_COLUMNS = ("customer_id", "territory", "code", "revenue", "potential", "name")


class HistoryError(Exception):
    """The history database is missing, unreadable or lacks a date (German message)."""


def default_history(master: Path) -> Path:
    """``Gesamt.xlsx`` -> ``Gesamt.history.sqlite`` in the same folder."""
    return master.with_name(f"{master.stem}.history.sqlite")


def _connect(db: Path, create: bool) -> sqlite3.Connection:
    if not create and not db.exists():
        raise HistoryError(f"„{db.name}“ wurde nicht gefunden. Verlaufsdaten entstehen mit "
                           "„xl-cseg consolidate … --snapshot“.")
    try:
        con = sqlite3.connect(db)
        con.executescript(_SCHEMA)
        columns = {row[1] for row in con.execute("PRAGMA table_info(snapshot_row)")}
        if "name" not in columns:  # databases of earlier versions: names were not kept
            con.execute("ALTER TABLE snapshot_row ADD COLUMN name TEXT")
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"„{db.name}“ ist keine Verlaufsdatenbank von xl-cseg ({exc}).") from exc
    return con


class SnapshotExists(HistoryError):
    """A snapshot of that date is stored already; replacing it needs ``--ersetzen``."""


def store(db: Path, date: _dt.date, customers: pd.DataFrame, source: str = "",
          replace: bool = False) -> int:
    """Save the snapshot of ``date``; returns the number of customers stored (rows without a
    customer number are left out). A snapshot of the same date is replaced only with
    ``replace``, else :class:`SnapshotExists` is raised and nothing is stored."""
    rows = customers[customers["customer_id"].notna()]
    present = [c for c in ROW_COLUMNS if c in rows]
    columns = [rows[c].astype(object).where(rows[c].notna(), None).tolist() for c in present]
    day = date.isoformat()
    with closing(_connect(db, create=True)) as con, con:
        if not replace:
            check_free(con, db, date)
        con.execute("DELETE FROM snapshot_row WHERE date = ?", (day,))
        con.execute("DELETE FROM snapshot WHERE date = ?", (day,))
        con.executemany(f"INSERT INTO snapshot_row (date, {', '.join(present)}) VALUES "
                        f"(?{', ?' * len(present)})", zip([day] * len(rows), *columns))
        con.execute("INSERT INTO snapshot VALUES (?, ?, ?, ?)",
                    (day, _dt.datetime.now().isoformat(timespec="seconds"), len(rows), source))
    return len(rows)


def check_free(con_or_db: sqlite3.Connection | Path, db: Path, date: _dt.date) -> None:
    """Raise :class:`SnapshotExists` when ``date`` has a snapshot already."""
    if isinstance(con_or_db, Path):
        if not con_or_db.exists():
            return
        with closing(_connect(con_or_db, create=False)) as con:
            return check_free(con, db, date)
    found = con_or_db.execute("SELECT created, customers FROM snapshot WHERE date = ?",
                              (date.isoformat(),)).fetchone()
    if found:
        created, count = found
        when = created.replace("T", " ")[:16] if created else "?"
        raise SnapshotExists(f"In „{db.name}“ gibt es schon einen Stand vom {german.date(date)} "
                             f"({count} Kunden, gespeichert {when}). Ersetzen mit --ersetzen "
                             "oder ein anderes Datum mit --date angeben.")


def listing(db: Path) -> str:
    """The stored snapshots for messages: "31.01.2026 (412 Kunden), 30.06.2026 (435 Kunden)"."""
    with closing(_connect(db, create=False)) as con:
        found = con.execute("SELECT date, customers FROM snapshot ORDER BY date").fetchall()
    return ", ".join(f"{german.date(_dt.date.fromisoformat(d))} ({n} Kunden)" for d, n in found) \
        or "keiner"


def dates(db: Path) -> list[_dt.date]:
    with closing(_connect(db, create=False)) as con:
        found = con.execute("SELECT date FROM snapshot ORDER BY date").fetchall()
    return [_dt.date.fromisoformat(d) for (d,) in found]


def load(db: Path, date: _dt.date) -> pd.DataFrame:
    """The snapshot of ``date`` (``ROW_COLUMNS``)."""
    with closing(_connect(db, create=False)) as con:
        known = [d for (d,) in con.execute("SELECT date FROM snapshot ORDER BY date")]
        if date.isoformat() not in known:
            shown = ", ".join(german.date(_dt.date.fromisoformat(d)) for d in known)
            raise HistoryError(f"In „{db.name}“ gibt es keinen Stand vom {german.date(date)} "
                               f"(vorhanden: {shown or 'keiner'}).")
        found = con.execute(f"SELECT {', '.join(ROW_COLUMNS)} "
                            "FROM snapshot_row WHERE date = ? ORDER BY rowid",
                            (date.isoformat(),)).fetchall()
    return pd.DataFrame(found, columns=list(ROW_COLUMNS))
