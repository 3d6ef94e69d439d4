"""The ``Maßnahmen`` sheet: one row per measure with status, amount, dates and computed columns."""

from __future__ import annotations

import datetime as _dt

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from ..core.columns import MEASURE_NAME_FIELD
from ..core.numbers import normalize_id
from ..core.pipeline import MEASURE_FIELDS, MEASURE_OUTPUT_FIELDS, PHASES, STATUSES
from .formats import Formats, column_formats, write_value

SHEET = "Maßnahmen"
TABLE = "tblMassnahmen"
INPUT_KEYS = ("customer_id", "measure", "phase", "status", "expected_revenue", "next_step",
              "due_date", "last_activity")
OUTPUT_KEYS = tuple(f.key for f in MEASURE_OUTPUT_FIELDS)
_HEAD_IN = {f.key: f.header for f in MEASURE_FIELDS}
_HEAD_OUT = {f.key: f.header for f in MEASURE_OUTPUT_FIELDS}
# (key, header, is_output)
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    (("customer_id", _HEAD_IN["customer_id"], False),
     (MEASURE_NAME_FIELD.key, MEASURE_NAME_FIELD.header, True))
    + tuple((k, _HEAD_IN[k], False) for k in INPUT_KEYS[1:])
    + tuple((k, _HEAD_OUT[k], True) for k in OUTPUT_KEYS))
# the outputs after the inputs: "probability", "code" and "notes" shown as the outputs are
_FIELDS = {f.key: f for f in MEASURE_FIELDS + (MEASURE_NAME_FIELD,) + MEASURE_OUTPUT_FIELDS}
NAME_FORMULA = ('=IFERROR(INDEX(tblKunden[Kunde],MATCH(tblMassnahmen[[#This Row],[Kunden-Nr]],'
                'tblKunden[Kunden-Nr],0)),'
                '"")')


def column(key: str) -> int:
    return [k for k, _h, _o in COLUMNS].index(key)


def write_massnahmen_sheet(ws: Worksheet, fmt: Formats, measures: pd.DataFrame | None,
                           names: dict[str, str] | None = None) -> None:
    """The measures table; ``measures`` holds COLUMNS keys (demo variant) or is None."""
    n_rows = 1 if measures is None or measures.empty else len(measures)
    formats = column_formats(fmt, [_FIELDS[key] for key, _head, _out in COLUMNS])
    columns = []
    for key, head, is_output in COLUMNS:
        spec = {"header": head, "header_format": fmt.header_out if is_output else fmt.header}
        if key in formats:
            spec["format"] = formats[key]
        if key == "customer_name":
            spec["formula"] = NAME_FORMULA
        columns.append(spec)
    ws.add_table(0, 0, n_rows, len(COLUMNS) - 1, {"name": TABLE, "style": "Table Style Light 9",
                                                  "columns": columns})
    for key, _head, _o in COLUMNS:
        ws.set_column(column(key), column(key), _FIELDS[key].width, formats.get(key))
    ws.set_row(0, 32)
    if measures is not None:
        for r, record in enumerate(measures.to_dict("records"), start=1):
            for key, _head, _o in COLUMNS:
                if key == "customer_name":
                    ws.write_formula(r, column(key), NAME_FORMULA, None,
                                     (names or {}).get(normalize_id(record.get("customer_id")), ""))
                    continue
                write_value(ws, r, column(key), record.get(key), formats.get(key))
    status = column("status")
    ws.data_validation(1, status, 1_048_575, status, {
        "validate": "list", "source": [s.label for s in STATUSES],
        "input_title": "Status", "input_message": "Stand der Maßnahme (bestimmt die "
                                                  "Wahrscheinlichkeit)",
        "error_title": "Unbekannter Status", "error_type": "warning",
        "error_message": "Bitte einen Status aus der Liste wählen."})
    phase = column("phase")
    ws.data_validation(1, phase, 1_048_575, phase, {
        "validate": "list", "source": list(PHASES), "error_type": "warning",
        "error_title": "Unbekannte Phase", "error_message": "Bitte eine Phase aus der Liste "
                                                            "wählen."})
    for key in ("due_date", "last_activity"):
        c = column(key)
        ws.data_validation(1, c, 1_048_575, c, {
            "validate": "date", "criteria": ">", "value": _dt.date(2000, 1, 1),
            "error_type": "warning", "error_title": "Kein Datum",
            "error_message": "Bitte ein Datum eingeben, z. B. 31.12.2026."})
    ws.freeze_panes(1, 2)



def demo_measures(customers: pd.DataFrame, today: _dt.date, seed: int = 7) -> pd.DataFrame:
    """Measures for the growth customers and prospects of the demo list (deterministic)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    ideas = ("Produktvorführung Neuheit", "Musterlieferung zur Erprobung", "Rahmenvertrag ausweiten",
             "Anwendungsschulung vor Ort", "Angebot Wartungsvertrag", "Zweite Abteilung gewinnen",
             "Wettbewerbsprodukt ablösen", "Webshop-Zugang einrichten", "Jahresgespräch Einkauf",
             "Referenzbesuch bei Schwesterfirma")
    steps = ("Termin vereinbaren", "Muster nachfassen", "Angebot nachfassen", "Entscheider "
             "einbinden", "Ergebnis der Erprobung besprechen", "Preisgespräch vorbereiten")
    picks = customers[customers["code"].fillna("").str.endswith(("Win", "Grow"))]
    picks = picks.sort_values("potential", ascending=False).head(30)
    rows = []
    for i, rec in enumerate(picks.to_dict("records")):
        status = STATUSES[int(rng.integers(0, len(STATUSES)))].label
        open_pot = max(float(rec["potential"]) - float(rec["revenue"] or 0), 0.0)
        rows.append({
            "customer_id": rec["customer_id"],
            "measure": ideas[i % len(ideas)],
            "phase": PHASES[min(int(rng.integers(0, 5)), 5)],
            "status": status,
            "expected_revenue": float(round(open_pot * rng.uniform(0.1, 0.4), -2)),
            "next_step": steps[int(rng.integers(0, len(steps)))],
            "due_date": today + _dt.timedelta(days=int(rng.integers(-20, 60))),
            "last_activity": today - _dt.timedelta(days=int(rng.integers(1, 90))),
        })
    return pd.DataFrame(rows)
