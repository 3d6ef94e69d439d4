"""open_package checks, safe XML, size limits and the read-only Package API."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
import xlsxwriter
from xlsx_support import build_cfb, replace_member, sheet_xml, simple_book

from xl_cseg.xlsx import safezip
from xl_cseg.xlsx.errors import (
    CorruptWorkbook,
    EncryptedWorkbook,
    NotAWorkbook,
    PartTooLarge,
    UnsafeXml,
    WorkbookError,
    WorkbookNotFound,
)
from xl_cseg.xlsx.safexml import parse_xml
from xl_cseg.xlsx.safezip import open_package

SHEET = "xl/worksheets/sheet1.xml"


def _error(path: Path) -> WorkbookError:
    with pytest.raises(WorkbookError) as info:
        open_package(path)
    assert str(info.value) == info.value.message
    assert path.name in info.value.message
    return info.value


# --- file type checks -----------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert isinstance(_error(tmp_path / "fehlt.xlsx"), WorkbookNotFound)


@pytest.mark.parametrize("content", [b"", os.urandom(3000), b"Name;Umsatz\nA;1\n"])
def test_not_a_workbook(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "daten.xlsx"
    path.write_bytes(content)
    error = _error(path)
    assert isinstance(error, NotAWorkbook)
    assert "keine Excel-Arbeitsmappe (.xlsx/.xlsm)" in error.message


def test_random_bytes_after_zip_signature_are_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(5000))
    assert isinstance(_error(path), CorruptWorkbook)


def test_truncated_zip(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "abgeschnitten.xlsx", rows=200)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    error = _error(path)
    assert isinstance(error, CorruptWorkbook)
    assert "beschädigt" in error.message


def test_truncated_member_data_is_corrupt(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "b.xlsx", rows=200)
    package = open_package(path)
    info = package.info(SHEET)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10 : start + 60] = os.urandom(50)
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptWorkbook):
        open_package(path).read(SHEET)


def test_wrong_crc_is_corrupt(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "crc.xlsx", rows=50)
    data = bytearray(path.read_bytes())
    central = data.rfind(SHEET.encode()) - 46
    crc = struct.unpack_from("<I", data, central + 16)[0]
    struct.pack_into("<I", data, central + 16, crc ^ 1)
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptWorkbook):
        open_package(path).read(SHEET)


def test_stored_member_is_read(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "stored.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as zf:
        zf.writestr("xl/media/raw.bin", b"ungepackt" * 10)
    assert open_package(path).read("xl/media/raw.bin") == b"ungepackt" * 10


def test_zip_without_content_types_or_workbook(tmp_path: Path) -> None:
    path = tmp_path / "archiv.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hallo")
    assert isinstance(_error(path), NotAWorkbook)
    book = simple_book(tmp_path / "ohne.xlsx")
    replace_member(
        book,
        "_rels/.rels",
        b'<?xml version="1.0"?><Relationships '
        b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>',
    )
    assert isinstance(_error(book), NotAWorkbook)


def test_word_document_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "brief.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>',
        )
        zf.writestr("word/document.xml", "<document/>")
    assert isinstance(_error(path), NotAWorkbook)


def test_duplicate_members_are_corrupt(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "doppelt.xlsx")
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as zf:
        zf.writestr(SHEET.upper(), "x")
        zf.writestr(SHEET, "x")
    assert isinstance(_error(path), CorruptWorkbook)


def test_ole_encrypted_and_legacy(tmp_path: Path) -> None:
    encrypted = tmp_path / "geheim.xlsx"
    encrypted.write_bytes(
        build_cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"x"})
    )
    error = _error(encrypted)
    assert isinstance(error, EncryptedWorkbook)
    assert "kennwortgeschützt/verschlüsselt" in error.message
    legacy = tmp_path / "alt.xls"
    legacy.write_bytes(build_cfb({"Workbook": b"\x09\x08"}))
    error = _error(legacy)
    assert isinstance(error, NotAWorkbook)
    assert ".xls" in error.message
    broken = tmp_path / "ole.xlsx"
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert isinstance(_error(broken), NotAWorkbook)


def test_really_encrypted_workbook(tmp_path: Path) -> None:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml", reason="msoffcrypto-tool missing")
    plain = simple_book(tmp_path / "plain.xlsx")
    encrypted = tmp_path / "verschluesselt.xlsx"
    with plain.open("rb") as src, encrypted.open("wb") as dst:
        ooxml.OOXMLFile(src).encrypt("geheim", dst)
    assert isinstance(_error(encrypted), EncryptedWorkbook)


# --- XML safety -----------------------------------------------------------------------

BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'
)


@pytest.mark.parametrize(
    "data",
    [
        BOMB,
        b'<!-- c --><?pi x?>\n<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>',
        b"\xef\xbb\xbf" + BOMB,
        BOMB.decode().encode("utf-16"),
    ],
    ids=["entities", "external-dtd", "bom", "utf16"],
)
def test_doctype_is_rejected(data: bytes) -> None:
    with pytest.raises(UnsafeXml) as info:
        parse_xml(data, "xl/workbook.xml", "mappe.xlsx")
    assert "xl/workbook.xml" in info.value.message and "mappe.xlsx" in info.value.message


def test_safe_xml_parses_and_bad_xml_is_corrupt() -> None:
    assert parse_xml(b'<?xml version="1.0"?><a><b/></a>', "p").tag == "a"
    assert parse_xml("<a>ü</a>".encode("utf-16"), "p").text == "ü"
    for bad in (b"<a>", b"", b"   ", b"not xml"):
        with pytest.raises(CorruptWorkbook):
            parse_xml(bad, "p")


def test_unsafe_parts_in_workbook(tmp_path: Path) -> None:
    book = simple_book(tmp_path / "xxe.xlsx")
    replace_member(book, "xl/workbook.xml", BOMB)
    with pytest.raises(UnsafeXml):
        open_package(book).sheets()
    book = simple_book(tmp_path / "xxe2.xlsx")
    sheet = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')
    replace_member(book, SHEET, sheet.replace(b"\r\n", b"\r\n<!DOCTYPE w [<!ENTITY e 'x'>]>", 1))
    with pytest.raises(UnsafeXml):  # every part's prolog is checked when the package opens
        open_package(book)


def test_unused_doctype_in_any_part_is_refused_at_opening(tmp_path: Path) -> None:
    book = simple_book(tmp_path / "sst.xlsx")
    with zipfile.ZipFile(book) as zf:
        sst = zf.read("xl/sharedStrings.xml")
    replace_member(book, "xl/sharedStrings.xml", sst.replace(
        b"?>", b'?><!DOCTYPE sst [<!ENTITY e SYSTEM "file:///etc/passwd">]>', 1))
    with pytest.raises(UnsafeXml) as info:
        open_package(book)
    assert "xl/sharedStrings.xml" in info.value.message
    # behind a long comment, beyond the first bytes read
    replace_member(book, "xl/sharedStrings.xml", sst.replace(
        b"?>", b"?><!--" + b"x" * 10_000 + b"--><!DOCTYPE sst>", 1))
    with pytest.raises(UnsafeXml):
        open_package(book)
    replace_member(book, "xl/sharedStrings.xml", sst.replace(
        b"?>", b"?><!--" + b"x" * 10_000 + b"-->", 1))
    open_package(book)  # a long comment alone is fine


# --- size limits ----------------------------------------------------------------------


def _zip_with_zeros(path: Path, name: str, size: int) -> None:
    """A valid package plus a member of ``size`` zero bytes, deflated while streaming."""
    simple_book(path)
    chunk = bytes(1 << 20)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open(name, "w", force_zip64=size > 2**31) as fh,
    ):
        for _ in range(size >> 20):
            fh.write(chunk)


def test_zip_bomb_refused_before_inflating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bombe.xlsx"
    _zip_with_zeros(path, "xl/media/bomb.bin", 600 << 20)
    assert path.stat().st_size < 5 << 20
    package = open_package(path)  # binary parts are only checked when read
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("inflated"))
    with pytest.raises(PartTooLarge) as info:
        package.read("xl/media/bomb.bin")
    assert "xl/media/bomb.bin" in info.value.message and "bombe.xlsx" in info.value.message


def test_xml_bomb_refused_when_opening(tmp_path: Path) -> None:
    path = tmp_path / "bombe.xlsx"
    _zip_with_zeros(path, "xl/worksheets/sheet9.xml", 600 << 20)
    with pytest.raises(PartTooLarge) as info:
        open_package(path)
    assert "xl/worksheets/sheet9.xml" in info.value.message


def test_compression_ratio_limit(tmp_path: Path) -> None:
    path = tmp_path / "ratio.xlsx"
    _zip_with_zeros(path, "xl/media/zeros.bin", 12 << 20)
    with pytest.raises(PartTooLarge) as info:
        open_package(path).read("xl/media/zeros.bin")
    assert "Kompressionsverhältnis" in info.value.message


def test_limits_are_module_constants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = simple_book(tmp_path / "klein.xlsx", rows=50)
    package = open_package(path)
    monkeypatch.setattr(safezip, "MAX_PART_SIZE", 100)
    with pytest.raises(PartTooLarge):
        package.read(SHEET)


def test_lying_size_is_never_exceeded(tmp_path: Path) -> None:
    """A member whose headers understate its size yields at most the declared bytes."""
    path = tmp_path / "luege.xlsx"
    simple_book(path)
    payload = b"A" * 50_000
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/data.bin", payload)
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("xl/media/data.bin")
    struct.pack_into("<I", data, info.header_offset + 22, 100)  # local header: file size
    central = data.rfind(b"xl/media/data.bin") - 46
    struct.pack_into("<I", data, central + 24, 100)  # central directory: file size
    path.write_bytes(bytes(data))
    with pytest.raises((CorruptWorkbook, PartTooLarge)):
        open_package(path).read("xl/media/data.bin")


def test_bounded_read_stops_at_budget() -> None:
    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            buffer[:] = b"x" * len(buffer)
            return len(buffer)

    class FakeZip:
        def open(self, info):  # type: ignore[no-untyped-def]
            return Endless()

    info = zipfile.ZipInfo("x.xml")
    info.file_size = info.compress_size = 3 << 20
    with pytest.raises(PartTooLarge):
        safezip.read_member(FakeZip(), info, "f.xlsx")  # type: ignore[arg-type]


# --- Package API ----------------------------------------------------------------------


def _rich_book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    pct = wb.add_format({"num_format": "0%"})
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Name", "Umsatz", "Anteil"])
    ws.write_row(1, 0, ["A", 10, 0.5])
    ws.write(2, 2, 0.25, pct)
    ws.write_formula(3, 1, "=SUM(B2:B3)", None, 10)
    ws.set_row(5, None, None, {"hidden": True})
    ws.merge_range("E1:F2", "Titel")
    ws2 = wb.add_worksheet("Versteckt")
    ws2.hide()
    ws2.add_table(
        "B2:D5",
        {
            "name": "Liste",
            "columns": [{"header": "Kunde"}, {"header": "Wert"}, {"header": "Zeile\nzwei"}],
            "total_row": True,
        },
    )
    chart_sheet = wb.add_chartsheet("Diagramm")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": "=Kunden!$B$2:$B$3"})
    chart_sheet.set_chart(chart)
    wb.define_name("Jahr", "=Kunden!$B$2")
    wb.define_name("Versteckt!lokal", "=Versteckt!$A$1")
    wb.close()
    return path


def test_sheets_tables_names_styles(tmp_path: Path) -> None:
    package = open_package(_rich_book(tmp_path / "reich.xlsx"))
    assert package.workbook_part == "xl/workbook.xml"
    sheets = package.sheets()
    assert [(s.name, s.part, s.sheet_id, s.state) for s in sheets] == [
        ("Kunden", "xl/worksheets/sheet1.xml", 1, "visible"),
        ("Versteckt", "xl/worksheets/sheet2.xml", 2, "hidden"),
    ]
    assert package.tables(sheets[0].part) == []
    (table,) = package.tables(sheets[1].part)
    assert (table.name, table.display_name, table.ref) == ("Liste", "Liste", "B2:D5")
    assert (table.header_row_count, table.totals_row_count) == (1, 1)
    assert table.columns == ["Kunde", "Wert", "Zeile\nzwei"]
    assert table.part == "xl/tables/table1.xml"
    names = {(n.name, n.local_sheet_id, n.text) for n in package.defined_names()}
    assert ("Jahr", None, "Kunden!$B$2") in names
    assert ("lokal", 1, "Versteckt!$A$1") in names
    index = package.percent_style_index()
    assert index is not None
    assert package.cell_style(sheets[0].part, 2, 2) == index
    assert package.cell_style(sheets[0].part, 1, 0) == 0
    assert package.cell_style(sheets[0].part, 50, 0) is None
    assert package.merged_ranges(sheets[0].part) == [((0, 4), (1, 5))]
    special = package.special_cells(sheets[0].part)
    assert special == {(3, 1): ("formula", "SUM(B2:B3)", True, "10", None)}


def test_percent_style_variants(tmp_path: Path) -> None:
    def book(fmt: str | None) -> Path:
        path = tmp_path / f"p{abs(hash(fmt))}.xlsx"
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet()
        ws.write(0, 0, 1, wb.add_format({"num_format": fmt}) if fmt else None)
        wb.close()
        return path

    assert open_package(book(None)).percent_style_index() is None
    assert open_package(book('0.0"%"')).percent_style_index() is None
    assert open_package(book("[Red]0.0%")).percent_style_index() == 1
    assert open_package(book("0.00%")).percent_style_index() == 1


def test_special_cells_filters_and_errors(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "f.xlsx")
    rows = (
        '<row r="1"><c r="A1" t="e"><v>#N/A</v></c><c r="B1"><f>1/0</f></c>'
        '<c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
        '<row r="3"><c r="A3" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
        '<c r="B3"><f t="shared" ref="B3:B4" si="0">A3</f><v>0</v></c></row>'
        '<row r="4"><c r="B4"><f t="shared" si="0"/><v>0</v></c><c r="D4" t="inlineStr">'
        '<is><r><rPr><color rgb="FF0000"/></rPr><t>rot</t></r></is></c></row>'
    )
    replace_member(path, SHEET, sheet_xml(rows, dimension="A1:D4"))
    package = open_package(path)
    cells = package.special_cells(SHEET)
    assert cells == {
        (0, 0): ("error", None, True, "#N/A", "#N/A"),
        (0, 1): ("formula", "1/0", False, None, None),
        (0, 2): ("formula", "1/0", True, "#DIV/0!", "#DIV/0!"),
        (2, 0): ("formula", '"a"&"b"', True, "ab", None),
        (2, 1): ("formula", "A3", True, "0", None),
        (3, 1): ("formula", "", True, "0", None),
    }
    assert set(package.special_cells(SHEET, 1, 3, [1])) == {(2, 1), (3, 1)}
    assert set(package.special_cells(SHEET, 0, 0)) == {(0, 0), (0, 1), (0, 2)}
    prefixed = sheet_xml(rows.replace("<", "<x:").replace("<x:/", "</x:"), prefix="x")
    replace_member(path, SHEET, prefixed)
    assert open_package(path).special_cells(SHEET) == cells


def test_absolute_targets_and_case_insensitive_parts(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "abs.xlsx")
    with zipfile.ZipFile(path) as zf:
        rels = zf.read("xl/_rels/workbook.xml.rels")
    replace_member(
        path,
        "xl/_rels/workbook.xml.rels",
        rels.replace(b'Target="worksheets/sheet1.xml"', b'Target="/XL/Worksheets/Sheet1.xml"'),
    )
    package = open_package(path)
    assert package.sheets()[0].part == SHEET
    assert package.read("/XL/WORKSHEETS/SHEET1.XML").startswith(b"<?xml")
    with pytest.raises(CorruptWorkbook):
        package.read("xl/nothing.xml")


def test_no_handle_kept_and_changes_detected(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "h.xlsx")
    package = open_package(path)
    package.read(SHEET)
    os.replace(simple_book(tmp_path / "other.xlsx", rows=1), path)  # fails on Windows if open
    with pytest.raises(WorkbookError) as info:
        package.read("xl/workbook.xml")
    assert "verändert" in info.value.message


def test_cfb_builder_is_readable_by_olefile(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(build_cfb({"EncryptionInfo": b"abc", "EncryptedPackage": b"def"}))
    with olefile.OleFileIO(str(path)) as ole:
        assert sorted("/".join(e) for e in ole.listdir()) == ["EncryptedPackage", "EncryptionInfo"]
        assert ole.openstream("EncryptionInfo").read()[:3] == b"abc"


def test_a_released_sheet_is_read_again_when_needed_and_its_scan_kept(tmp_path: Path) -> None:
    """A job lets go of a big sheet's bytes while it computes: the scan keeps what it found,
    the bytes come back unchanged when they are needed, a file changed meanwhile is refused."""
    import time

    from xl_cseg.xlsx.errors import WorkbookError

    path = simple_book(tmp_path / "mappe.xlsx")
    pkg = open_package(path)
    part = pkg.sheets()[0].part
    xml = pkg.read(part)
    scan = pkg.sheet_scan(part)
    rows = scan.rows_with_content
    pkg.release(part)
    assert scan.released and pkg.sheet_scan(part) is scan
    assert scan.rows_with_content is rows  # kept, not found again
    assert scan.xml == xml and not scan.released  # read again
    assert pkg.sheet_scan(part) is scan
    pkg.release(part)
    time.sleep(0.01)
    path.write_bytes(path.read_bytes())
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    with pytest.raises(WorkbookError, match="verändert"):
        pkg.sheet_scan(part)


def test_a_big_member_is_inflated_piece_by_piece_exactly(tmp_path: Path) -> None:
    """Stored data of several MiB (inflated a MiB at a time) reads back as written; the same
    member cut short is corrupt, one that inflates to more than declared is refused."""
    import random

    rng = random.Random(11)
    data = b"".join(b"<c><v>%d</v></c>" % rng.randrange(10**12) for _ in range(400_000))
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.xml", data)
    info = zipfile.ZipFile(path).getinfo("a.xml")
    assert info.compress_size > 2 * safezip.STORED_PIECE
    assert safezip.inflate_member(path, info) == data
    cut = tmp_path / "cut.zip"
    cut.write_bytes(path.read_bytes()[: info.header_offset + 30 + len("a.xml")
                                      + info.compress_size // 2])
    with pytest.raises(CorruptWorkbook):
        safezip.inflate_member(cut, info)
    info.file_size -= 1000
    with pytest.raises(PartTooLarge):
        safezip.inflate_member(path, info)
