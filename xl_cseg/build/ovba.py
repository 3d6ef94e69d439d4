"""MS-OVBA 2.4.1 compression ("CompressedContainer") used by VBA project streams.

The container is a signature byte 0x01 followed by chunks. Each chunk encodes
up to 4096 decompressed bytes and starts with a 2-byte header: bits 0-11 hold
the chunk size minus 3, bits 12-14 the signature 0b011 and bit 15 the
compressed flag. A compressed chunk is a series of token sequences (one flag
byte followed by up to eight literal or copy tokens); a raw chunk holds the
bytes verbatim.

The compressor matches greedily like the spec (longest match within the
chunk, capped at the copy token's maximum length) but finds candidates through
a 3-byte hash chain instead of scanning the whole chunk. Among equally long
matches it takes the farthest one; this reproduces the ``dir`` streams of
xlwings' shipped workbooks byte for byte.

Incompressible data: a chunk whose compressed form would exceed 4098 bytes is
stored raw (MS-OVBA 2.4.1.3.10). A short final raw chunk is not padded to 4096
bytes, so the decompressed length stays exact (oletools reads it as is).
"""

from __future__ import annotations

import struct

__all__ = ["compress", "decompress"]

_CHUNK_SIZE = 4096
_MAX_COMPRESSED_CHUNK = 4098  # including the 2-byte header
_SIGNATURE = 0x01
_CHUNK_SIGNATURE = 0b011 << 12
_FLAG_COMPRESSED = 0x8000
_MIN_MATCH = 3


def _copy_token_help(difference: int) -> tuple[int, int, int]:
    """Return (bit_count, length_mask, maximum_length) per MS-OVBA 2.4.1.3.19.1.

    ``difference`` is the distance from the start of the decompressed chunk to
    the current position; bit_count = max(ceil(log2(difference)), 4).
    """
    bit_count = max((difference - 1).bit_length(), 4)
    length_mask = 0xFFFF >> bit_count
    return bit_count, length_mask, length_mask + 3


def _match_length(buf: bytes, candidate: int, current: int, limit: int) -> int:
    """Length of the common prefix of buf[candidate:] and buf[current:], capped at limit.

    Overlapping matches (candidate + length > current) are valid: the decoder
    copies byte by byte from its own output, which equals ``buf``.
    """
    n = 0
    while n + 16 <= limit and buf[candidate + n : candidate + n + 16] == buf[current + n : current + n + 16]:
        n += 16
    while n < limit and buf[candidate + n] == buf[current + n]:
        n += 1
    return n


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Encode data[start:end] as a complete chunk (header included)."""
    out = bytearray()
    chains: dict[bytes, list[int]] = {}
    pos = start

    def remember(p: int) -> None:
        if p + _MIN_MATCH <= end:
            chains.setdefault(data[p : p + _MIN_MATCH], []).append(p)

    while pos < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            best_len = 0
            best_pos = 0
            if pos + _MIN_MATCH <= end:
                bit_count, _, max_len = _copy_token_help(pos - start)
                limit = min(max_len, end - pos)
                for candidate in chains.get(data[pos : pos + _MIN_MATCH], ()):
                    # Quick reject: a longer match must also agree at index best_len.
                    if best_len and data[candidate + best_len] != data[pos + best_len]:
                        continue
                    length = _match_length(data, candidate, pos, limit)
                    if length > best_len:
                        best_len, best_pos = length, candidate
                        if length >= limit:
                            break
            if best_len >= _MIN_MATCH:
                token = ((pos - best_pos - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                for p in range(pos, pos + best_len):
                    remember(p)
                pos += best_len
            else:
                out.append(data[pos])
                remember(pos)
                pos += 1
        out[flag_index] = flags

    if len(out) + 2 > _MAX_COMPRESSED_CHUNK:
        # Raw chunk; a short final one is left unpadded (see module docstring).
        return struct.pack("<H", _CHUNK_SIGNATURE | (_MAX_COMPRESSED_CHUNK - 3)) + data[start:end]
    header = _FLAG_COMPRESSED | _CHUNK_SIGNATURE | (len(out) + 2 - 3)
    return struct.pack("<H", header) + bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer (deterministic)."""
    data = bytes(data)
    parts = [bytes([_SIGNATURE])]
    for start in range(0, len(data), _CHUNK_SIZE):
        parts.append(_compress_chunk(data, start, min(start + _CHUNK_SIZE, len(data))))
    return b"".join(parts)


def decompress(data: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer; raises ValueError if malformed."""
    data = bytes(data)
    if not data or data[0] != _SIGNATURE:
        raise ValueError("invalid CompressedContainer signature byte")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise ValueError(f"truncated chunk header at offset {pos}")
        (header,) = struct.unpack_from("<H", data, pos)
        if header & 0x7000 != _CHUNK_SIGNATURE:
            raise ValueError(f"invalid CompressedChunkSignature at offset {pos}")
        chunk_end = min(pos + (header & 0x0FFF) + 3, len(data))
        pos += 2
        if not header & _FLAG_COMPRESSED:
            out += data[pos : pos + _CHUNK_SIZE]
            pos += _CHUNK_SIZE
            continue
        chunk_start = len(out)
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags >> bit & 1:
                    out.append(data[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise ValueError(f"truncated CopyToken at offset {pos}")
                (token,) = struct.unpack_from("<H", data, pos)
                pos += 2
                bit_count, length_mask, _ = _copy_token_help(len(out) - chunk_start)
                length = (token & length_mask) + 3
                offset = (token >> (16 - bit_count)) + 1
                source = len(out) - offset
                if source < chunk_start:
                    raise ValueError(f"CopyToken offset {offset} points before the chunk start")
                for i in range(source, source + length):
                    out.append(out[i])
    return bytes(out)
