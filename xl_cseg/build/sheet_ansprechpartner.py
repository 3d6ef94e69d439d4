"""The ``Ansprechpartner`` sheet: the decision makers per customer (role, loyalty, status, last
contact), from which loyalty is derived and the contact risks are flagged (core.contacts)."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd
from xlsxwriter.worksheet import Worksheet

from ..core.contacts import CONTACT_HEADERS
from .formats import Formats, write_value

SHEET = "Ansprechpartner"
TABLE = "tblAnsprechpartner"
KEYS = ("customer_id", "customer_name", "name", "role", "loyalty", "status", "left_on",
        "last_contact")
NAME_FORMULA = ('=IFERROR(INDEX(tblKunden[Kunde],MATCH(tblAnsprechpartner[[#This Row],'
                '[Kunden-Nr]],tblKunden[Kunden-Nr],0)),"")')
ROLES = ("Einkauf", "Anwendung", "Teamleitung", "Geschäftsführung", "Technik", "Qualität")
_FIRST = ("Anna", "Jörg", "Petra", "Stefan", "Claudia", "Thomas", "Sabine", "Michael", "Julia",
          "Frank", "Katrin", "Uwe")
_LAST = ("Albers", "Brandt", "Dietrich", "Engel", "Fiedler", "Graf", "Heinrich", "Jansen",
         "Kuhn", "Ludwig", "Marx", "Otto", "Pohl", "Seidel", "Thiele", "Vogt")


def demo_contacts(customers: pd.DataFrame, today: _dt.date, seed: int = 2026) -> pd.DataFrame:
    """One to four decision makers for customers from 14,000 EUR revenue (deterministic): mostly
    purchasing and the using department, a few who left this year, a few not called for long."""
    rng = np.random.default_rng(seed)
    rows = []
    for cid, revenue in zip(customers["Kunden-Nr"], customers["Umsatz Vorjahr"]):
        if not revenue or revenue < 14_000:
            continue
        count = int(rng.choice([1, 2, 2, 3, 3, 4]))
        roles = list(rng.choice(ROLES, size=count, replace=False, p=None))
        for role in roles:
            left = rng.random() < 0.12
            rows.append({
                "customer_id": int(cid),
                "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", "role": str(role),
                "loyalty": int(rng.choice([2, 3, 3, 4, 4, 5])),
                "status": "ausgeschieden" if left else "aktiv",
                "left_on": today - _dt.timedelta(days=int(rng.integers(10, 500))) if left else None,
                "last_contact": today - _dt.timedelta(days=int(rng.choice(
                    [5, 20, 40, 70, 120, 200, 260])))})
    return pd.DataFrame(rows, columns=[k for k in KEYS if k != "customer_name"])


def write_ansprechpartner_sheet(ws: Worksheet, fmt: Formats, contacts: pd.DataFrame | None,
                                names: dict[str, str] | None = None) -> None:
    n_rows = 1 if contacts is None or contacts.empty else len(contacts)
    heads = {**CONTACT_HEADERS, "customer_name": "Kunde"}
    formats = {"left_on": fmt.date, "last_contact": fmt.date, "loyalty": fmt.num}
    columns = []
    for key in KEYS:
        spec = {"header": heads[key],
                "header_format": fmt.header_out if key == "customer_name" else fmt.header}
        if key in formats:
            spec["format"] = formats[key]
        if key == "customer_name":
            spec["formula"] = NAME_FORMULA
        columns.append(spec)
    ws.add_table(0, 0, n_rows, len(KEYS) - 1, {"name": TABLE, "style": "Table Style Light 9",
                                               "columns": columns})
    for col, width in enumerate((11, 36, 22, 18, 13, 14, 16, 15)):
        ws.set_column(col, col, width)
    ws.set_row(0, 32)
    status_col, loyalty_col = KEYS.index("status"), KEYS.index("loyalty")
    ws.data_validation(1, status_col, 1_048_575, status_col, {
        "validate": "list", "source": ["aktiv", "ausgeschieden"]})
    ws.data_validation(1, loyalty_col, 1_048_575, loyalty_col, {
        "validate": "integer", "criteria": "between", "minimum": 1, "maximum": 5,
        "ignore_blank": True, "error_title": "Verbundenheit 1-5",
        "error_message": "Bitte einen Wert von 1 (gering) bis 5 (sehr hoch) eingeben."})
    if contacts is not None:
        for r, record in enumerate(contacts.to_dict("records"), start=1):
            for c, key in enumerate(KEYS):
                if key == "customer_name":
                    ws.write_formula(r, c, NAME_FORMULA, None,
                                     (names or {}).get(str(record["customer_id"]), ""))
                else:
                    write_value(ws, r, c, record.get(key), formats.get(key))
    ws.freeze_panes(1, 0)
