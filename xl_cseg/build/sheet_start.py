"""The ``Start`` sheet and the hidden ``xlwings.conf`` sheet."""

from __future__ import annotations

import math

from xlsxwriter.worksheet import Worksheet

from .formats import Formats
from .ribbon import RIBBON

INTRO = (
    "Diese Mappe teilt Ihre Kunden nach Umsatzgröße (A/B/C) und Potenzial (Win/Grow/Maintain) "
    "in neun Segmente ein – z. B. „C-Win“ (kauft fast alles beim Wettbewerb, hohes Potenzial) "
    "oder „A-Maintain“ (hoher Umsatz bei uns, kaum Potenzial: halten, nicht verlieren). "
    "Daraus folgen Kanal und Besuchsplan, Risiken, die Pipeline Ihrer Maßnahmen und die Lücke "
    "zum Umsatzziel."
)

STEPS = (
    "1. Blatt „Parameter“: Kosten je Besuch, Besuchsfrequenzen und maximalen "
    "Vertriebskostenanteil prüfen (kommt meist vom Controlling). Die C-Kunden-Schwelle folgt "
    "der Faustformel: 4 Besuche x 350 € / 10 % = 14.000 €.",
    "2. Blatt „Kunden“: Kunden-Nr, Kunde, Umsatz Vorjahr und Potenzial eintragen (Pflicht); "
    "Umsatz Vorvorjahr, Verbundenheit (1-5) und Gebiet helfen bei Trend und Risiko.",
    "3. Im Menüband „Kundensegmentierung“ auf „Segmentieren“ klicken. Die blauen Spalten rechts "
    "werden berechnet; Auffälligkeiten stehen in „Prüfhinweis“.",
    "4. Blatt „Maßnahmen“: je Kunde Maßnahme und Status pflegen, dann „Pipeline aktualisieren“ "
    "und „Planung berechnen“.",
    "5. Ohne Python weitergeben? „Werte einfrieren“ ersetzt Formeln durch ihre Werte.",
)

SETUP = (
    "Einrichtung (einmalig): Python 3.11+ installieren, dann in der Eingabeaufforderung "
    "„pip install xl-cseg“ (installiert auch xlwings). Beim Öffnen Makros aktivieren.",
    "Die Mappe sucht Python über das Blatt „xlwings.conf“ (ausgeblendet; Interpreter leer = "
    "Standard-Python im Suchpfad). Prüfen: „Einrichtung prüfen“ im Menüband oder "
    "„xl-cseg doctor“ in der Eingabeaufforderung.",
    "Ohne Excel/Makros: „xl-cseg segment Kundensegmentierung.xlsm“ rechnet dieselben Spalten.",
    "Mac: Menüband-Makros funktionieren; Python-Formeln (UDFs) gibt es mit xlwings nur unter "
    "Windows.",
)

CONF = (
    ("Interpreter_Win", ""),
    ("Interpreter_Mac", ""),
    ("PYTHONPATH", ""),
    ("Conda Path", ""),
    ("Conda Env", ""),
    ("UDF Modules", "xl_cseg.udfs"),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
)


TEXT_WIDTH = 126  # columns B and C together: the page's text width
LINE_HEIGHT = 15  # points per line of 11 pt text


def button_rows() -> list[tuple[str, str]]:
    """The ribbon's buttons as (label, description) lines of the Start sheet."""
    return [(f"{group.label}: {button.label}", button.supertip)
            for group in RIBBON for button in group.buttons]


def label_width() -> int:
    """Column B fits the longest bold button label."""
    return max(len(label) for label, _tip in button_rows()) + 2


def lines_needed(text: str, width: float) -> int:
    """Wrapped lines of ``text`` in a column ``width`` characters wide (rounded up: a row a
    little too high is white space, one too low hides the text under the next row)."""
    return max(1, math.ceil(len(text) / width))


def write_start_sheet(ws: Worksheet, fmt: Formats) -> None:
    ws.hide_gridlines(2)
    ws.set_column(0, 0, 3)
    labels = label_width()
    ws.set_column(1, 1, labels)
    ws.set_column(2, 2, TEXT_WIDTH - labels)
    ws.write_string(0, 1, "Kundensegmentierung", fmt.title)
    ws.merge_range(1, 1, 1, 2, INTRO, fmt.wrap)
    ws.set_row(1, 62)

    def paragraphs(row: int, title: str, lines: tuple[str, ...]) -> int:
        """A subtitle and one wrapped line per paragraph; returns the row after a gap."""
        ws.write_string(row, 1, title, fmt.subtitle)
        for offset, line in enumerate(lines, start=1):
            ws.merge_range(row + offset, 1, row + offset, 2, line, fmt.wrap)
            ws.set_row(row + offset, 32)
        return row + len(lines) + 2

    row = paragraphs(3, "Erste Schritte", STEPS)
    ws.write_string(row, 1, "Menüband „Kundensegmentierung“", fmt.subtitle)
    row += 1
    for label, tip in button_rows():
        ws.write_string(row, 1, label, fmt.bold_top)
        ws.write_string(row, 2, tip, fmt.wrap)
        lines = lines_needed(tip, TEXT_WIDTH - labels)
        if lines > 1:  # Excel and LibreOffice keep a wrapped row at one line's height
            ws.set_row(row, LINE_HEIGHT * lines)
        row += 1
    paragraphs(row + 1, "Python und xlwings", SETUP)


def write_conf_sheet(ws: Worksheet) -> None:
    """xlwings' standalone settings (keys in column A, values in column B, from A1)."""
    for row, (key, value) in enumerate(CONF):
        ws.write_string(row, 0, key)
        if isinstance(value, bool):
            ws.write_boolean(row, 1, value)
        elif value:
            ws.write_string(row, 1, value)
    ws.hide()
