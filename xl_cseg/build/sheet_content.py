"""Write a :class:`xlsx.new_sheet.SheetContent` (the layout ``xl-cseg`` also writes into a rep's
workbook) with XlsxWriter, in the workbook's own look."""

from __future__ import annotations

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..xlsx.new_sheet import Formula, SheetContent
from .formats import EUR, FONT, INK, Formats, write_value


def write_content(wb: Workbook, ws: Worksheet, fmt: Formats, content: SheetContent) -> None:
    base = {"font_name": FONT, "font_size": 11, "font_color": INK, "valign": "vcenter"}

    def f(**props):
        return wb.add_format({**base, **props})

    formats = {"header": fmt.header, "bold": fmt.subtitle, "eur": fmt.eur, "pct": f(num_format="0.0%"),
               "int": fmt.num, "dec": f(num_format="#,##0.0"), "date": fmt.date,
               "eur_bold": f(num_format=EUR, bold=True), "pct_bold": f(num_format="0.0%",
                                                                        bold=True),
               "int_bold": f(num_format="#,##0", bold=True)}
    for col, width in content.widths.items():
        ws.set_column(col, col, width)
    for (r, c), value in sorted(content.cells.items()):
        cell_format = formats.get(content.formats.get((r, c), ""))
        if isinstance(value, Formula):
            ws.write_formula(r, c, "=" + value.text, cell_format,
                             "" if value.cached is None else value.cached)
        else:
            write_value(ws, r, c, value, cell_format)
    if (0, 0) in content.cells:
        ws.write_string(0, 0, str(content.cells[(0, 0)]), fmt.title)
    if content.freeze_row:
        ws.freeze_panes(content.freeze_row, 0)
