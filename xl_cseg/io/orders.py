"""Find the optional order list (``Aufträge``): one row per order with customer number, date and
order value, from which cost to serve and pricing count orders exactly."""

from __future__ import annotations

from .reader import CustomerTable, find_named_table
from .source import SheetSource

_ALIASES = {
    "customer_id": ("kundennr", "kdnr", "kundennummer", "kunde", "debitor", "debitornr",
                    "customerid", "customerno"),
    "date": ("datum", "auftragsdatum", "bestelldatum", "belegdatum", "lieferdatum", "date",
             "orderdate"),
    "value": ("auftragswert", "bestellwert", "wert", "betrag", "nettowert", "nettobetrag",
              "umsatz", "ordervalue", "value", "amount"),
}
_BY_ALIAS = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}
SHEET_NAMES = ("auftraege", "auftragsliste", "bestellungen", "orders")


def find_orders_table(source: SheetSource) -> CustomerTable | None:
    """The order list on a sheet called ``Aufträge`` (or ``Bestellungen``/``Orders``), as an
    Excel Table or a header row in its first rows; None when the workbook keeps none."""
    return find_named_table(source, SHEET_NAMES, _BY_ALIAS, lambda match: all(
        k in match.columns for k in ("customer_id", "date", "value")))
