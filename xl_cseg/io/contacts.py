"""Find the optional contact sheet (``Ansprechpartner``): one row per decision maker with
customer number, name, role, loyalty, status, date of leaving and last contact."""

from __future__ import annotations

from .reader import CustomerTable, find_named_table
from .source import SheetSource

_ALIASES = {
    "customer_id": ("kundennr", "kdnr", "kundennummer", "debitor", "customerid"),
    "name": ("name", "ansprechpartner", "kontakt", "person", "entscheider"),
    "role": ("rolle", "funktion", "position", "abteilung", "bereich", "role"),
    "loyalty": ("verbundenheit", "loyalitaet", "bindung", "loyalty"),
    "status": ("status", "aktiv"),
    "left_on": ("ausgeschiedenam", "ausgeschieden", "austritt", "austrittsdatum", "abgang"),
    "last_contact": ("letzterkontakt", "letzterkontaktam", "kontaktam", "lastcontact"),
}
_BY_ALIAS = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}
SHEET_NAMES = ("ansprechpartner", "kontakte", "entscheider", "contacts")


def find_contacts_table(source: SheetSource) -> CustomerTable | None:
    """The contact table on a sheet called ``Ansprechpartner`` (or ``Kontakte``), as an Excel
    Table or a header row in its first rows; None when the workbook keeps none."""
    return find_named_table(source, SHEET_NAMES, _BY_ALIAS, lambda match: (
        "customer_id" in match.columns and ("loyalty" in match.columns
                                            or "role" in match.columns)))
