"""Segment migration between two snapshots: customers and revenue that moved from code to code.

Input: two frames with ``customer_id``, ``territory``, ``code`` and ``revenue`` (optionally
``name``), one row per customer and territory, as the consolidation counts them. A customer is
followed by number and territory; a number that left one territory and turned up in exactly one
other is the same customer, moved. Rows of the matrices are the older codes plus "neu"
(customers only in the newer snapshot), columns the newer codes plus "weggefallen" (customers
only in the older one).

Revenue has two bases, each stated: ``revenue_before`` is the older snapshot's "Umsatz Vorjahr"
(0 for new customers), ``revenue_after`` the newer one's (0 for dropped customers); the matrices
of both are kept apart, never mixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .distribution import NO_SEGMENT, TOTAL
from .params import ABC_CLASSES, CODES

NEW = "neu"
GONE = "weggefallen"
CHANGED, SAME = "geändert", "unverändert"
MOVE_COLUMNS = ("customer_id", "name", "territory", "status", "from_code", "to_code",
                "revenue_before", "revenue_after")
DOWNGRADE_COLUMNS = (*MOVE_COLUMNS, "reason")
TERRITORY_COLUMNS = ("Kunden vorher", "Kunden nachher", "geändert", "neu", "weggefallen",
                     "Herabstufungen", "Umsatz vorher", "Umsatz nachher")
REVENUE_BASIS = ("Umsatz vorher = Umsatz Vorjahr laut älterem Stand (neue Kunden: 0); Umsatz "
                 "nachher = Umsatz Vorjahr laut neuerem Stand (weggefallene Kunden: 0). Gezählt "
                 "wird je Kunde und Gebiet wie in der Gesamtauswertung; Zeilen ohne Kunden-Nr "
                 "sind nicht verfolgbar und fehlen.")


@dataclass(frozen=True)
class Migration:
    customers: pd.DataFrame  # from-code x to-code counts, with totals
    revenue: pd.DataFrame  # same shape, EUR, the newer snapshot's revenue (0 for dropped)
    revenue_before: pd.DataFrame  # same shape, EUR, the older snapshot's revenue (0 for new)
    moves: pd.DataFrame  # MOVE_COLUMNS: every customer whose code changed, new or dropped
    downgrades: pd.DataFrame  # DOWNGRADE_COLUMNS
    territories: pd.DataFrame  # TERRITORY_COLUMNS per territory, with a total row
    basis: str = REVENUE_BASIS

    def count(self, status: str) -> int:
        return int((self.moves["status"] == status).sum())

    @property
    def changed(self) -> int:
        """Customers in both snapshots whose code changed (not new, not dropped ones)."""
        return self.count(CHANGED)

    @property
    def new(self) -> int:
        return self.count(NEW)

    @property
    def dropped(self) -> int:
        return self.count(GONE)

    def top(self, count: int) -> pd.DataFrame:
        """The ``count`` moves with the highest revenue (either date)."""
        size = self.moves[["revenue_before", "revenue_after"]].fillna(0).max(axis=1)
        order = np.argsort(-size.to_numpy(), kind="stable")[:count]
        return self.moves.iloc[order].reset_index(drop=True)


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (customer number, territory) with a number; the first row of a pair."""
    data = frame[frame["customer_id"].notna()]
    territory = data["territory"] if "territory" in data else pd.Series("", index=data.index)
    out = pd.DataFrame({
        "customer_id": data["customer_id"].astype(str).to_numpy(),
        "territory": territory.fillna("").astype(str).to_numpy(),
        "name": (data["name"] if "name" in data else pd.Series(None, index=data.index))
        .astype(object).to_numpy(),
        "code": data["code"].astype(object).where(data["code"].notna(), NO_SEGMENT).to_numpy(),
        "revenue": pd.to_numeric(data["revenue"], errors="coerce").fillna(0.0).to_numpy(),
    })
    return out.drop_duplicates(["customer_id", "territory"], keep="first")


def _moved(joined: pd.DataFrame) -> pd.DataFrame:
    """Rows only in the older and only in the newer snapshot with one number, each the only
    one of its side: one customer who changed territory, joined into one row."""
    gone = joined[joined["code_after"].isna()]
    new = joined[joined["code_before"].isna()]
    once_gone = gone["customer_id"].drop_duplicates(keep=False)
    once_new = new["customer_id"].drop_duplicates(keep=False)
    ids = pd.Index(once_gone).intersection(pd.Index(once_new))
    if not len(ids):
        return joined
    old = gone[gone["customer_id"].isin(ids)].set_index("customer_id")
    fresh = new[new["customer_id"].isin(ids)].set_index("customer_id").reindex(old.index)
    pair = fresh.copy()
    for col in ("code_before", "revenue_before", "name_before"):
        pair[col] = old[col]
    pair["territory_before"] = old["territory"]
    rest = joined[~(joined["customer_id"].isin(ids) & (joined["code_after"].isna()
                                                       | joined["code_before"].isna()))]
    return pd.concat([rest, pair.reset_index()], ignore_index=True)


def migration(before: pd.DataFrame, after: pd.DataFrame) -> Migration:
    """The migration from ``before`` (older) to ``after`` (newer)."""
    old, new = _rows(before), _rows(after)
    joined = old.merge(new, on=["customer_id", "territory"], how="outer",
                       suffixes=("_before", "_after"))
    joined["territory_before"] = joined["territory"].where(joined["code_before"].notna())
    joined = _moved(joined)
    from_code = joined["code_before"].fillna(NEW)
    to_code = joined["code_after"].fillna(GONE)
    before_eur = joined["revenue_before"].fillna(0.0)
    after_eur = joined["revenue_after"].fillna(0.0)
    present = set(from_code) | set(to_code)
    extra = [NO_SEGMENT] if NO_SEGMENT in present else []
    rows, cols = list(CODES) + extra + [NEW], list(CODES) + extra + [GONE]
    frame = pd.DataFrame({"from": from_code, "to": to_code, "after": after_eur,
                          "before": before_eur, "n": 1})
    status = np.select([from_code == NEW, to_code == GONE, from_code != to_code],
                       [NEW, GONE, CHANGED], SAME)
    moved = territory_label(joined["territory_before"], joined["territory"])
    table = pd.DataFrame({
        "customer_id": joined["customer_id"].to_numpy(),
        "name": joined["name_after"].where(joined["name_after"].notna(), joined["name_before"])
        .to_numpy(),
        "territory": moved.to_numpy(), "status": status,
        "from_code": from_code.to_numpy(), "to_code": to_code.to_numpy(),
        "revenue_before": joined["revenue_before"].to_numpy(),
        "revenue_after": joined["revenue_after"].to_numpy(),
    }, columns=list(MOVE_COLUMNS))
    moves = table[table["status"] != SAME].sort_values(
        ["territory", "status", "from_code", "to_code", "customer_id"], kind="stable",
        ignore_index=True)
    down = downgrades(moves)
    return Migration(customers=_matrix(frame, "n", rows, cols).astype(int),
                     revenue=_matrix(frame, "after", rows, cols).astype(float),
                     revenue_before=_matrix(frame, "before", rows, cols).astype(float),
                     moves=moves, downgrades=down,
                     territories=_territories(joined, table, down))


def territory_label(before: pd.Series, after: pd.Series) -> pd.Series:
    """The territory of a row: the newer one, "Süd → Ost" for a move, the older for dropped."""
    old = before.astype(object)
    new = after.astype(object)
    label = new.where(old.isna() | (old == new), old.astype(str) + " → " + new.astype(str))
    return label.fillna(old).fillna("")


def downgrades(moves: pd.DataFrame) -> pd.DataFrame:
    """Customers in both snapshots whose ABC class fell (A to B or C, B to C), and Maintain
    customers that were lost (dropped); with the reason."""
    rank = {c: i for i, c in enumerate(ABC_CLASSES)}
    old_class = moves["from_code"].str.split("-").str[0].map(rank)
    new_class = moves["to_code"].str.split("-").str[0].map(rank)
    fell = (moves["status"] == CHANGED) & old_class.notna() & new_class.notna() & \
        (new_class > old_class)
    lost = (moves["status"] == GONE) & moves["from_code"].str.endswith("-Maintain")
    found = moves[fell | lost].copy()
    found["reason"] = np.where(fell[fell | lost], found["from_code"].str[0] + " → "
                               + found["to_code"].str[0], "Maintain-Kunde weggefallen")
    size = found[["revenue_before", "revenue_after"]].fillna(0).max(axis=1)
    order = np.argsort(-size.to_numpy(), kind="stable")
    return found.iloc[order].reset_index(drop=True).reindex(columns=list(DOWNGRADE_COLUMNS))


def _territories(joined: pd.DataFrame, table: pd.DataFrame, down: pd.DataFrame
                 ) -> pd.DataFrame:
    """Per territory (the newer one; the older for dropped customers): counts and revenue."""
    where = joined["territory"].where(joined["code_after"].notna(),
                                      joined["territory_before"]).fillna("")
    data = pd.DataFrame({
        "territory": where.to_numpy(),
        "Kunden vorher": joined["code_before"].notna().to_numpy().astype(int),
        "Kunden nachher": joined["code_after"].notna().to_numpy().astype(int),
        "geändert": (table["status"] == CHANGED).to_numpy().astype(int),
        "neu": (table["status"] == NEW).to_numpy().astype(int),
        "weggefallen": (table["status"] == GONE).to_numpy().astype(int),
        "Umsatz vorher": joined["revenue_before"].fillna(0.0).to_numpy(),
        "Umsatz nachher": joined["revenue_after"].fillna(0.0).to_numpy(),
    })
    result = data.groupby("territory", sort=True).sum()
    moved_to = down["territory"].str.split(" → ").str[-1]
    result["Herabstufungen"] = moved_to.value_counts().reindex(result.index, fill_value=0)
    result.loc[TOTAL] = result.sum()
    result.index.name = "Gebiet"
    for col in TERRITORY_COLUMNS:
        if not col.startswith("Umsatz"):
            result[col] = result[col].astype(int)
    return result[list(TERRITORY_COLUMNS)]


def _matrix(frame: pd.DataFrame, value: str, rows: list[str], cols: list[str]) -> pd.DataFrame:
    table = frame.pivot_table(index="from", columns="to", values=value, aggfunc="sum",
                              fill_value=0, observed=True) if len(frame) else pd.DataFrame()
    table = table.reindex(index=rows, columns=cols, fill_value=0).fillna(0)
    table[TOTAL] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum(axis=0)
    table.index.name, table.columns.name = None, None
    return table
