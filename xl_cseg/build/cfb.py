"""Minimal deterministic writer for Compound File Binary files (MS-CFB, version 3).

``write_cfb`` turns a nested mapping into a compound file: a mapping is a
storage, a bytes value a stream. Streams smaller than 4096 bytes live in the
mini stream (64-byte mini sectors), larger ones in regular 512-byte sectors.
All CLSIDs, state bits and timestamps are zero and the sector layout depends
only on the input, so the same tree always yields the same bytes.

Sector layout: FAT sectors, directory sectors, mini FAT sectors, the mini
stream, then each large stream in directory order. Up to 109 FAT sectors
(about 6.8 MiB of content) are supported; no DIFAT sectors are written.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["CfbTree", "write_cfb", "cfb_name_key"]

CfbTree = Mapping[str, "CfbTree | bytes"]

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_ENTRY_SIZE = 128
_IDS_PER_SECTOR = _SECTOR // 4
_MAX_HEADER_DIFAT = 109

_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF

_STORAGE = 1
_STREAM = 2
_ROOT = 5
_RED = 0
_BLACK = 1

_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_FORBIDDEN_NAME_CHARS = frozenset("/\\:!")


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    color: int = _BLACK
    start: int = _ENDOFCHAIN
    size: int = 0


def cfb_name_key(name: str) -> tuple[int, str]:
    """Sort key of a directory entry name (MS-CFB 2.6.4).

    Shorter names (in UTF-16 code units) sort first; names of equal length
    compare by their per-character uppercase form.
    """
    upper = "".join(c.upper() if len(c.upper()) == 1 else c for c in name)
    return len(name.encode("utf-16-le")) // 2, upper


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"invalid CFB entry name {name!r}: must be a non-empty string")
    if len(name.encode("utf-16-le")) > 62:
        raise ValueError(f"invalid CFB entry name {name!r}: longer than 31 UTF-16 code units")
    if _FORBIDDEN_NAME_CHARS & set(name):
        raise ValueError(f"invalid CFB entry name {name!r}: contains one of / \\ : !")


def _collect_entries(tree: CfbTree) -> list[_Entry]:
    """Flatten the tree breadth-first; siblings are stored in CFB name order."""
    entries = [_Entry("Root Entry", _ROOT)]
    queue: list[tuple[int, CfbTree]] = [(0, tree)]
    while queue:
        parent, node = queue.pop(0)
        if not isinstance(node, Mapping):
            raise TypeError(f"CFB storage must be a mapping, got {type(node).__name__}")
        seen: dict[tuple[int, str], str] = {}
        for name in sorted(node, key=cfb_name_key):
            _check_name(name)
            key = cfb_name_key(name)
            if key in seen:
                raise ValueError(f"duplicate CFB entry names {seen[key]!r} and {name!r}")
            seen[key] = name
            value = node[name]
            entries[parent].children.append(len(entries))
            if isinstance(value, Mapping):
                queue.append((len(entries), value))
                entries.append(_Entry(name, _STORAGE, start=0))  # storages store start sector 0
            elif isinstance(value, (bytes, bytearray, memoryview)):
                entries.append(_Entry(name, _STREAM, bytes(value), size=len(value)))
            else:
                raise TypeError(f"CFB entry {name!r} must be bytes or a mapping, got {type(value).__name__}")
    return entries


def _link_siblings(entries: list[_Entry], ids: list[int]) -> int:
    """Arrange sorted sibling ids as a balanced red-black tree; return its root.

    Splitting at the midpoint leaves every empty link on the last two levels,
    so colouring only the nodes of an incomplete last level red keeps the
    black height equal on all paths.
    """
    height = len(ids).bit_length()
    complete = (len(ids) + 1) & len(ids) == 0

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return _NOSTREAM
        mid = (lo + hi) // 2
        entry = entries[ids[mid]]
        entry.left = build(lo, mid, depth + 1)
        entry.right = build(mid + 1, hi, depth + 1)
        entry.color = _RED if not complete and depth == height - 1 else _BLACK
        return ids[mid]

    return build(0, len(ids), 0)


def _chain(fat: list[int], start: int, count: int) -> None:
    """Write a contiguous sector chain of ``count`` sectors into ``fat``."""
    for i in range(start, start + count - 1):
        fat[i] = i + 1
    fat[start + count - 1] = _ENDOFCHAIN


def _sectors(size: int, unit: int) -> int:
    return -(-size // unit)


def _pad(data: bytes, unit: int) -> bytes:
    return data + b"\0" * (-len(data) % unit)


def _pack_entry(entry: _Entry | None) -> bytes:
    if entry is None:
        return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, b"", 0, 0, 0, 0, 0)
    name = entry.name.encode("utf-16-le") + b"\0\0"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        entry.kind,
        entry.color,
        entry.left,
        entry.right,
        entry.child,
        b"",
        0,
        0,
        0,
        entry.start,
        entry.size,
    )


def write_cfb(tree: CfbTree) -> bytes:
    """Serialise ``tree`` (mappings are storages, bytes are streams) as a CFB v3 file.

    Raises ValueError for invalid or duplicate names (names compare
    case-insensitively) and when the content needs more than 109 FAT sectors.
    """
    entries = _collect_entries(tree)
    for entry in entries:
        if entry.children:
            entry.child = _link_siblings(entries, entry.children)

    # Mini stream: small streams packed into 64-byte mini sectors.
    mini_parts: list[bytes] = []
    minifat: list[int] = []
    large: list[_Entry] = []
    for entry in entries:
        if entry.kind != _STREAM or entry.size == 0:
            continue
        if entry.size >= _MINI_CUTOFF:
            large.append(entry)
            continue
        count = _sectors(entry.size, _MINI_SECTOR)
        entry.start = len(minifat)
        minifat.extend([_FREESECT] * count)
        _chain(minifat, entry.start, count)
        mini_parts.append(_pad(entry.data, _MINI_SECTOR))
    mini_stream = b"".join(mini_parts)

    n_dir = _sectors(len(entries) * _ENTRY_SIZE, _SECTOR)
    n_minifat = _sectors(len(minifat) * 4, _SECTOR)
    n_mini_stream = _sectors(len(mini_stream), _SECTOR)
    n_content = n_dir + n_minifat + n_mini_stream + sum(_sectors(e.size, _SECTOR) for e in large)
    n_fat = 1
    while n_fat * _IDS_PER_SECTOR < n_fat + n_content:
        n_fat += 1
    if n_fat > _MAX_HEADER_DIFAT:
        raise ValueError(
            f"CFB content needs {n_fat} FAT sectors; at most {_MAX_HEADER_DIFAT} are supported (no DIFAT sectors)"
        )

    fat = [_FREESECT] * (n_fat * _IDS_PER_SECTOR)
    fat[:n_fat] = [_FATSECT] * n_fat
    next_sector = n_fat

    def allocate(count: int) -> int:
        nonlocal next_sector
        start = next_sector
        if count:
            _chain(fat, start, count)
        next_sector += count
        return start if count else _ENDOFCHAIN

    dir_start = allocate(n_dir)
    minifat_start = allocate(n_minifat)
    entries[0].start = allocate(n_mini_stream)
    entries[0].size = len(mini_stream)
    for entry in large:
        entry.start = allocate(_sectors(entry.size, _SECTOR))

    difat = list(range(n_fat)) + [_FREESECT] * (_MAX_HEADER_DIFAT - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        _SIGNATURE,
        b"",
        0x003E,  # minor version
        0x0003,  # major version: 512-byte sectors
        0xFFFE,  # byte order mark
        9,  # sector shift
        6,  # mini sector shift
        b"",
        0,  # directory sectors (must be 0 in version 3)
        n_fat,
        dir_start,
        0,  # transaction signature
        _MINI_CUTOFF,
        minifat_start,
        n_minifat,
        _ENDOFCHAIN,  # first DIFAT sector
        0,  # DIFAT sectors
        *difat,
    )
    directory = b"".join(_pack_entry(e) for e in entries)
    directory += _pack_entry(None) * (n_dir * _SECTOR // _ENTRY_SIZE - len(entries))
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
    minifat_bytes += struct.pack("<I", _FREESECT) * (n_minifat * _IDS_PER_SECTOR - len(minifat))

    body = [
        header,
        struct.pack(f"<{len(fat)}I", *fat),
        directory,
        minifat_bytes,
        _pad(mini_stream, _SECTOR),
        *(_pad(e.data, _SECTOR) for e in large),
    ]
    return b"".join(body)
