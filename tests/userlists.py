"""Customer lists made the way reps make them, not by this project's writer.

- :func:`csv_export`: a German CRM/ERP export (``;``-separated, ``14.000,50``) converted to .xlsx
  by LibreOffice (``soffice --headless --convert-to xlsx``, German locale), as a rep gets it after
  opening and saving the export. Skips the test when soffice is missing (fails under CI, which
  installs it).
- :func:`typed_list`: a list typed into openpyxl with title rows, styles, an autofilter, a totals
  row and whatever own columns the rep keeps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Sequence

import openpyxl
from openpyxl.styles import Font, PatternFill

from tests.lo.harness import SOFFICE, require

GERMAN = 1031  # LibreOffice language id: numbers as a German Excel reads them


def soffice_missing() -> str | None:
    return None if Path(SOFFICE).exists() else f"{SOFFICE} missing"


def require_soffice() -> None:
    """Skip the calling test without soffice (the conversion needs no ``uno``); fail under CI."""
    require(soffice_missing())


def csv_export(folder: Path, name: str, lines: Sequence[str], *, timeout: float = 120,
               split: bool = True) -> Path:
    """``lines`` (``;``-separated, UTF-8) written as ``name``.csv and converted by LibreOffice
    to ``name``.xlsx in ``folder``; the path of the .xlsx. ``split=False``: converted with
    LibreOffice's defaults (comma, not UTF-8), as a CSV opened without the import dialog."""
    require_soffice()
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / f"{name}.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = Path(tempfile.mkdtemp(prefix="xl-cseg-lo-"))
    try:
        # separator ;, quote ", UTF-8, from line 1, default column types, German locale
        infilter = [f"--infilter=CSV:59,34,76,1,,{GERMAN}"] if split else []
        subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        *infilter, "--convert-to", "xlsx",
                        "--outdir", str(folder), str(csv)],
                       check=True, capture_output=True, timeout=timeout,
                       env={**os.environ, "HOME": str(profile)})
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = folder / f"{name}.xlsx"
    assert out.exists(), f"LibreOffice wrote no {out.name}"
    csv.unlink()
    return out


def typed_list(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
               sheet: str = "Kunden", title_rows: Sequence[str] = (), autofilter: bool = True,
               after: Sequence[Sequence[Any]] = (), extra=None) -> Path:
    """A hand-kept list typed in openpyxl: title lines, a bold filled header with an
    autofilter, number formats on amounts, then ``rows`` and ``after`` (totals, notes)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for text in title_rows:
        ws.append([text])
        ws.cell(ws.max_row, 1).font = Font(bold=True, size=14)
    if title_rows:
        ws.append([])
    ws.append(list(headers))
    head = ws.max_row
    for cell in ws[head]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in [*rows, *after]:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, (int, float)):
                cell.number_format = "#,##0 €"
    if autofilter:
        ws.auto_filter.ref = f"A{head}:{openpyxl.utils.get_column_letter(len(headers))}" \
                             f"{head + len(rows)}"
    notes = wb.create_sheet("Notizen")
    notes["A1"] = "bleibt unverändert"
    if extra:
        extra(wb, ws)
    wb.save(path)
    return path
