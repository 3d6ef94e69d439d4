"""The master workbook's tables: figures per territory, the import log and the overview."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ..core import german
from ..core.dimensions import MAX_DIMENSIONS, NO_VALUE, crossed, dimension_key
from ..core.distribution import NO_SEGMENT, TOTAL, class_rows
from ..core.params import CODES, Parameters
from ..core.planning import GROUP_CAPACITY_COLUMNS, capacity_by_group, territory_gaps
from ..core.territory import older_than
from .reader import OK, FileResult
from .sources import FAILED, SKIPPED, Sources

TERRITORY_COLUMNS = ("Dateien", "Kunden", "Umsatz Vorjahr", "Potenzial", "Umsatz gefährdet",
                     "Umsatzziel", "Lücke zum Ziel", *CODES, NO_SEGMENT,
                     "Gewichtete Pipeline", "Besuchsbedarf", "Besuchskapazität", "Auslastung",
                     "Kontaktbedarf", "Inside-Sales-FTE")  # capacity: core.planning
LOG_COLUMNS = ("Datei", "Status", "Meldung", "Gebiete", "Gebiet aus", "Kunden", "Maßnahmen",
               "Fehler", "Hinweise", "Abweichende Parameter", "Zuletzt gespeichert", "Veraltet",
               "Sekunden")
OLD_DAYS = 30  # a territory file not saved for longer is flagged in the import log


def territory_table(customers: pd.DataFrame, measures: pd.DataFrame, params: Parameters,
                    targets: Mapping[str, float | None] | None = None) -> pd.DataFrame:
    """One row per territory (sorted) and a total row. Visits and contacts follow the channel
    matrix of the central parameters; the capacity is one field rep's per territory. Targets:
    each file's absolute revenue target (by source; None: growth over last year), see
    :func:`core.planning.territory_gaps`."""
    # territories, sources and codes as integer codes, each hashed once (400k rows: a fifth of
    # the time that grouping by the text columns takes)
    territory, names = pd.factorize(customers["territory"].to_numpy(dtype=object), sort=True)
    known = territory >= 0
    territory = territory[known]
    count = len(names)
    source, sources = pd.factorize(customers["source"].to_numpy(dtype=object)[known])
    width = max(len(sources), 1)
    files: list[list[str]] = [[] for _ in range(count)]
    for pair in np.unique(territory.astype(np.int64) * width + source).tolist():
        files[pair // width].append(sources[pair % width])

    def summed(key: str) -> np.ndarray:  # pandas' (compensated) sums, as a group-by gives them
        values = customers[key].to_numpy(dtype=float)[known]
        return pd.Series(values).groupby(territory).sum().reindex(range(count), fill_value=0.0)\
            .to_numpy()

    index = pd.Index(names, dtype=object, name="territory")
    table = pd.DataFrame({
        "Dateien": pd.Series([", ".join(sorted(f)) for f in files], index=index, dtype=object),
        "Kunden": np.bincount(territory, minlength=count),
        "Umsatz Vorjahr": summed("revenue"),
        "Potenzial": summed("potential"),
    }, index=index)
    file_targets = np.array([np.nan if (targets or {}).get(s) is None else float(targets[s])
                             for s in sources], dtype=float)
    revenue = np.nan_to_num(customers["revenue"].to_numpy(dtype=float)[known])
    risky = customers["risk"].notna().to_numpy()[known]
    gaps = territory_gaps(territory, source, revenue, risky, file_targets, count, params)
    for col in gaps.columns:
        table[col] = gaps[col].to_numpy()
    # customers per territory and code: (territory, code) pairs as integers, counted at once
    col = class_rows(customers["code"][known], CODES)  # len(CODES): blank, -1: unknown
    valid = (col >= 0) & (col < len(CODES))
    counts = pd.DataFrame(
        np.bincount(territory[valid] * len(CODES) + col[valid], minlength=count * len(CODES))
        .reshape(count, len(CODES)), index=index, columns=list(CODES))
    table[list(CODES)] = counts
    table[NO_SEGMENT] = np.bincount(territory[col == len(CODES)], minlength=count)
    table["Gewichtete Pipeline"] = measures.groupby("territory")["weighted"].sum() \
        if len(measures) else 0.0
    extra = measures["territory"][~measures["territory"].isin(table.index)].unique() \
        if len(measures) else []
    table = table.reindex(list(table.index) + sorted(extra))
    table["Dateien"] = table["Dateien"].fillna("")
    numbers = [c for c in TERRITORY_COLUMNS if c not in ("Dateien", "Auslastung")]
    counted = [c for c in numbers if c not in GROUP_CAPACITY_COLUMNS]
    table[counted] = table[counted].fillna(0)
    table[list(GROUP_CAPACITY_COLUMNS)] = capacity_by_group(table, params)
    table.loc[TOTAL] = table[numbers].sum()
    table["Dateien"] = table["Dateien"].astype(object).fillna("")  # a new total row: NaN
    table["Auslastung"] = table["Besuchsbedarf"] / table["Besuchskapazität"].replace(0, np.nan)
    for col in ("Kunden", *CODES, NO_SEGMENT):
        table[col] = table[col].astype(int)
    table.index.name = "Gebiet"
    return table[list(TERRITORY_COLUMNS)]


def import_log(sources: Sources, results: Sequence[FileResult], today: _dt.date | None = None,
               days: int = OLD_DAYS) -> pd.DataFrame:
    """One row per file: status, message, figures, where its territory names came from, when
    it was last saved and whether that is more than ``days`` days before ``today``; skipped
    files after the read ones."""
    rows = []
    today = today or _dt.date.today()
    for r in results:
        territories = ", ".join(sorted(r.customers["territory"].unique())) \
            if r.customers is not None else ""
        old = f"älter als {days} Tage" if older_than(r.saved, today, days) else ""
        rows.append((r.source, r.status, r.message, territories, r.territory_from, r.rows,
                     0 if r.measures is None else len(r.measures), r.error_count, r.note_count,
                     len(r.deviations), r.saved, old, round(r.seconds, 3)))
    for s in sources.skipped:
        rows.append((sources.display(s.path), s.status, s.reason, "", "", 0, 0, 0, 0, 0, None,
                     "", 0.0))
    return pd.DataFrame(rows, columns=list(LOG_COLUMNS))


def deviation_rows(results: Sequence[FileResult]) -> pd.DataFrame:
    return pd.DataFrame([(r.source, name, mine, central) for r in results
                         for name, mine, central in r.deviations],
                        columns=["Datei", "Parameter", "Wert in der Datei", "Zentraler Wert"])


def message_rows(results: Sequence[FileResult]) -> pd.DataFrame:
    """Every error and note of each file, cell-addressed."""
    rows = [(r.source, kind, text) for r in results
            for kind, texts in (("Fehler", r.errors), ("Hinweis", r.notes)) for text in texts]
    return pd.DataFrame(rows, columns=["Datei", "Art", "Meldung"])


def overview(results: Sequence[FileResult], sources: Sources, territories: pd.DataFrame,
             duplicates: pd.DataFrame, today: _dt.date | None = None, days: int = OLD_DAYS,
             counted: pd.DataFrame | None = None) -> list[tuple[str, Any, str]]:
    """(label, value, kind) lines for the top of ``Übersicht``; kind: int, eur, num, pct.
    ``counted``: the customers counted once (see ``combine``); None: once per territory."""
    total = territories.loc[TOTAL].copy()
    if counted is not None:
        total["Kunden"] = len(counted)
        total["Umsatz Vorjahr"] = float(counted["revenue"].sum())
        total["Potenzial"] = float(counted["potential"].sum())
    grouped = int(duplicates["rows"].sum()) if len(duplicates) else 0
    way = (f"einmal gezählt ({grouped - len(duplicates)} weitere Zeilen der Gruppen nicht "
           "mitgezählt; Gebiete: je Gebiet)" if counted is not None else
           "je Gebiet gezählt (einmal zählen: --einmal-zaehlen)")
    statuses = [r.status for r in results] + [s.status for s in sources.skipped]
    today = today or _dt.date.today()
    read = [r for r in results if r.status == OK]
    old = sum(older_than(r.saved, today, days) for r in read)
    return [
        ("Dateien gelesen", statuses.count(OK), "int"),
        ("Dateien nicht gelesen", statuses.count(FAILED), "int"),
        ("Dateien mit Zeilenfehlern", sum(bool(r.error_count) for r in read), "int"),
        ("Zeilenfehler (Importprotokoll)", sum(r.error_count for r in read), "int"),
        ("Dateien übersprungen", statuses.count(SKIPPED), "int"),
        (f"Dateien älter als {days} Tage", old, "int"),
        ("Gebiete", len(territories) - 1, "int"),
        ("Kunden", int(total["Kunden"]), "int"),
        ("Umsatz Vorjahr", float(total["Umsatz Vorjahr"]), "eur"),
        ("Umsatz gefährdet", float(total["Umsatz gefährdet"]), "eur"),
        ("Umsatzziel", float(total["Umsatzziel"]), "eur"),
        ("Lücke zum Ziel", float(total["Lücke zum Ziel"]), "eur"),
        ("Potenzial", float(total["Potenzial"]), "eur"),
        ("Gewichtete Pipeline", float(total["Gewichtete Pipeline"]), "eur"),
        ("Besuchsbedarf pro Jahr", float(total["Besuchsbedarf"]), "num"),
        ("Inside-Sales-FTE", float(total["Inside-Sales-FTE"]), "num"),
        ("Kunden in mehreren Gebieten", len(duplicates), "int"),
        ("Zählweise dieser Kunden", way, "text"),
    ]


@dataclass
class DimensionTable:
    """One buying-behaviour dimension over all files: the crossing with the codes and the
    files without that column (their customers count as :data:`core.dimensions.NO_VALUE`)."""

    name: str  # as first asked for (``--nach``) or named in a file's Spaltenzuordnung
    table: pd.DataFrame  # core.dimensions.crossed
    missing: list[tuple[str, int]]  # (file, customers) of the files without the column
    combined: bool = False  # the two ``--nach`` dimensions together ("Mehrweg / Premium")


def dimension_names_found(results: Sequence[FileResult], wanted: Sequence[str]) -> list[str]:
    """The dimensions of the run: ``--nach`` first, then every file's, each once (case and
    spaces ignored, the first spelling kept)."""
    names: dict[str, str] = {}
    for name in [*wanted, *(n for r in results for n in r.dimensions)]:
        names.setdefault(dimension_key(name), name)
    return list(names.values())


MAX_VALUES = 1000  # more different values are no classification (a name, a number)


def dimension_tables(read: Sequence[FileResult], counted: pd.DataFrame,
                     names: Sequence[str], combined: Sequence[str] = (),
                     refused: list[str] | None = None) -> list[DimensionTable]:
    """Per dimension (and for the two ``combined`` ones together) the crossing of ``counted``
    (the customers of the ``read`` files concatenated in order, or the rows of them counted
    once) with the codes, by :func:`core.dimensions.crossed`. A column with more than
    :data:`MAX_VALUES` different values is left out, with a German message in ``refused``."""
    if not names or not len(counted):
        return []
    values: dict[str, list[np.ndarray]] = {dimension_key(n): [] for n in names}
    missing: dict[str, list[tuple[str, int]]] = {dimension_key(n): [] for n in names}
    for r in read:
        mine = {dimension_key(n): v for n, v in r.dimensions.items()}
        for key in values:
            found = mine.get(key)
            values[key].append(np.full(r.rows, NO_VALUE, dtype=object) if found is None
                               else np.asarray(found, dtype=object))
            if found is None:
                missing[key].append((r.source, r.rows))
    columns = {n: np.concatenate(values[dimension_key(n)]) for n in names}
    for n in list(names):
        count = len(pd.unique(columns[n]))
        if count > MAX_VALUES:
            (refused if refused is not None else []).append(
                f"Auswertung nach Kaufverhalten: Spalte „{n}“ hat {german.number(count)} "
                f"verschiedene Werte (mehr als {german.number(MAX_VALUES)}) und ist keine "
                "Einteilung; nicht ausgewertet")
            del columns[n]
    names = [n for n in names if n in columns]
    combined = [n for n in combined if n in columns]
    frame = pd.DataFrame(columns, index=pd.RangeIndex(sum(r.rows for r in read)))
    tables = [DimensionTable(n, crossed(counted, counted, frame[[n]]), missing[dimension_key(n)])
              for n in names]
    if len(combined) == MAX_DIMENSIONS:
        gone = {f for n in combined for f in missing[dimension_key(n)]}
        tables.append(DimensionTable(" / ".join(combined),
                                     crossed(counted, counted, frame[list(combined)]),
                                     sorted(gone), combined=True))
    return tables


def dimension_notes(tables: Sequence[DimensionTable], unknown: Sequence[str]
                    ) -> dict[str, list[str]]:
    """Per file the notes on the dimensions it lacks; under "" the ``--nach`` names no file
    has."""
    notes: dict[str, list[str]] = {}
    for t in tables:
        if t.combined:
            continue  # its parts are noted
        for source, count in t.missing:
            notes.setdefault(source, []).append(
                f"Spalte „{t.name}“ (Auswertung nach Kaufverhalten) fehlt; "
                f"{german.count(count, 'Kunde', 'Kunden')} als „{NO_VALUE}“ gezählt")
    if unknown:
        notes[""] = [f"Auswertung nach Kaufverhalten: Spalte „{n}“ (--nach) in keiner "
                     "Gebietsdatei gefunden" for n in unknown]
    return notes
