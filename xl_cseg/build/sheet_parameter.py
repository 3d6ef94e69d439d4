"""The ``Parameter`` sheet: the controller's inputs, each a workbook-level defined name."""

from __future__ import annotations


from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core.params import CODES, SPECS, Parameters, channel_names
from ..xlsx.cellref import a1
from .formats import Formats

SHEET = "Parameter"
VALUE_COL = 1


def absolute(row: int, col: int) -> str:
    """``$B$5`` for (4, 1)."""
    ref = a1(row, col)
    letters = ref.rstrip("0123456789")
    return f"${letters}${ref[len(letters):]}"


def write_parameter_sheet(wb: Workbook, ws: Worksheet, fmt: Formats, params: Parameters,
                          extra_sections: list[tuple[str, list[tuple[str, str, str, object, str]]]]
                          | None = None) -> None:
    """Inputs (yellow, unlocked), computed thresholds (grey, locked), the channel matrix.

    ``extra_sections``: further input groups as (title, [(name, label, unit, value, help)]), e.g.
    the pipeline's status probabilities.
    """
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 34)  # wide enough for the channel names of the matrix
    ws.set_column(2, 2, 12)
    ws.set_column(3, 3, 78)
    ws.set_column(4, 4, 26)
    ws.write_string(0, 0, "Parameter", fmt.title)
    ws.write_string(1, 0, "Gelbe Zellen sind Eingaben (vom Controlling einmal gepflegt, mit "
                          "„Parameter verteilen“ in alle Gebietsmappen übertragen); graue Zellen "
                          "rechnet die Mappe.", fmt.note)
    row = 3

    def name(defined: str, r: int, c: int = VALUE_COL) -> None:
        wb.define_name(defined, f"={SHEET}!{absolute(r, c)}")

    def described(r: int, label: str, unit: str, help_text: str, defined: str) -> None:
        """The label, unit, explanation and name columns around a value cell; the name."""
        ws.write_string(r, 0, label, fmt.label)
        ws.write_string(r, 2, unit, fmt.label)
        ws.write_string(r, 3, help_text, fmt.label)
        ws.write_string(r, 4, defined, fmt.label)
        name(defined, r)

    groups: dict[str, list] = {}
    for spec in SPECS:
        groups.setdefault(spec.group, []).append(spec)
    for group, specs in groups.items():
        ws.write_string(row, 0, group, fmt.subtitle)
        for col, text in enumerate(("Parameter", "Wert", "Einheit", "Erläuterung", "Name")):
            ws.write_string(row + 1, col, text, fmt.header)
        row += 2
        for spec in specs:
            value = getattr(params, spec.key)
            cell_fmt = {"percent": fmt.input_pct, "choice": fmt.input_text}.get(
                spec.kind, fmt.input_eur if spec.unit == "EUR" else fmt.input_num)
            if value is None:
                ws.write_blank(row, VALUE_COL, None, cell_fmt)
            elif isinstance(value, str):
                ws.write_string(row, VALUE_COL, value, cell_fmt)
            else:
                ws.write_number(row, VALUE_COL, value, cell_fmt)
            if spec.kind == "choice":
                ws.data_validation(row, VALUE_COL, row, VALUE_COL, {
                    "validate": "list", "source": list(spec.choices),
                    "error_title": "Ungültige Auswahl",
                    "error_message": "Bitte " + " oder ".join(spec.choices) + " wählen."})
            elif spec.minimum is not None or spec.maximum is not None:
                ws.data_validation(row, VALUE_COL, row, VALUE_COL, {
                    "validate": "integer" if spec.kind == "integer" else "decimal",
                    "criteria": "between",
                    "minimum": spec.minimum if spec.minimum is not None else -1e12,
                    "maximum": spec.maximum if spec.maximum is not None else 1e12,
                    "ignore_blank": True,
                    "error_title": "Wert außerhalb des Bereichs",
                    "error_message": f"{spec.label}: bitte einen Wert im zulässigen Bereich "
                                     "eingeben."})
            described(row, spec.label, spec.unit, spec.help, spec.name)
            row += 1
        row += 1

    # computed figures
    ws.write_string(row, 0, "Ergebnis (berechnet)", fmt.subtitle)
    row += 1
    computed = [
        ("Kosten_je_Besuch_wirksam", "Wirksame Kosten je Besuch", "EUR",
         "=IF(AND(N(AD_Kosten_Jahr)>0,N(AD_Besuche_Jahr)>0),AD_Kosten_Jahr/AD_Besuche_Jahr,"
         "Kosten_je_Besuch)", params.cost_per_visit,
         "Aus Kosten je Besuch oder Außendienstkosten / Besuche je Mitarbeiter."),
        ("Schwelle_C", "C-Kunden-Schwelle (Umsatz für B)", "EUR",
         "=Besuche_B*Kosten_je_Besuch_wirksam/Max_Vertriebskostenanteil", params.c_threshold,
         "Faustformel: Besuche x Kosten je Besuch / max. Vertriebskostenanteil "
         "(4 x 350 € / 10 % = 14.000 €). Darunter: C-Kunde."),
        ("Schwelle_A", "A-Kunden-Schwelle", "EUR",
         "=Besuche_A*Kosten_je_Besuch_wirksam/Max_Vertriebskostenanteil", params.a_threshold,
         "Dieselbe Regel mit der A-Besuchsfrequenz (12 Besuche → 42.000 €)."),
        ("Verfuegbare_Tage", "Verfügbare Arbeitstage", "Tage",
         "=Arbeitstage-Urlaubstage-Krankheitstage-Messetage-Interne_Tage",
         params.arbeitstage - params.urlaub - params.krankheit - params.messen
         - params.interne_tage, "Arbeitstage abzüglich Urlaub, Krankheit, Messen, interne Tage."),
        ("Kundentage", "Kundentage pro Jahr", "Tage", "=Verfuegbare_Tage*Kundentage_je_Woche/5",
         (params.arbeitstage - params.urlaub - params.krankheit - params.messen
          - params.interne_tage) * params.kundentage_woche / 5,
         "Verfügbare Tage x Kundentage pro Woche / 5 (deutlich unter 200)."),
    ]
    for col, text in enumerate(("Kennzahl", "Wert", "Einheit", "Erläuterung", "Name")):
        ws.write_string(row, col, text, fmt.header)
    row += 1
    for defined, label, unit, formula, value, help_text in computed:
        ws.write_formula(row, VALUE_COL, formula,
                         fmt.computed_eur if unit == "EUR" else fmt.computed_num, value)
        described(row, label, unit, help_text, defined)
        row += 1
    row += 1

    # channel matrix
    ws.write_string(row, 0, "Kanal und Besuche je Segment", fmt.subtitle)
    row += 1
    for col, text in enumerate(("Segment", "Kanal", "Besuche/Jahr", "Kontakte Inside Sales/Jahr")):
        ws.write_string(row, col, text, fmt.header)
    row += 1
    for code in CODES:
        rule = params.kanalmatrix[code]
        n_channel, n_visits, n_contacts = channel_names(code)
        ws.write_string(row, 0, code, fmt.codes[code])
        ws.write_string(row, 1, rule.channel, fmt.input_text)
        ws.write_number(row, 2, rule.visits, fmt.input_num)
        ws.write_number(row, 3, rule.contacts, fmt.input_num)
        name(n_channel, row, 1)
        name(n_visits, row, 2)
        name(n_contacts, row, 3)
        row += 1
    row += 1

    for title, items in extra_sections or []:
        ws.write_string(row, 0, title, fmt.subtitle)
        row += 1
        for col, text in enumerate(("Parameter", "Wert", "Einheit", "Erläuterung", "Name")):
            ws.write_string(row, col, text, fmt.header)
        row += 1
        for defined, label, unit, value, help_text in items:
            ws.write_number(row, VALUE_COL, float(value),
                            fmt.input_pct if unit == "%" else fmt.input_num)
            described(row, label, unit, help_text, defined)
            row += 1
        row += 1
    ws.freeze_panes(3, 0)
    ws.protect("", {"format_columns": True, "format_rows": True, "select_locked_cells": True,
                    "select_unlocked_cells": True})
