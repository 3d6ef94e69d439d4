"""write_package: raw copies, metadata, atomic replacement, locks and killed writers."""

from __future__ import annotations

import io
import os
import random
import signal
import stat
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from xlsx_support import simple_book

from xl_cseg.xlsx import atomic
from xl_cseg.xlsx.atomic import (
    TEMP_PREFIX,
    check_writable,
    cleanup_stale_temps,
    write_package,
)
from xl_cseg.xlsx.chunks import Chunks
from xl_cseg.xlsx.errors import CorruptWorkbook, WorkbookError, WorkbookLocked, WorkbookReadOnly

SHEET = "xl/worksheets/sheet1.xml"
ROOT = Path(__file__).resolve().parents[1]


class _Unseekable(io.BytesIO):
    def seek(self, *args: object) -> int:  # type: ignore[override]
        raise OSError("not seekable")


def _odd_zip(path: Path) -> None:
    """Members with assorted metadata, including one with a data descriptor."""
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w") as zf:
        info = zipfile.ZipInfo("[Content_Types].xml", (2021, 7, 28, 0, 15, 14))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o100644 << 16
        info.create_system = 3
        info.extra = b"UT\x05\x00\x03\x82\x93\x00a"
        zf.writestr(info, b"<Types/>" * 50)
        info = zipfile.ZipInfo("xl/media/image1.png", (1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED
        info.comment = b"bild"
        zf.writestr(info, os.urandom(3000))
        info = zipfile.ZipInfo(SHEET, (2024, 2, 14, 23, 49, 52))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o100600 << 16
        zf.writestr(info, b"<worksheet/>" * 100)
        info = zipfile.ZipInfo("docProps/app.xml", (1980, 1, 31, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, b"<Properties/>")
        zf.comment = b"archive comment"
    path.write_bytes(stream.getvalue())


def _raw_member(path: Path, info: zipfile.ZipInfo) -> bytes:
    """Local header + compressed data (+ data descriptor) exactly as stored."""
    data = path.read_bytes()
    start = info.header_offset
    name_len, extra_len = (
        int.from_bytes(data[start + 26 : start + 28], "little"),
        int.from_bytes(data[start + 28 : start + 30], "little"),
    )
    end = start + 30 + name_len + extra_len + info.compress_size
    if info.flag_bits & 0x08:
        end += 16 if data[end : end + 4] == b"PK\x07\x08" else 12
    return data[start:end]


FIELDS = (
    "filename", "date_time", "compress_type", "comment", "extra", "create_system",
    "create_version", "extract_version", "flag_bits", "internal_attr", "external_attr", "CRC",
    "compress_size", "file_size",
)  # fmt: skip


def test_untouched_members_are_copied_raw(tmp_path: Path) -> None:
    src, dst = tmp_path / "src.xlsx", tmp_path / "dst.xlsx"
    _odd_zip(src)
    original = src.read_bytes()
    write_package(src, dst, {SHEET: b"<worksheet>neu</worksheet>"})
    assert src.read_bytes() == original
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst) as b:
        assert a.namelist() == b.namelist()
        assert b.comment == b"archive comment"
        assert b.testzip() is None
        for old, new in zip(a.infolist(), b.infolist(), strict=True):
            if old.filename == SHEET:
                assert b.read(new) == b"<worksheet>neu</worksheet>"
                for field in ("date_time", "compress_type", "external_attr", "create_system"):
                    assert getattr(old, field) == getattr(new, field), field
                continue
            assert old.flag_bits & 0x08 or old.filename == "xl/media/image1.png"
            assert [getattr(old, f) for f in FIELDS] == [getattr(new, f) for f in FIELDS]
            assert _raw_member(src, old) == _raw_member(dst, new)
            assert a.read(old) == b.read(new)


def test_in_place_write_keeps_mode(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "mappe.xlsx")
    os.chmod(path, 0o640)
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read(SHEET)
    write_package(path, path, {SHEET: sheet.replace(b"<v>100.5</v>", b"<v>42</v>")})
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with zipfile.ZipFile(path) as zf:
        assert b"<v>42</v>" in zf.read(SHEET)
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


def test_errors_leave_original_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = simple_book(tmp_path / "mappe.xlsx")
    original = path.read_bytes()
    with pytest.raises(KeyError):
        write_package(path, path, {"xl/unknown.xml": b"x"})

    def broken(*args: object) -> None:
        raise zipfile.BadZipFile("simulated")

    monkeypatch.setattr(atomic, "_write_replaced", broken)
    with pytest.raises(CorruptWorkbook):
        write_package(path, path, {SHEET: b"<x/>"})
    monkeypatch.undo()
    monkeypatch.setattr(atomic, "_local_header_ok", lambda *a: False)
    with pytest.raises(WorkbookError) as info:
        write_package(path, path, {SHEET: b"<x/>"})
    assert "unverändert" in info.value.message
    monkeypatch.undo()
    monkeypatch.setattr(atomic.os, "replace", lambda *a: (_ for _ in ()).throw(PermissionError()))
    with pytest.raises(WorkbookLocked):
        write_package(path, path, {SHEET: b"<x/>"})
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mappe.xlsx"]


def test_lock_files(tmp_path: Path) -> None:
    path = simple_book(tmp_path / "Kundenliste.xlsx")
    check_writable(path)
    check_writable(tmp_path / "neu.xlsx")
    for lock_name in ("~$Kundenliste.xlsx", "~$ndenliste.xlsx"):
        lock = tmp_path / lock_name
        lock.write_bytes(b"owner")
        with pytest.raises(WorkbookLocked) as info:
            check_writable(path)
        assert lock_name in info.value.message and "ist in Excel geöffnet" in info.value.message
        with pytest.raises(WorkbookLocked):
            write_package(path, path, {})
        lock.unlink()


def test_read_only_file_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = simple_book(tmp_path / "mappe.xlsx")
    os.chmod(path, 0o444)
    with pytest.raises(WorkbookReadOnly) as info:
        check_writable(path)
    assert "schreibgeschützt" in info.value.message
    os.chmod(path, 0o644)
    real_access = os.access
    monkeypatch.setattr(
        atomic.os, "access", lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode)
    )
    with pytest.raises(WorkbookReadOnly) as info:
        check_writable(path)
    assert "Ordner" in info.value.message


def test_cleanup_stale_temps(tmp_path: Path) -> None:
    old = tmp_path / f"{TEMP_PREFIX}abc_1234{atomic.TEMP_SUFFIX}"
    new = tmp_path / f"{TEMP_PREFIX}0123456789ab{atomic.TEMP_SUFFIX}"
    other = tmp_path / "~$mappe.xlsx"
    users = tmp_path / f"{TEMP_PREFIX}meine Notizen{atomic.TEMP_SUFFIX}"  # not a name we make
    for p in (old, new, other, users):
        p.write_bytes(b"x")
    for p in (old, users):
        os.utime(p, (time.time() - 3600, time.time() - 3600))
    assert cleanup_stale_temps(tmp_path) == [old]
    assert sorted(cleanup_stale_temps(tmp_path, min_age=0)) == [new]
    assert other.exists() and users.exists()


# --- killed writers -------------------------------------------------------------------

CHILD = """
import os, sys, time
from pathlib import Path
from xl_cseg.xlsx import atomic
src, replacement, mode = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), sys.argv[3]
if mode == "stall":
    real_fsync = os.fsync
    def stalling(fd):
        real_fsync(fd)
        print("stalled", flush=True)
        time.sleep(60)
    atomic.os.fsync = stalling
print("ready", flush=True)
atomic.write_package(src, src, {"xl/worksheets/sheet1.xml": replacement})
print("done", flush=True)
"""


def _big_book(tmp_path: Path) -> tuple[Path, bytes]:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Kunde {r}</t></is></c>'
        f'<c r="B{r}"><v>{r * 1.5}</v></c><c r="C{r}"><v>{r * 7919 % 10007}</v></c></row>'
        for r in range(1, 120_001)
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://'
        'schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:C120000"/>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()
    path = simple_book(tmp_path / "gross.xlsx")
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            zf.writestr(info, xml if info.filename == SHEET else data)
    return path, xml.replace(b"Kunde ", b"Firma ")


def _start(path: Path, replacement: Path, mode: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(replacement), mode],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _state(path: Path, original: bytes, replacement: bytes) -> str:
    data = path.read_bytes()
    if data == original:
        return "original"
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.read(SHEET) == replacement
    return "replaced"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_never_damages_the_workbook(tmp_path: Path) -> None:
    path, new_sheet = _big_book(tmp_path)
    original = path.read_bytes()
    replacement = tmp_path / "replacement.xml"
    replacement.write_bytes(new_sheet)
    rng = random.Random(20240611)
    # Stalled after the temp file is complete but before os.replace: on Linux the temp file
    # has no name yet (O_TMPFILE), so nothing is left in the user's folder.
    proc = _start(path, replacement, "stall")
    assert proc.stdout is not None and proc.stdout.readline().strip() == "stalled"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gross.xlsx", "replacement.xml"]
    # Killed at random moments of a normal run.
    proc = _start(path, replacement, "normal")
    started = time.monotonic()
    proc.wait()
    duration = time.monotonic() - started
    assert _state(path, original, new_sheet) == "replaced"
    states = []
    for _ in range(8):
        path.write_bytes(original)
        proc = _start(path, replacement, "normal")
        time.sleep(rng.uniform(0, duration * 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        states.append(_state(path, original, new_sheet))
        stray = [
            p.name for p in tmp_path.iterdir() if p.name not in ("gross.xlsx", "replacement.xml")
        ]
        # a name exists only for the moment between naming the finished file and the rename
        assert all(name.startswith(TEMP_PREFIX) and name.endswith(".tmp") for name in stray)
        assert len(stray) <= 1
        cleanup_stale_temps(tmp_path, min_age=0)
    assert "original" in states
    print(f"write took {duration:.2f} s; states after kills: {states}")


def test_fallback_recompresses_when_raw_copy_is_impossible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, dst = tmp_path / "src.xlsx", tmp_path / "dst.xlsx"
    _odd_zip(src)
    monkeypatch.setattr(atomic, "_copy_raw", lambda *a: False)
    write_package(src, dst, {})
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst) as b:
        assert a.namelist() == b.namelist()
        for old, new in zip(a.infolist(), b.infolist(), strict=True):
            assert a.read(old) == b.read(new)
            assert (old.date_time, old.external_attr) == (new.date_time, new.external_attr)


def test_strip_zip64_extra() -> None:
    zip64 = struct.pack("<HHQ", 1, 8, 123)
    ut = b"UT\x05\x00\x03\x82\x93\x00a"
    assert atomic._strip_zip64(ut + zip64 + ut) == ut + ut
    assert atomic._strip_zip64(b"") == b""


@pytest.mark.parametrize("mode", ["whole", "chunked", "streamed"])
def test_big_replaced_member_is_standard_deflate(tmp_path: Path, mode: str) -> None:
    """Parts above BIG_PART_SIZE (deflated by ISA-L): zipfile, zlib and unzip read them
    back, the metadata is kept, the members after it stay raw copies."""
    src, dst = tmp_path / "src.xlsx", tmp_path / "dst.xlsx"
    _odd_zip(src)
    rng = random.Random(3)
    rows = [b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, rng.randrange(10**9))
            for i in range(1, 60_000)]
    content = b"<worksheet><sheetData>" + b"".join(rows) + b"</sheetData></worksheet>"
    assert len(content) > atomic.BIG_PART_SIZE
    chunks = [content[i:i + 70_001] for i in range(0, len(content), 70_001)]
    given = {"whole": content, "chunked": chunks,
             "streamed": Chunks(chunks.__getitem__, range(len(chunks)))}[mode]
    write_package(src, dst, {SHEET: given})
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst) as b:
        assert b.testzip() is None
        assert b.namelist() == a.namelist()
        new = b.getinfo(SHEET)
        assert b.read(SHEET) == content
        assert new.compress_type == zipfile.ZIP_DEFLATED and new.compress_size < len(content) / 3
        assert (new.date_time, new.external_attr) == ((2024, 2, 14, 23, 49, 52), 0o100600 << 16)
        after = b.getinfo("docProps/app.xml")
        assert _raw_member(src, a.getinfo("docProps/app.xml")) == _raw_member(dst, after)
    completed = subprocess.run(["unzip", "-tq", str(dst)], capture_output=True, text=True) \
        if Path("/usr/bin/unzip").exists() else None
    assert completed is None or completed.returncode == 0, completed.stdout


@pytest.mark.parametrize("chunks", [
    [b"<row>%d</row>" % i for i in range(5000)],
    [b"x" * 3_000_000, b"", b"y", b"z" * 10],
    [b"", b""],
    [],
])
def test_batches_of_a_chunk_list_keep_every_byte_in_order(chunks: list[bytes]):
    for given in (chunks, iter(chunks)):  # a patched sheet's list, a stream
        batches = list(atomic._batches(given, size=4096))
        assert b"".join(batches) == b"".join(chunks)
        assert all(batches)  # none empty
        assert len(batches) <= len(b"".join(chunks)) // 4096 + 2  # few, big ones


@pytest.mark.parametrize("size", [3, 40_000])  # a small part, one deflated by ISA-L
def test_a_streamed_member_is_written_as_its_chunks_joined(tmp_path: Path, size: int) -> None:
    path = simple_book(tmp_path / "mappe.xlsx")
    chunks = [b"<row r=\"%d\"><c><v>%d</v></c></row>" % (i, i * 7919) for i in range(size)]
    made: list[int] = []

    def make(i: int) -> bytes:
        made.append(i)
        return chunks[i]

    write_package(path, tmp_path / "listed.xlsx", {SHEET: chunks})
    write_package(path, tmp_path / "streamed.xlsx", {SHEET: Chunks(make, range(size))})
    assert (tmp_path / "streamed.xlsx").read_bytes() == (tmp_path / "listed.xlsx").read_bytes()
    assert made == list(range(size))  # each chunk made once, in order


def test_a_failure_while_a_streamed_member_is_made_writes_nothing(tmp_path: Path) -> None:
    """The error is raised as it is (not as a damaged source), the workbook stays as it was
    and no temp file is left, also when most of the member was written already."""
    path = simple_book(tmp_path / "mappe.xlsx")
    original = path.read_bytes()
    rng = random.Random(5)
    chunk = b"".join(b"<v>%d</v>" % rng.randrange(10**9) for _ in range(100_000))

    def make(i: int) -> bytes:
        if i == 7:
            raise ValueError("text longer than 32767 characters cannot be stored in a cell")
        return chunk

    with pytest.raises(ValueError, match="longer than"):
        write_package(path, path, {SHEET: Chunks(make, range(9))})
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mappe.xlsx"]
