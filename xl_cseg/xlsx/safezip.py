"""Defensive opening of OOXML zip packages and bounded reading of their parts."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import olefile
from isal import isal_zlib

from ..core import german
from .errors import (
    CorruptWorkbook,
    EncryptedWorkbook,
    NotAWorkbook,
    PackageTooLarge,
    PartTooLarge,
    WorkbookError,
    WorkbookNotFound,
    os_reason,
)

if TYPE_CHECKING:
    from .package import Package

MiB = 1024 * 1024
MAX_PART_SIZE = 1024 * MiB
"""Largest declared uncompressed size of a part that is ever inflated: above the 761 MiB sheet
part this project writes for Excel's maximum of 1,048,575 customers (what it writes it reads:
the writers refuse a result with a bigger part, :func:`atomic.check_readable`)."""
MAX_TOTAL_SIZE = 2048 * MiB
"""Largest sum of the declared uncompressed sizes of all members."""
MAX_MEMBERS = 10_000
"""Most members of a package (Apache POI's ZipSecureFile refuses more than 1,000 by default;
Excel's own files hold a few dozen; a workbook with hundreds of sheets, each with drawings and
comments, stays far below this)."""
PROLOG_BYTES = 4096
"""Bytes of each XML part inflated at opening to find a DOCTYPE before its root element."""
MAX_RATIO = 200
"""Largest compression ratio accepted for parts bigger than :data:`RATIO_MIN_SIZE`."""
RATIO_MIN_SIZE = 10 * MiB
CHUNK = 1 * MiB

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# Everything zipfile/zlib raise on malformed archives.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    isal_zlib.error,
    EOFError,
    ValueError,
    struct.error,
    NotImplementedError,
    RuntimeError,
)


def file_stamp(path: str | os.PathLike[str]) -> tuple[str, int, int] | None:
    """(resolved path, size, modification time) of a file, to tell whether it changed; None
    if it cannot be read."""
    try:
        resolved = Path(path).resolve()
        status = resolved.stat()
        return str(resolved), status.st_size, status.st_mtime_ns
    except OSError:
        return None


def open_package(path: str | os.PathLike[str]) -> Package:
    """Open and validate a workbook package; raises :class:`WorkbookError` subclasses."""
    from .package import Package  # package.py builds on this module

    package = Package(Path(path), load_infos(Path(path)))
    package.workbook_part  # noqa: B018 -- validates content types and the main part
    return package


def load_infos(path: Path) -> list[zipfile.ZipInfo]:
    """Check that ``path`` is a readable, unencrypted zip and return its member list.

    XML parts are checked against the size limits right away, because other readers
    (python-calamine, openpyxl) would inflate them without limits.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError as exc:
        raise WorkbookNotFound(path) from exc
    except IsADirectoryError as exc:
        raise NotAWorkbook(path, "Ordner statt Datei") from exc
    except OSError as exc:
        raise WorkbookError(
            f"„{path.name}“ kann nicht gelesen werden ({os_reason(exc)}). "
            "Bitte Zugriffsrechte prüfen und erneut versuchen.",
            path=path,
        ) from exc
    if head.startswith(OLE_SIGNATURE):
        _raise_for_ole(path)
    if not head.startswith(ZIP_SIGNATURES):
        raise NotAWorkbook(path, "leere Datei" if not head else "")
    _check_member_count(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except ZIP_ERRORS as exc:
        raise CorruptWorkbook(path, str(exc)) from exc
    if len(infos) > MAX_MEMBERS:
        raise _too_many(path, len(infos))
    seen: set[str] = set()
    total = 0
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            raise CorruptWorkbook(path, f"Bestandteil {info.filename} doppelt vorhanden")
        seen.add(key)
        total += info.file_size
        if key.endswith(XML_SUFFIXES):
            check_limits(info, path)
    if total > MAX_TOTAL_SIZE:
        raise PackageTooLarge(path, f"wäre entpackt {german.number(total / MiB)} MiB groß, "
                              f"erlaubt sind {german.number(MAX_TOTAL_SIZE / MiB)} MiB")
    check_doctypes(path, [i for i in infos if i.filename.lower().endswith(XML_SUFFIXES)])
    return infos


XML_SUFFIXES = (".xml", ".rels", ".vml")
_END_OF_CENTRAL_DIRECTORY = struct.Struct("<4s4H2LH")


def _check_member_count(path: Path) -> None:
    """Refuse a package whose central directory announces more than :data:`MAX_MEMBERS`
    members, before ``zipfile`` builds an object for each of them."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - (1 << 16) - _END_OF_CENTRAL_DIRECTORY.size))
            tail = fh.read()
    except OSError:
        return  # zipfile meets and reports it
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END_OF_CENTRAL_DIRECTORY.size:
        return
    count = _END_OF_CENTRAL_DIRECTORY.unpack_from(tail, at)[4]
    if count == 0xFFFF:  # ZIP64: the real count is elsewhere; zipfile reads it
        return
    if count > MAX_MEMBERS:
        raise _too_many(path, count)


def _too_many(path: Path, count: int) -> PackageTooLarge:
    return PackageTooLarge(path, f"besteht aus {german.number(count)} Bestandteilen, erlaubt "
                           f"sind {german.number(MAX_MEMBERS)}")


def check_doctypes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse the package if any XML part declares a DOCTYPE (used or not), as defusedxml does:
    the native readers parse some parts (shared strings, sheets) with their own parsers."""
    from .safexml import check_prolog

    for info in infos:
        if not info.file_size:
            continue
        head = inflate_head(path, info, PROLOG_BYTES)
        if b"<!" not in head:
            continue
        if _prolog_open(head):  # a long comment or PI: the part is read to its root
            head = inflate_member(path, info)
        check_prolog(head, info.filename, path)  # raises UnsafeXml for a DOCTYPE/ENTITY


def _prolog_open(head: bytes) -> bool:
    """Whether ``head`` ends before the root element has begun (only prolog items in it)."""
    from .safexml import _PROLOG_ITEM

    pos = 0
    body = head.removeprefix(b"\xef\xbb\xbf")
    while m := _PROLOG_ITEM.match(body, pos):
        if m.end() == pos:
            break
        pos = m.end()
    return pos >= len(body) or body[pos:pos + 2] == b"<!" and b">" not in body[pos:]


def _raise_for_ole(path: Path) -> None:
    """OLE/CFB files are either encrypted OOXML or legacy binary formats (.xls)."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except Exception as exc:  # olefile raises assorted errors on malformed input
        raise NotAWorkbook(path, "beschädigte OLE-Datei") from exc
    if {"EncryptionInfo", "EncryptedPackage"} & streams:
        raise EncryptedWorkbook(path)
    hint = "alte .xls-Datei" if {"Workbook", "Book"} & streams else ""
    raise NotAWorkbook(path, hint)


def check_limits(info: zipfile.ZipInfo, source: str | os.PathLike[str] | None) -> None:
    """Refuse parts whose declared size or compression ratio is excessive, before inflating."""
    if info.file_size > MAX_PART_SIZE:
        raise PartTooLarge(
            source,
            info.filename,
            f"{info.file_size / MiB:.0f} MiB entpackt, erlaubt sind {MAX_PART_SIZE / MiB:.0f} MiB",
        )
    if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise PartTooLarge(
            source, info.filename, f"Kompressionsverhältnis {ratio:.0f}:1, mögliche Zip-Bombe"
        )


LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def _to_data(fh: BinaryIO, path: Path, info: zipfile.ZipInfo) -> None:
    """Move ``fh`` to a member's stored (compressed) data, found via its local header."""
    fh.seek(info.header_offset)
    header = fh.read(LOCAL_HEADER.size)
    if len(header) != LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
        raise CorruptWorkbook(path, f"{info.filename}: Kopfdaten fehlen")
    fields = LOCAL_HEADER.unpack(header)
    fh.seek(fields[9] + fields[10], os.SEEK_CUR)


def _raw(path: Path, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Up to ``limit`` bytes of a member's stored (compressed) data."""
    with path.open("rb") as fh:
        _to_data(fh, path, info)
        return fh.read(min(info.compress_size, limit))


STORED_PIECE = MiB  # stored data read (and inflated) at a time


def _inflated(path: Path, info: zipfile.ZipInfo) -> bytes:
    """A deflated member's data inflated a piece of its stored data at a time into one
    buffer (the stored data is never held whole, nor the inflated data twice), never more
    than its declared size and one byte."""
    inflater = isal_zlib.decompressobj(-15)
    out = io.BytesIO()  # getvalue() hands over its buffer without a copy when it is full
    if info.file_size:  # the buffer made its full size at once: it never grows (no copies)
        out.seek(info.file_size - 1)
        out.write(b"\0")
        out.seek(0)
    budget = info.file_size + 1
    with path.open("rb") as fh:
        _to_data(fh, path, info)
        remaining = info.compress_size
        while remaining and budget > 0:
            piece = fh.read(min(remaining, STORED_PIECE))
            if not piece:
                raise CorruptWorkbook(path, f"{info.filename}: unvollständig")
            remaining -= len(piece)
            try:
                data = inflater.decompress(piece, budget)
            except isal_zlib.error as exc:
                raise CorruptWorkbook(path, f"{info.filename}: {exc}") from exc
            out.write(data)
            budget -= len(data)
    out.truncate(out.tell())  # less than declared: what there is (refused by the caller)
    return out.getvalue()


def _plain(info: zipfile.ZipInfo) -> bool:
    """Neither encrypted nor compressed other than deflate (zipfile handles the rest)."""
    return not info.flag_bits & 0x01 and info.compress_type in (zipfile.ZIP_DEFLATED,
                                                                zipfile.ZIP_STORED)


def inflate_head(path: Path, info: zipfile.ZipInfo, size: int) -> bytes:
    """Up to ``size`` first bytes of a member (fewer if its data does not inflate that far from
    ``size`` stored bytes; no CRC check: the member is not read whole)."""
    check_limits(info, path)
    if not _plain(info):
        return inflate_member(path, info)[:size]
    if info.compress_type == zipfile.ZIP_STORED:
        return _raw(path, info, size)
    raw = _raw(path, info, size)  # XML inflates to more than it takes: enough for ``size``
    try:
        return isal_zlib.decompressobj(-15).decompress(raw, min(size, info.file_size))
    except isal_zlib.error as exc:
        raise CorruptWorkbook(path, f"{info.filename}: {exc}") from exc


def inflate_member(path: Path, info: zipfile.ZipInfo) -> bytes:
    """One member read straight from its local header (no central directory parse) and
    inflated with ISA-L, bounded by its declared size, CRC checked. Unusual members (encrypted,
    not deflated) go through :func:`read_member`."""
    check_limits(info, path)
    if not _plain(info):
        with zipfile.ZipFile(path) as zf:
            return read_member(zf, info, path)
    if info.compress_type == zipfile.ZIP_STORED:
        data = _raw(path, info, info.compress_size)
        if len(data) != info.compress_size:
            raise CorruptWorkbook(path, f"{info.filename}: unvollständig")
    else:
        data = _inflated(path, info)
        if len(data) > info.file_size:
            raise PartTooLarge(path, info.filename, "mehr Daten als angegeben")
    if len(data) != info.file_size or isal_zlib.crc32(data) != info.CRC:
        raise CorruptWorkbook(path, f"{info.filename}: unvollständig oder beschädigt")
    return data


def read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, source: str | os.PathLike[str] | None
) -> bytes:
    """Inflate one member in chunks; never produce more than its declared size or the limit."""
    check_limits(info, source)
    budget = min(info.file_size, MAX_PART_SIZE)
    chunks: list[bytes] = []
    total = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                total += len(chunk)
                if total > budget:
                    raise PartTooLarge(source, info.filename, "mehr Daten als angegeben")
                chunks.append(chunk)
    except ZIP_ERRORS as exc:
        raise CorruptWorkbook(source, f"{info.filename}: {exc}") from exc
    if total != info.file_size:
        raise CorruptWorkbook(source, f"{info.filename}: unvollständig")
    return b"".join(chunks)
