"""Tests for the MS-OVBA 2.4.1 compression in xl_cseg.build.ovba."""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Project, copytoken_help, decompress_stream

from xl_cseg.build.ovba import _copy_token_help, compress, decompress

XLWINGS_DIR = Path(xlwings.__file__).parent

WORDS = ["Dim ", "As ", "String", "\r\n", "    ", "End Sub", "If ", "Then", "x", "=", "1", "'", "Range(\"A1\")"]

runs = st.lists(st.tuples(st.integers(0, 255), st.integers(1, 5000)), max_size=8).map(
    lambda parts: b"".join(bytes([value]) * count for value, count in parts)
)
repetitive_text = st.lists(st.sampled_from(WORDS), max_size=3000).map(lambda words: "".join(words).encode("cp1252"))
any_bytes = st.one_of(st.binary(max_size=10_000), runs, repetitive_text, st.binary(min_size=4097, max_size=9000))


def _chunks(container: bytes) -> list[tuple[bool, int]]:
    """(compressed flag, stored size incl. header) of every chunk in a container."""
    result, pos = [], 1
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        assert header & 0x7000 == 0x3000
        compressed = bool(header & 0x8000)
        if not compressed:
            assert header & 0x0FFF == 4095  # raw chunks always declare 4098 bytes
        size = (header & 0x0FFF) + 3 if compressed else 2 + min(4096, len(container) - pos - 2)
        result.append((compressed, size))
        pos += size
    return result


@settings(max_examples=150, deadline=None)
@given(any_bytes)
def test_oletools_and_own_decompress_invert_compress(data: bytes) -> None:
    compressed = compress(data)
    assert decompress_stream(bytearray(compressed)) == data
    assert decompress(compressed) == data


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=5000))
def test_own_decompress_agrees_with_oletools_on_doubled_data(data: bytes) -> None:
    compressed = compress(data + data)
    assert decompress(compressed) == decompress_stream(bytearray(compressed))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a",
        b"abc" * 2,
        b"a" * 4096,
        b"a" * 4097,
        b"a" * 100_000,
        bytes(range(256)) * 40,
        b"Attribute VB_Name = \"Modul1\"\r\n" * 500,
    ],
    ids=["empty", "one", "short", "run4096", "run4097", "run100k", "cycle", "text"],
)
def test_roundtrip_examples(data: bytes) -> None:
    compressed = compress(data)
    assert decompress_stream(bytearray(compressed)) == data
    assert decompress(compressed) == data
    assert compressed[0] == 0x01


def test_copy_token_help_matches_spec_and_oletools() -> None:
    # MS-OVBA 2.4.1.3.19.1: bit_count = max(ceil(log2(difference)), 4),
    # maximum length = (0xFFFF >> bit_count) + 3.
    assert _copy_token_help(1) == (4, 0x0FFF, 4098)
    assert _copy_token_help(16) == (4, 0x0FFF, 4098)
    assert _copy_token_help(17) == (5, 0x07FF, 2050)
    assert _copy_token_help(4096) == (12, 0x000F, 18)
    for difference in range(1, 4097):
        length_mask, _, bit_count, maximum_length = copytoken_help(difference, 0)
        assert _copy_token_help(difference) == (bit_count, length_mask, maximum_length)


def test_long_run_uses_maximum_length_tokens() -> None:
    # After one literal, bit_count is 4, so a single copy token covers the
    # remaining 4095 bytes (maximum length (0xFFFF >> 4) + 3 = 4098).
    compressed = compress(b"a" * 4096)
    # signature + chunk header + flag byte + literal + one copy token
    assert len(compressed) == 1 + 2 + 1 + 1 + 2
    assert decompress(compressed) == b"a" * 4096


def test_incompressible_chunks_are_stored_raw() -> None:
    rng = random.Random(1)
    data = bytes(rng.randrange(256) for _ in range(4096 * 2 + 4000))
    compressed = compress(data)
    # Full chunks become raw chunks of 4096 bytes; the final 4000 bytes would
    # need 4502 bytes compressed, so they are stored raw without padding.
    assert _chunks(compressed) == [(False, 4098), (False, 4098), (False, 4002)]
    assert decompress(compressed) == data
    assert decompress_stream(bytearray(compressed)) == data


def test_compressed_chunks_respect_size_limit() -> None:
    rng = random.Random(2)
    # Chunks that compress to just under the limit stay compressed.
    data = bytes(rng.randrange(256) for _ in range(3500)) + b"x" * 600
    chunks = _chunks(compress(data))
    assert chunks[0][0] is True
    assert all(size <= 4098 for _, size in chunks)
    assert decompress(compress(data)) == data


def test_decompress_rejects_bad_signature() -> None:
    with pytest.raises(ValueError, match="signature"):
        decompress(b"\x02\x00\x00")
    with pytest.raises(ValueError, match="ChunkSignature"):
        decompress(b"\x01\x00\x00")


def _vba_project(xlsm: Path) -> olefile.OleFileIO:
    with zipfile.ZipFile(xlsm) as archive:
        return olefile.OleFileIO(archive.read("xl/vbaProject.bin"))


@pytest.mark.parametrize("workbook", ["quickstart_standalone.xlsm", "addin/xlwings.xlam"])
def test_recompressing_reference_dir_stream_is_byte_identical(workbook: str) -> None:
    # The dir streams of these xlwings files use the same greedy matching
    # (longest match, farthest candidate on ties): we reproduce them exactly.
    stored = _vba_project(XLWINGS_DIR / workbook).openstream("VBA/dir").read()
    assert decompress(stored) == decompress_stream(bytearray(stored))
    assert compress(decompress(stored)) == stored


def test_decompresses_excel_written_module_streams() -> None:
    # quickstart.xlsm was saved by Excel (its own compressor, p-code before the source).
    ole = _vba_project(XLWINGS_DIR / "quickstart.xlsm")
    project = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    project.parse_project_stream()
    list(project.parse_modules())
    assert project.modules
    for module in project.modules:
        stream = ole.openstream("VBA/" + module.streamname).read()
        assert decompress(stream[module.textoffset :]) == module.code_raw
