"""Atomic rewrite of a workbook package with a few parts replaced.

The new package goes to a temp file in the target's folder (:func:`temp_beside`: on Linux
one without a name, elsewhere ``.~xl-cseg-*.tmp``), is flushed, fsynced and checked, then
moved over the target with :func:`os.replace`. On any error the temp file is removed and the
target is untouched. A named temp file left by a killed process is removed by
:func:`cleanup_stale_temps` in a later run.

Unchanged members are copied as raw compressed bytes (local header, data and data
descriptor verbatim), so their content, names, order, timestamps and attributes stay as
they were; only replaced members are compressed anew.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import struct
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from isal import isal_zlib

from .errors import (CorruptWorkbook, WorkbookError, WorkbookLocked, WorkbookReadOnly,
                     environment_error)
from . import safezip
from .safezip import LOCAL_HEADER, ZIP_ERRORS, read_member

TEMP_PREFIX = ".~xl-cseg-"
TEMP_SUFFIX = ".tmp"
_LOCAL_SIGNATURE = b"PK\x03\x04"
_DESCRIPTOR_SIGNATURE = b"PK\x07\x08"
_ZIP64_EXTRA = 0x0001
_COPY_CHUNK = 1 << 20


def lock_files(path: Path) -> list[Path]:
    """Candidate Excel owner files: ``~$`` + name, and ``~$`` + name without 2 characters."""
    names = [f"~${path.name}"]
    if len(path.stem) > 2:
        names.append(f"~${path.name[2:]}")
    return [path.with_name(name) for name in names]


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; False where its name cannot exist (longer than the file system
    allows: Excel cannot create the ``~$`` owner file of a 255-character name either)."""
    try:
        return path.exists()
    except OSError:
        return False


def make_folder(folder: str | os.PathLike[str], for_file: str | os.PathLike[str]) -> None:
    """Create ``folder`` (with its parents) for writing ``for_file``; German message if the
    system refuses (no permission, a read-only disk, a name too long)."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise environment_error(exc, for_file, "gespeichert") from exc


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise :class:`WorkbookLocked` / :class:`WorkbookReadOnly` if ``path`` can't be replaced,
    :class:`errors.EnvironmentProblem` for a folder that is missing or a name that is too long."""
    path = Path(path)
    for lock in lock_files(path):
        if _exists(lock):
            raise WorkbookLocked(path, lock.name)
    try:
        if path.exists():
            mode = path.stat().st_mode
            if not os.access(path, os.W_OK) or not mode & stat.S_IWUSR:
                raise WorkbookReadOnly(path)
        folder = path.parent
        if not folder.is_dir():
            raise FileNotFoundError(errno.ENOENT, "", str(folder))
    except OSError as exc:
        raise environment_error(exc, path, "gespeichert") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise WorkbookReadOnly(path, directory=True)


def target_path(path: str | os.PathLike[str]) -> Path:
    """Where a write to ``path`` really goes: a symlink is followed (the real file gets the
    contents, the link stays a link), also when the link dangles."""
    return Path(os.path.realpath(path))


_UMASK_LOCK = threading.Lock()


def new_file_mode() -> int:
    """The permissions a new file gets from the process's umask (0666 & ~umask), as an editor
    saving a new file gives it: readable by colleagues on a shared drive, not 0600."""
    with _UMASK_LOCK:  # reading the umask means setting it; no other thread sets it meanwhile
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


_OWN_TEMP = re.compile(re.escape(TEMP_PREFIX) + r"[A-Za-z0-9_]{8,16}" + re.escape(TEMP_SUFFIX))


def cleanup_stale_temps(directory: str | os.PathLike[str], *, min_age: float = 600.0) -> list[Path]:
    """Delete temp files left by killed writes that are older than ``min_age`` seconds (only
    names this module makes: the prefix, 8 to 16 letters, digits or "_", the suffix)."""
    removed = []
    now = time.time()
    with contextlib.suppress(OSError):
        for candidate in Path(directory).glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
            if not _OWN_TEMP.fullmatch(candidate.name):
                continue
            with contextlib.suppress(OSError):
                if now - candidate.lstat().st_mtime >= min_age and candidate.is_file():
                    candidate.unlink()
                    removed.append(candidate)
    return removed


def _unnamed_file(folder: Path) -> int | None:
    """A file without a name in ``folder`` (Linux ``O_TMPFILE``): a killed write leaves
    nothing behind. None where the system or file system has none."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOTSUP):
            return None
        raise


def _give_name(out: BinaryIO, folder: Path) -> Path:
    """A name for the unnamed file ``out`` in ``folder``: linked through /proc, or by
    ``linkat(AT_EMPTY_PATH)``, or (where neither is allowed) a named copy."""
    name = folder / f"{TEMP_PREFIX}{secrets.token_hex(6)}{TEMP_SUFFIX}"
    fd = out.fileno()
    try:
        os.link(f"/proc/self/fd/{fd}", name, follow_symlinks=True)
        return name
    except OSError:
        pass
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.linkat(fd, b"", -100, os.fsencode(name), 0x1000) == 0:  # AT_FDCWD, EMPTY_PATH
            return name
    except (OSError, AttributeError):
        pass
    copy_fd, copy_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(copy_fd, "wb") as copy:
            out.seek(0)
            while chunk := out.read(_COPY_CHUNK):
                copy.write(chunk)
            copy.flush()
            os.fchmod(copy.fileno(), stat.S_IMODE(os.fstat(fd).st_mode))
            os.fsync(copy.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(copy_name)
        raise
    return Path(copy_name)


@contextlib.contextmanager
def temp_beside(dst: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A temp file in ``dst``'s folder, (file, a path that reads it); when the block ends
    without an error it is flushed, fsynced and moved over ``dst``, else it is gone.

    On Linux the file has no name until that move (``O_TMPFILE``, then linked under a temp
    name and renamed at once): a run killed while writing leaves nothing a user sees.
    Elsewhere it is ``.~xl-cseg-*.tmp``, removed on error and, after a kill, by
    :func:`cleanup_stale_temps` in a later run. OS errors become German messages."""
    named = None
    try:
        fd = _unnamed_file(dst.parent)
        if fd is None:
            fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=dst.parent)
            named = Path(name)
        with os.fdopen(fd, "w+b") as out:
            yield out, named or Path(f"/proc/self/fd/{fd}")
            out.flush()
            os.fsync(out.fileno())
            if named is None:
                named = _give_name(out, dst.parent)
        try:
            os.replace(named, dst)
        except PermissionError as exc:
            raise WorkbookLocked(dst) from exc
    except BaseException as exc:
        if named is not None:
            with contextlib.suppress(OSError):
                named.unlink()
        if isinstance(exc, OSError):
            raise environment_error(exc, dst, "gespeichert") from exc
        raise
    with contextlib.suppress(OSError):
        _fsync_dir(dst.parent)


Content = bytes | Sequence[bytes] | Iterable[bytes]
"""A member's new content: whole, a list of chunks, or chunks made as they are read (any
other iterable, e.g. :class:`chunks.Chunks`: streamed into the deflater, never held whole;
an error while they are made leaves the target as it was)."""


class _ContentFailed(Exception):
    """Making a streamed member's chunks failed (not the zip): ``error`` is raised as it is."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def write_package(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    replacements: Mapping[str, Content],
    additions: Mapping[str, bytes] | None = None,
) -> None:
    """Write ``src`` to ``dst`` (may be the same file) with the named members' content replaced
    (see :data:`Content`) and ``additions`` (new members, e.g. a sheet of our own) appended
    after the copied ones. Nothing is moved over ``dst`` unless all of it was written."""
    additions = additions or {}
    src, dst = Path(src), target_path(dst)
    check_writable(dst)
    cleanup_stale_temps(dst.parent)  # leftovers of writes that were killed long ago
    with temp_beside(dst) as (out, tmp):
        try:
            infos, sent = _write(src, out, replacements, additions)
        except _ContentFailed as failed:  # e.g. a text too long for a cell, found on rendering
            raise failed.error from None
        except ZIP_ERRORS as exc:
            raise CorruptWorkbook(src, str(exc)) from exc
        out.flush()
        _verify(tmp, infos, sent, {**replacements, **additions}, dst)
        os.fchmod(out.fileno(),
                  stat.S_IMODE(dst.stat().st_mode) if dst.exists() else new_file_mode())


def _write(src: Path, out: BinaryIO, replacements: Mapping[str, Content],
           additions: Mapping[str, bytes] | None = None
           ) -> tuple[list[zipfile.ZipInfo], list[zipfile.ZipInfo]]:
    """Copy ``src`` into ``out``, then add ``additions``; the members expected (those read,
    then the added ones) and the members written."""
    with zipfile.ZipFile(src) as zin, src.open("rb") as raw, zipfile.ZipFile(out, "w") as zout:
        infos = zin.infolist()
        missing = set(replacements) - {info.filename for info in infos}
        if missing:
            raise KeyError(f"parts not in {src.name}: {sorted(missing)}")
        zout.comment = zin.comment
        for info in infos:
            if info.filename in replacements:
                _write_replaced(zout, info, replacements[info.filename])
            elif not _copy_raw(raw, out, zout, info):
                _write_replaced(zout, info, read_member(zin, info, src))
        names = {info.filename for info in infos}
        stamp = infos[0].date_time if infos else (1980, 1, 1, 0, 0, 0)
        for name, data in (additions or {}).items():
            if name in names:
                raise KeyError(f"part already in {src.name}: {name}")
            added = zipfile.ZipInfo(name, stamp)
            added.compress_type = zipfile.ZIP_DEFLATED
            added.external_attr = 0o600 << 16
            _write_replaced(zout, added, data)
            infos.append(added)
        check_readable(zout.filelist, set(replacements) | set(additions or {}), src)
        return infos, list(zout.filelist)


def check_readable(written: Sequence[zipfile.ZipInfo], ours: set[str], path: Path) -> None:
    """Raise :class:`WorkbookError` where the package written (for ``path``) would exceed the
    limits this project reads within (:mod:`safezip`): whatever it writes, it can read again.
    ``ours``: the members written, not copied."""
    mib, name = safezip.MiB, f"„{path.name}“"
    for info in written:
        if info.filename in ours and info.file_size > safezip.MAX_PART_SIZE:
            raise WorkbookError(
                f"{name}: der Bestandteil {info.filename} hätte "
                f"{info.file_size / mib:.0f} MiB entpackt; "
                f"xl-cseg liest höchstens {safezip.MAX_PART_SIZE / mib:.0f} MiB je Bestandteil "
                "und könnte das Ergebnis nicht wieder lesen. Nichts wurde geschrieben: bitte "
                "nicht benötigte Spalten entfernen oder die Liste auf mehrere Dateien aufteilen.")
    total = sum(info.file_size for info in written)
    if total > safezip.MAX_TOTAL_SIZE:
        raise WorkbookError(
            f"{name}: die Datei hätte {total / mib:.0f} MiB entpackt; xl-cseg liest höchstens "
            f"{safezip.MAX_TOTAL_SIZE / mib:.0f} MiB und könnte das Ergebnis nicht wieder lesen. "
            "Nichts wurde geschrieben: bitte nicht benötigte Blätter oder Spalten entfernen.")


BIG_PART_SIZE = 1 << 20


def _made(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks of a streamed member, an error in making one raised as :class:`_ContentFailed`."""
    made = iter(chunks)
    while True:
        try:
            chunk = next(made)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - raised again as it is by write_package
            raise _ContentFailed(exc) from exc
        yield chunk


def _write_replaced(zout: zipfile.ZipFile, info: zipfile.ZipInfo, data: Content) -> None:
    new = zipfile.ZipInfo(info.filename, info.date_time)
    new.compress_type = (
        info.compress_type if info.compress_type == zipfile.ZIP_STORED else zipfile.ZIP_DEFLATED
    )
    new.comment = info.comment
    new.extra = _strip_zip64(info.extra)
    new.create_system = info.create_system
    new.create_version = info.create_version
    new.internal_attr = info.internal_attr
    new.external_attr = info.external_attr
    rest: Iterator[bytes] = iter(())
    if isinstance(data, (bytes, bytearray)):
        chunks: Sequence[bytes] = (data,)
    elif isinstance(data, (list, tuple)):
        chunks = data
    else:  # made as read: as many as make a big part, then the rest streamed (if it is big)
        chunks, rest, pending = [], _made(data), 0
        for chunk in rest:
            chunks.append(chunk)
            pending += len(chunk)
            if pending > BIG_PART_SIZE:
                break
    size = sum(map(len, chunks))
    if size > BIG_PART_SIZE and new.compress_type == zipfile.ZIP_DEFLATED:
        if isinstance(data, (bytes, bytearray, list, tuple)):
            new.file_size = size
            write_deflated(zout, new, chunks, size)
        else:
            write_deflated(zout, new, chain(chunks, rest))
        return
    if not isinstance(data, (bytes, bytearray, list, tuple)):
        chunks.extend(rest)  # a small part, or one stored without compression
        size = sum(map(len, chunks))
    new.file_size = size
    with zout.open(new, "w", force_zip64=size > zipfile.ZIP64_LIMIT) as member:
        member.write(b"".join(chunks))


def write_deflated(zout: zipfile.ZipFile, info: zipfile.ZipInfo, chunks: Iterable[bytes],
                   total: int | None = None) -> None:
    """A big part, deflated with ISA-L at its fastest level (standard deflate output), written
    as local header + data like ``zipfile`` does; ``chunks`` may be a stream (sizes and CRC are
    set on ``info`` here); ``total``: their length, if known. The deflated data goes to the
    file as it comes (the header is written again with the sizes once they are known), so
    neither the part nor its deflated form is held whole."""
    out = zout.fp
    info.header_offset = out.tell()
    info.CRC = info.compress_size = info.file_size = 0
    out.write(info.FileHeader(False))  # the same length as the final one: written over below
    compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    crc = size = packed = 0
    for batch in _batches(chunks, total=total):
        crc = isal_zlib.crc32(batch, crc)
        size += len(batch)
        piece = compressor.compress(batch)
        out.write(piece)
        packed += len(piece)
    piece = compressor.flush()
    out.write(piece)
    info.CRC, info.file_size, info.compress_size = crc, size, packed + len(piece)
    if info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT:
        raise WorkbookError(f"Der Bestandteil {info.filename} wäre größer als 4 GiB und wird "
                            "nicht geschrieben; die Datei ist unverändert.")
    end = out.tell()
    out.seek(info.header_offset)
    out.write(info.FileHeader(False))
    out.seek(end)
    zout.filelist.append(info)
    zout.NameToInfo[info.filename] = info
    zout.start_dir = end  # type: ignore[attr-defined]


def write_packed(zout: zipfile.ZipFile, info: zipfile.ZipInfo, packed: Sequence[bytes]) -> None:
    """A member whose deflated data is ``packed`` (``info`` holds its CRC and size), written as
    local header + data like ``zipfile`` does."""
    info.compress_size = sum(map(len, packed))
    out = zout.fp
    info.header_offset = out.tell()
    zip64 = info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT
    out.write(info.FileHeader(zip64))
    for piece in packed:
        out.write(piece)
    zout.filelist.append(info)
    zout.NameToInfo[info.filename] = info
    zout.start_dir = out.tell()  # type: ignore[attr-defined]


def _batches(chunks: Iterable[bytes], size: int = 1 << 20, total: int | None = None
             ) -> Iterator[bytes]:
    """``chunks`` (of a patched sheet: often many small slices) joined into ~``size`` batches;
    ``total``: their length, if known."""
    if isinstance(chunks, list):  # a patched sheet: joined in runs of chunks, no loop per chunk
        yield from _list_batches(chunks, size, total)
        return
    batch: list[bytes] = []
    pending = 0
    for chunk in chunks:
        batch.append(chunk)
        pending += len(chunk)
        if pending >= size:
            yield b"".join(batch)
            batch, pending = [], 0
    if pending:
        yield b"".join(batch)


def _list_batches(chunks: list[bytes], size: int, total: int | None = None
                  ) -> Iterator[bytes]:
    """Batches of a list of chunks: runs of as many chunks as make ``size`` on average."""
    total = sum(map(len, chunks)) if total is None else total
    if not total:
        return
    step = max(1, len(chunks) * size // total)
    for start in range(0, len(chunks), step):
        batch = b"".join(chunks[start:start + step])
        if batch:
            yield batch


def _copy_raw(raw: BinaryIO, out: BinaryIO, zout: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Copy one member's local header, data and descriptor verbatim; False if not possible."""
    raw.seek(info.header_offset)
    header = raw.read(LOCAL_HEADER.size)
    if len(header) != LOCAL_HEADER.size:
        return False
    fields = LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_SIGNATURE:
        return False
    length = LOCAL_HEADER.size + fields[9] + fields[10] + info.compress_size
    if info.flag_bits & 0x08:
        descriptor = _descriptor_length(raw, info, info.header_offset + length)
        if descriptor is None:
            return False
        length += descriptor
    copied = zipfile.ZipInfo(info.filename, info.date_time)
    for slot in (
        "compress_type", "comment", "create_system", "create_version",
        "extract_version", "reserved", "flag_bits", "volume", "internal_attr",
        "external_attr", "CRC", "compress_size", "file_size", "orig_filename",
    ):  # fmt: skip
        setattr(copied, slot, getattr(info, slot))
    copied.extra = _strip_zip64(info.extra)  # zipfile adds it again where needed
    copied.header_offset = out.tell()
    raw.seek(info.header_offset)
    remaining = length
    while remaining:
        chunk = raw.read(min(remaining, _COPY_CHUNK))
        if not chunk:
            raise zipfile.BadZipFile(f"truncated member {info.filename}")
        out.write(chunk)
        remaining -= len(chunk)
    zout.filelist.append(copied)
    zout.NameToInfo[copied.filename] = copied
    zout.start_dir = out.tell()  # type: ignore[attr-defined]
    return True


def _strip_zip64(extra: bytes) -> bytes:
    """``extra`` without its ZIP64 field (header id 1)."""
    result, pos = b"", 0
    while pos + 4 <= len(extra):
        field_id, size = struct.unpack_from("<HH", extra, pos)
        if field_id != _ZIP64_EXTRA:
            result += extra[pos : pos + 4 + size]
        pos += 4 + size
    return result + extra[pos:]


def _descriptor_length(raw: BinaryIO, info: zipfile.ZipInfo, offset: int) -> int | None:
    """Length of the data descriptor at ``offset`` if it matches the central directory."""
    raw.seek(offset)
    data = raw.read(24)
    signed = data.startswith(_DESCRIPTOR_SIGNATURE)
    body = data[4:] if signed else data
    for fmt in ("<LLL", "<LQQ"):
        size = struct.calcsize(fmt)
        if len(body) >= size and struct.unpack(fmt, body[:size]) == (
            info.CRC,
            info.compress_size,
            info.file_size,
        ):
            return size + (4 if signed else 0)
    return None


def _verify(
    tmp: Path, infos: list[zipfile.ZipInfo], sent: list[zipfile.ZipInfo],
    replacements: Mapping[str, object], dst: Path
) -> None:
    """Re-open the written file: same members in order, copied ones intact, new ones readable."""
    sent_infos = {info.filename: info for info in sent}
    try:
        with zipfile.ZipFile(tmp) as zf, tmp.open("rb") as raw:
            written = zf.infolist()
            if [i.filename for i in written] != [i.filename for i in infos]:
                raise zipfile.BadZipFile("member list differs")
            for old, new in zip(infos, written, strict=True):
                if old.filename in replacements:
                    # as recorded while writing (the CRC of exactly the content given)
                    sent = sent_infos[old.filename]
                    if (sent.CRC, sent.compress_size, sent.file_size) != \
                            (new.CRC, new.compress_size, new.file_size) or \
                            not _local_header_ok(raw, new):
                        raise zipfile.BadZipFile(f"{new.filename} differs")
                elif (old.CRC, old.file_size, old.compress_size) != (
                    new.CRC,
                    new.file_size,
                    new.compress_size,
                ) or not _local_header_ok(raw, new):
                    raise zipfile.BadZipFile(f"{new.filename} differs")
    except ZIP_ERRORS as exc:
        raise WorkbookError(
            f"„{dst.name}“ konnte nicht gespeichert werden, die neu geschriebene Datei war "
            f"fehlerhaft ({exc}). Die Datei ist unverändert; bitte erneut versuchen.",
            path=dst,
        ) from exc


def _local_header_ok(raw: BinaryIO, info: zipfile.ZipInfo) -> bool:
    raw.seek(info.header_offset)
    header = raw.read(LOCAL_HEADER.size)
    if len(header) != LOCAL_HEADER.size or not header.startswith(_LOCAL_SIGNATURE):
        return False
    name = raw.read(LOCAL_HEADER.unpack(header)[9])
    return name.decode("utf-8" if info.flag_bits & 0x800 else "cp437") == info.orig_filename


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
