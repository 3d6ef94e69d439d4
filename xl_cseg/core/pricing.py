"""Cost to serve and C-customer pricing: what a handling fee under a minimum order value
recovers, what bundling small orders saves, and whether a customer is served at a cost its
revenue carries.

The rule of thumb behind the C-customer threshold (visits x cost per visit / highest acceptable
cost share) generalised to each customer's real cost to serve:

- cost to serve = field visits a year (channel matrix) x cost per visit
  + orders a year x cost per order (process cost);
- its share of last year's revenue above the maximum sales-cost share: "nicht kostendeckend
  betreut" (4 x 350 EUR + 12 x 40 EUR = 1,880 EUR = 10.4 % of 18,000 EUR > 10 %);
- orders below the minimum order value pay the handling fee (12 orders of 150 EUR under a
  minimum of 250 EUR with a fee of 15 EUR recover 180 EUR a year); bundled to the minimum order
  value the same goods need ceil(value / minimum) orders, each saved order saves its process cost;
- C-customers with an individual discount get the hint "Listenpreis durchsetzen".

Orders per customer come from an order list (``Aufträge`` sheet: customer number, date, order
value; exact, the orders of last calendar year, the year of "Umsatz Vorjahr") or from the
customer table's ``Aufträge/Jahr`` column (orders below the minimum estimated from the average
order value revenue / orders: all of them when the average is below the minimum, none otherwise).
Pure: pandas in, pandas out; "today" is passed in.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any, Hashable

import numpy as np
import pandas as pd

from . import german
from .distribution import NO_SEGMENT, TOTAL, class_rows
from .numbers import CellError, normalize_id, parse_number
from .params import ABC_CLASSES, CODES, Parameters
from .pipeline import parse_date
from .segment import ERROR, NOTE, Issue

# where the orders of a customer come from (column "Ermittlung")
EXACT = "exakt (Auftragsliste)"
ESTIMATED = "geschätzt (Ø Auftragswert)"
NO_ORDERS = "keine Auftragsdaten"
NOT_COVERED = "nicht kostendeckend betreut"
COVERED = "kostendeckend"
LIST_PRICE = "Listenpreis durchsetzen"

# order list fields (the ``Aufträge`` sheet)
ORDER_FIELDS = (("customer_id", "Kunden-Nr"), ("date", "Datum"), ("value", "Auftragswert"))
ORDER_HEADERS = dict(ORDER_FIELDS)

CUSTOMER_COLUMNS = ("Kunden-Nr", "Kunde", "Segment", "ABC", "Umsatz Vorjahr", "Aufträge/Jahr",
                    "Ø Auftragswert", "Aufträge unter Mindestbestellwert", "Ermittlung",
                    "Pauschale/Jahr", "Bündelung spart", "Besuche/Jahr", "Betreuungskosten",
                    "Kostenanteil", "Bewertung", "Rabatt", "Preis-Hinweis")
TOTAL_COLUMNS = ("Kunden", "Betroffene Kunden", "Aufträge unter Mindestbestellwert",
                 "Pauschale/Jahr", "Bündelung spart", "Betreuungskosten", "Umsatz", "Kostenanteil",
                 "Nicht kostendeckend", "Listenpreis durchsetzen")
_SUMMED = tuple(c for c in TOTAL_COLUMNS if c != "Kostenanteil")


@dataclass(frozen=True, eq=False)
class PricingResult:
    """Per customer (:data:`CUSTOMER_COLUMNS`, the segmentation's index) and totals per code and
    class (:data:`TOTAL_COLUMNS`, with a total row); issues tied to a row and field of the
    customer table (``field`` "orders"/"discount") or of the order list (``order_issues``)."""

    customers: pd.DataFrame
    by_code: pd.DataFrame
    by_abc: pd.DataFrame
    params: Parameters = field(repr=False)
    issues: list[Issue] = field(default_factory=list)
    order_issues: list[Issue] = field(default_factory=list)
    orders_used: int = 0  # orders of the order list that entered the figures
    period: tuple[_dt.date, _dt.date] | None = None  # the order list's period (inclusive)

    @property
    def totals(self) -> pd.Series:
        return self.by_code.loc[TOTAL]


# -- parsing the optional inputs ----------------------------------------------------------------
def _parsed(raw: pd.Series | None, index: pd.Index, key: str, check
            ) -> tuple[np.ndarray, list[Issue]]:
    """One optional numeric column: ``check(value)`` gives (value to keep, German error)."""
    out = np.full(len(index), np.nan)
    issues: list[Issue] = []
    if raw is None:
        return out, issues
    for pos, (label, cell) in enumerate(zip(index, raw.reindex(index).to_numpy(dtype=object))):
        value, error = parse_number(cell)
        if not error and value is not None:
            value, error = check(value)
        if error:
            issues.append(Issue(label, key, ERROR, error))
        elif value is not None:
            out[pos] = value
    return out, issues


def _order_count(value: float) -> tuple[float | None, str | None]:
    if value < 0 or value != math.floor(value):
        return None, f"{german.number(value, 2)} ist keine ganze Zahl ab 0 (Aufträge pro Jahr)"
    return value, None


def _discount(value: float) -> tuple[float | None, str | None]:
    share = value / 100.0 if value > 1 else value
    if value < 0 or share > 1:
        shown = f"{german.number(value * 100 if value <= 1 else value, 2)} %"
        return None, f"{shown} liegt außerhalb 0 bis 100 %"
    return share, None


def parse_order_counts(raw: pd.Series | None, index: pd.Index) -> tuple[np.ndarray, list[Issue]]:
    """``Aufträge/Jahr`` per customer: a whole number >= 0; anything else an error (NaN)."""
    return _parsed(raw, index, "orders", _order_count)


def parse_discounts(raw: pd.Series | None, index: pd.Index) -> tuple[np.ndarray, list[Issue]]:
    """``Rabatt`` per customer as a fraction: 0.08, "8 %" and 8 all mean 8 % (values above 1 are
    percent points); outside 0-100 % an error (NaN)."""
    return _parsed(raw, index, "discount", _discount)


@dataclass(frozen=True)
class OrderTotals:
    """The order list summed per customer over the period: counts and values, all orders and
    those below the minimum order value."""

    count: pd.Series
    value: pd.Series
    small_count: pd.Series
    small_value: pd.Series
    used: int
    period: tuple[_dt.date, _dt.date] | None


def order_totals(orders: pd.DataFrame, customer_ids: pd.Series, minimum: float,
                 today: _dt.date) -> tuple[OrderTotals, list[Issue]]:
    """Parse the order list (raw cells, columns customer_id/date/value, index = row label) and
    sum it per customer number.

    Period: last calendar year (the year of "Umsatz Vorjahr"); when no order falls in it, the
    twelve months up to the latest order date (with a note). Orders of unknown customers, without
    a valid date or with a negative or missing value are reported and left out.
    """
    issues: list[Issue] = []
    known = set(customer_ids.dropna())
    rows: list[tuple[str, _dt.date, float]] = []
    for label, rec in zip(orders.index, orders.to_dict("records")):
        cid_raw, date_raw, value_raw = (rec.get(k) for k in ("customer_id", "date", "value"))
        if all(_blank(v) for v in (cid_raw, date_raw, value_raw)):
            continue
        cid = None if isinstance(cid_raw, CellError) else normalize_id(cid_raw)
        ok = True
        if cid is None:
            issues.append(Issue(label, "customer_id", ERROR, "Kunden-Nr fehlt"))
            ok = False
        elif cid not in known:
            issues.append(Issue(label, "customer_id", ERROR,
                                f"Kunde {cid} steht nicht in der Kundentabelle; Auftrag nicht "
                                "berücksichtigt"))
            ok = False
        date, error = parse_date(date_raw)
        if error or date is None:
            issues.append(Issue(label, "date", ERROR, error or "Datum fehlt"))
            ok = False
        value, error = parse_number(value_raw)
        if error or value is None or value < 0:
            msg = error or ("Auftragswert fehlt" if value is None else
                            f"negativer Auftragswert {german.amount(value)} ist nicht zulässig")
            issues.append(Issue(label, "value", ERROR, msg))
            ok = False
        if ok:
            rows.append((cid, date, value))
    last_year = (_dt.date(today.year - 1, 1, 1), _dt.date(today.year - 1, 12, 31))
    period = None
    if rows:
        period = last_year
        if not any(last_year[0] <= d <= last_year[1] for _c, d, _v in rows):
            latest = max(d for _c, d, _v in rows)
            period = (_year_before(latest), latest)
            issues.append(Issue(None, None, NOTE,
                                f"Auftragsliste: keine Aufträge im Vorjahr {today.year - 1}; "
                                f"die zwölf Monate {german.date(period[0])} bis {german.date(period[1])} "
                                "gezählt"))
    used = [(c, v) for c, d, v in rows if period and period[0] <= d <= period[1]]
    outside = len(rows) - len(used)
    if outside:
        issues.append(Issue(None, None, NOTE, f"Auftragsliste: {outside} Aufträge außerhalb "
                                              f"{german.date(period[0])} bis {german.date(period[1])} nicht "
                                              "gezählt"))
    frame = pd.DataFrame(used, columns=["id", "value"]) if used else \
        pd.DataFrame({"id": pd.Series([], dtype=object), "value": pd.Series([], dtype=float)})
    frame["small"] = frame["value"] < minimum
    grouped = frame.groupby("id")
    small = frame[frame["small"]].groupby("id")["value"]
    return OrderTotals(count=grouped.size().astype(float), value=grouped["value"].sum(),
                       small_count=small.size().astype(float), small_value=small.sum(),
                       used=len(used), period=period), issues


def _year_before(day: _dt.date) -> _dt.date:
    try:
        start = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        start = day.replace(year=day.year - 1, day=28)
    return start + _dt.timedelta(days=1)


# -- the figures --------------------------------------------------------------------------------
def pricing(output: pd.DataFrame, inputs: pd.DataFrame, params: Parameters,
            raw: pd.DataFrame | None = None, orders: pd.DataFrame | None = None,
            today: _dt.date | None = None) -> PricingResult:
    """Cost to serve and pricing figures for every customer of a segmentation.

    ``output``/``inputs``: the segmentation's (same index). ``raw``: the customer table's raw
    cells, for the optional columns ``orders`` (Aufträge/Jahr) and ``discount`` (Rabatt).
    ``orders``: the raw order list (customer_id, date, value), or None. ``today`` is needed with
    an order list (its period is last calendar year).
    """
    index = output.index
    raw = raw if raw is not None else pd.DataFrame(index=index)
    counts, issues = parse_order_counts(raw["orders"] if "orders" in raw else None, index)
    discount, found = parse_discounts(raw["discount"] if "discount" in raw else None, index)
    issues += found
    revenue = inputs["revenue"].to_numpy(dtype=float, na_value=np.nan)
    ids = inputs["customer_id"]
    minimum, fee = params.mindestbestellwert, params.pauschale

    # per customer: orders, their value, orders below the minimum and their value
    n = counts.copy()
    value = np.where(n > 0, revenue, np.nan)
    small_n = estimated_small_orders(revenue, n, minimum)
    small_value = np.where(small_n > 0, revenue, np.where(n >= 0, 0.0, np.nan))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        average = np.where(n > 0, revenue / np.where(n > 0, n, np.nan), np.nan)
    source = np.where(n >= 0, ESTIMATED, NO_ORDERS).astype(object)

    order_issues: list[Issue] = []
    used, period = 0, None
    if orders is not None and len(orders):
        if today is None:
            raise ValueError("pricing() with an order list needs today's date")
        totals, order_issues = order_totals(orders, ids, minimum, today)
        used, period = totals.used, totals.period
        exact = ids.isin(totals.count.index).to_numpy()
        if exact.any():
            keys = ids[exact]
            n[exact] = keys.map(totals.count).to_numpy(dtype=float)
            value[exact] = keys.map(totals.value).to_numpy(dtype=float)
            small_n[exact] = keys.map(totals.small_count).fillna(0.0).to_numpy(dtype=float)
            small_value[exact] = keys.map(totals.small_value).fillna(0.0).to_numpy(dtype=float)
            average[exact] = value[exact] / n[exact]
            source[exact] = EXACT

    fee_year = small_n * fee
    saving = bundling_saving(small_n, small_value, minimum, params.kosten_je_auftrag)
    visits = output["visits"].to_numpy(dtype=float, na_value=np.nan)
    cost = cost_to_serve(visits, n, params.cost_per_visit, params.kosten_je_auftrag)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        share = np.where(revenue > 0, cost / np.where(revenue > 0, revenue, np.nan), np.nan)
    verdict = coverage_verdict(revenue, cost, params.max_kostenanteil)
    abc = output["abc"].to_numpy(dtype=object)
    hint = np.full(len(index), np.nan, dtype=object)
    c_discount = (abc == "C") & (discount > 0)
    hint[c_discount] = [f"{LIST_PRICE} (Rabatt {german.percent(d)})" for d in discount[c_discount]]

    customers = pd.DataFrame({
        "Kunden-Nr": ids.to_numpy(dtype=object),
        "Kunde": inputs["name"].to_numpy(dtype=object) if "name" in inputs else None,
        "Segment": output["code"].to_numpy(dtype=object), "ABC": abc,
        "Umsatz Vorjahr": revenue, "Aufträge/Jahr": n, "Ø Auftragswert": average,
        "Aufträge unter Mindestbestellwert": small_n, "Ermittlung": source,
        "Pauschale/Jahr": fee_year, "Bündelung spart": saving, "Besuche/Jahr": visits,
        "Betreuungskosten": cost, "Kostenanteil": share, "Bewertung": verdict,
        "Rabatt": discount, "Preis-Hinweis": hint}, index=index, columns=list(CUSTOMER_COLUMNS))
    return PricingResult(customers=customers,
                         by_code=_totals(customers, output["code"], CODES),
                         by_abc=_totals(customers, output["abc"], ABC_CLASSES),
                         params=params, issues=issues, order_issues=order_issues,
                         orders_used=used, period=period)


# -- the rules, on arrays (the segmentation's sheet, the worksheet functions) ----------------------
def estimated_small_orders(revenue: np.ndarray, orders: np.ndarray, minimum: float
                           ) -> np.ndarray:
    """Orders below the minimum order value estimated from the average order value (revenue /
    orders): all orders when the average is below the minimum, none otherwise; NaN where the
    order count is unknown."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        average = revenue / np.where(orders > 0, orders, np.nan)
    return np.where(orders > 0, np.where(average < minimum, orders, 0.0),
                    np.where(orders == 0, 0.0, np.nan))


def bundling_saving(small_orders: np.ndarray, small_value: np.ndarray, minimum: float,
                    cost_per_order: float) -> np.ndarray:
    """Process cost saved when a customer's orders below the minimum are bundled to it: their
    value needs ceil(value / minimum) orders (at least one); each order fewer saves its cost."""
    with np.errstate(invalid="ignore", divide="ignore"):
        bundled = np.maximum(np.ceil(small_value / minimum - 1e-9), 1.0) if minimum > 0 else \
            small_orders
    bundled = np.where(small_orders > 0, bundled, 0.0)
    return np.where(small_orders >= 0, np.clip(small_orders - bundled, 0, None) * cost_per_order,
                    np.nan)


def cost_to_serve(visits: np.ndarray, orders: np.ndarray, cost_per_visit: float,
                  cost_per_order: float) -> np.ndarray:
    """Visits a year x cost per visit + orders a year x cost per order (a missing part counts
    0; NaN when both are missing)."""
    cost = np.nan_to_num(visits) * cost_per_visit + np.nan_to_num(orders) * cost_per_order
    return np.where(np.isnan(visits) & np.isnan(orders), np.nan, cost)


def coverage_verdict(revenue: np.ndarray, cost: np.ndarray, max_share: float) -> np.ndarray:
    """"nicht kostendeckend betreut" where the cost to serve is above the maximum share of the
    revenue, "kostendeckend" at or below it, "kein Umsatz" for a cost without revenue."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        share = cost / np.where(revenue > 0, revenue, np.nan)
    verdict = np.full(len(revenue), np.nan, dtype=object)
    verdict[share > max_share + 1e-12] = NOT_COVERED
    verdict[share <= max_share + 1e-12] = COVERED
    verdict[(revenue == 0) & (cost > 0)] = "kein Umsatz"
    return verdict


def _totals(customers: pd.DataFrame, keys: pd.Series, order: tuple[str, ...]) -> pd.DataFrame:
    rows = class_rows(keys, order)
    frame = pd.DataFrame({
        "Kunden": 1.0,
        "Betroffene Kunden": (customers["Aufträge unter Mindestbestellwert"] > 0).astype(float),
        "Aufträge unter Mindestbestellwert":
            customers["Aufträge unter Mindestbestellwert"].fillna(0.0),
        "Pauschale/Jahr": customers["Pauschale/Jahr"].fillna(0.0),
        "Bündelung spart": customers["Bündelung spart"].fillna(0.0),
        "Betreuungskosten": customers["Betreuungskosten"].fillna(0.0),
        "Umsatz": customers["Umsatz Vorjahr"].fillna(0.0),
        "Nicht kostendeckend": (customers["Bewertung"] == NOT_COVERED).astype(float),
        "Listenpreis durchsetzen": customers["Preis-Hinweis"].notna().astype(float),
    }, index=customers.index)[list(_SUMMED)]
    valid = rows >= 0
    grouped = frame[valid].groupby(rows[valid]).sum()
    count = len(order) + (1 if (rows == len(order)).any() else 0)
    table = grouped.reindex(range(count), fill_value=0.0)
    table.index = [*order, NO_SEGMENT][:count]
    table.loc[TOTAL] = table.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        table["Kostenanteil"] = np.where(table["Umsatz"] > 0, table["Betreuungskosten"]
                                         / table["Umsatz"].where(table["Umsatz"] > 0), np.nan)
    for column in ("Kunden", "Betroffene Kunden", "Nicht kostendeckend",
                   "Listenpreis durchsetzen"):
        table[column] = table[column].astype(int)
    table.index.name = None
    return table[list(TOTAL_COLUMNS)]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        (isinstance(value, str) and not value.strip())


def issue_rows(issues: list[Issue]) -> set[Hashable]:
    return {i.row for i in issues if i.row is not None}
