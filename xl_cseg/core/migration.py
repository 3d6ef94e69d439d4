"""Segment migration between two snapshots: customers and revenue that moved from code to code.

Input: two frames with ``customer_id``, ``code`` and ``revenue`` (one row per customer; a customer
number that occurs twice keeps its first row). Rows of the matrices are the older codes plus
"neu" (customers only in the newer snapshot), columns the newer codes plus "weggefallen"
(customers only in the older one). Revenue is the newer snapshot's, for dropped customers the
older one's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .distribution import NO_SEGMENT, TOTAL
from .params import CODES

NEW = "neu"
GONE = "weggefallen"
MOVE_COLUMNS = ("customer_id", "territory", "from_code", "to_code", "revenue_before",
                "revenue_after")


@dataclass(frozen=True)
class Migration:
    customers: pd.DataFrame  # from-code x to-code counts, with totals
    revenue: pd.DataFrame  # same shape, EUR
    moves: pd.DataFrame  # MOVE_COLUMNS, one row per customer whose code changed

    @property
    def changed(self) -> int:
        return len(self.moves)


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    data = frame[frame["customer_id"].notna()].drop_duplicates("customer_id", keep="first")
    out = pd.DataFrame({"code": data["code"].astype(object).where(data["code"].notna(), NO_SEGMENT),
                        "revenue": pd.to_numeric(data["revenue"], errors="coerce").fillna(0.0)})
    out["territory"] = data["territory"] if "territory" in data else None
    out.index = data["customer_id"].astype(str)
    return out


def migration(before: pd.DataFrame, after: pd.DataFrame) -> Migration:
    """The migration matrices from ``before`` (older) to ``after`` (newer)."""
    old, new = _latest(before), _latest(after)
    joined = old.add_suffix("_before").join(new.add_suffix("_after"), how="outer")
    from_code = joined["code_before"].fillna(NEW)
    to_code = joined["code_after"].fillna(GONE)
    revenue = joined["revenue_after"].fillna(joined["revenue_before"]).fillna(0.0)
    present = set(from_code) | set(to_code)
    extra = [NO_SEGMENT] if NO_SEGMENT in present else []
    rows, cols = list(CODES) + extra + [NEW], list(CODES) + extra + [GONE]
    frame = pd.DataFrame({"from": from_code, "to": to_code, "revenue": revenue, "n": 1})
    customers = _matrix(frame, "n", rows, cols).astype(int)
    amounts = _matrix(frame, "revenue", rows, cols).astype(float)
    changed = from_code != to_code
    territory = joined["territory_after"].fillna(joined["territory_before"])
    moves = pd.DataFrame({
        "customer_id": joined.index[changed], "territory": territory[changed].to_numpy(),
        "from_code": from_code[changed].to_numpy(), "to_code": to_code[changed].to_numpy(),
        "revenue_before": joined["revenue_before"][changed].to_numpy(),
        "revenue_after": joined["revenue_after"][changed].to_numpy(),
    }, columns=list(MOVE_COLUMNS))
    return Migration(customers=customers, revenue=amounts,
                     moves=moves.sort_values(["from_code", "to_code", "customer_id"],
                                             kind="stable", ignore_index=True))


def _matrix(frame: pd.DataFrame, value: str, rows: list[str], cols: list[str]) -> pd.DataFrame:
    table = frame.pivot_table(index="from", columns="to", values=value, aggfunc="sum",
                              fill_value=0, observed=True) if len(frame) else pd.DataFrame()
    table = table.reindex(index=rows, columns=cols, fill_value=0).fillna(0)
    table[TOTAL] = table.sum(axis=1)
    table.loc[TOTAL] = table.sum(axis=0)
    table.index.name, table.columns.name = None, None
    return table
