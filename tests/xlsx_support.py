"""Shared helpers for the xl_cseg.xlsx tests (a helper module, not a test module)."""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
import xlsxwriter
from lxml import etree

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "excel-made"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.xls[xm]")) if CORPUS.is_dir() else []


needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"corpus folder {CORPUS} not available"
)


def simple_book(path: Path, rows: int = 3, **options: object) -> Path:
    """A small XlsxWriter workbook with a header row and ``rows`` data rows on "Kunden"."""
    wb = xlsxwriter.Workbook(str(path), options)
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Name", "Umsatz", "Region"])
    for r in range(1, rows + 1):
        ws.write_row(r, 0, [f"Kunde {r}", r * 100.5, "Nord"])
    wb.close()
    return path


def replace_member(path: Path, name: str, data: bytes) -> None:
    """Rewrite ``path`` with one member's content replaced (test setup only)."""
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, content in members:
            zf.writestr(info, data if info.filename == name else content)


def sheet_xml(rows: str, *, dimension: str = "A1", prefix: str = "") -> bytes:
    """A worksheet document with ``rows`` as the content of sheetData."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        f'<{p}worksheet {xmlns}><{p}dimension ref="{dimension}"/>'
        f"<{p}sheetData>{rows}</{p}sheetData>"
        f'<{p}pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        f'footer="0.3"/></{p}worksheet>'
    ).encode()


def cell_map(xml: bytes) -> dict[tuple[int, int], tuple[str | None, str | None, str | None]]:
    """(row, col) -> (s, t, value text) of every cell, honouring implicit positions."""
    root = etree.fromstring(xml)
    result = {}
    row = -1
    for row_el in root.iter(f"{{{MAIN_NS}}}row"):
        row = int(row_el.get("r")) - 1 if row_el.get("r") else row + 1
        col = -1
        for cell in row_el.iter(f"{{{MAIN_NS}}}c"):
            ref = cell.get("r")
            if ref:
                letters = re.match(r"[A-Z]+", ref).group(0)
                col = 0
                for ch in letters:
                    col = col * 26 + ord(ch) - 64
                col -= 1
            else:
                col += 1
            text = "".join(cell.itertext()) if len(cell) else None
            f = cell.find(f"{{{MAIN_NS}}}f")
            if f is not None:
                text = f"={f.text or ''}|{text}"
            result[row, col] = (cell.get("s"), cell.get("t"), text)
    return result


def dimension(xml: bytes) -> str | None:
    m = re.search(rb'<(?:\w+:)?dimension ref="([^"]*)"', xml)
    return m.group(1).decode() if m else None


def build_cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal compound file (OLE2, v3) holding the given streams (each < 4 KiB padded up)."""
    sector = 512
    bodies = [data.ljust(4096, b"\0") for data in streams.values()]
    fat = [0xFFFFFFFD, 0xFFFFFFFE]  # sector 0: FAT, sector 1: directory
    starts = []
    for body in bodies:
        first = len(fat)
        count = len(body) // sector
        starts.append(first)
        fat += [first + i + 1 for i in range(count - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0"
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(encoded), kind, 1, 0xFFFFFFFF, right, child)
            + b"\0" * 16
            + struct.pack("<I", 0)
            + b"\0" * 16
            + struct.pack("<IQ", start, size)
        )

    names = list(streams)
    directory = entry("Root Entry", 5, 1, 0xFFFFFFFF, 0xFFFFFFFE, 0)
    for i, (name, body) in enumerate(zip(names, bodies, strict=True), start=1):
        right = i + 1 if i < len(names) else 0xFFFFFFFF
        directory += entry(name, 2, 0xFFFFFFFF, right, starts[i - 1], len(body))
    directory = directory.ljust(sector, b"\0")
    difat = [0] + [0xFFFFFFFF] * 108
    header = (
        olefile.MAGIC
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
        + struct.pack("<109I", *difat)
    )
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + b"".join(bodies)
