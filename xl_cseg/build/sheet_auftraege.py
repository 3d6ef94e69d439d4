"""The ``Aufträge`` sheet: the optional order list (customer number, date, order value) from which
cost to serve and pricing count each customer's orders exactly."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from .formats import Formats, write_value

SHEET = "Aufträge"
TABLE = "tblAuftraege"
NAME_FORMULA = ('=IFERROR(INDEX(tblKunden[Kunde],MATCH(tblAuftraege[[#This Row],[Kunden-Nr]],'
                'tblKunden[Kunden-Nr],0)),"")')


def write_auftraege_sheet(ws: Worksheet, fmt: Formats, orders: pd.DataFrame | None,
                          names: dict[str, str] | None = None) -> None:
    """The order table; ``orders`` has Kunden-Nr, Datum, Auftragswert (demo) or is None."""
    n_rows = 1 if orders is None or orders.empty else len(orders)
    ws.add_table(0, 0, n_rows, 3, {"name": TABLE, "style": "Table Style Light 9", "columns": [
        {"header": "Kunden-Nr", "header_format": fmt.header},
        {"header": "Kunde", "header_format": fmt.header_out, "formula": NAME_FORMULA},
        {"header": "Datum", "header_format": fmt.header, "format": fmt.date},
        {"header": "Auftragswert", "header_format": fmt.header, "format": fmt.eur}]})
    for col, width in enumerate((11, 42, 12, 15)):
        ws.set_column(col, col, width)
    ws.set_row(0, 32)
    if orders is not None:
        for r, record in enumerate(orders.to_dict("records"), start=1):
            cid = record["Kunden-Nr"]
            write_value(ws, r, 0, cid)
            ws.write_formula(r, 1, NAME_FORMULA, None, (names or {}).get(str(cid), ""))
            write_value(ws, r, 2, record["Datum"], fmt.date)
            write_value(ws, r, 3, record["Auftragswert"], fmt.eur)
    ws.freeze_panes(1, 0)
