"""A document in chunks that are made when they are read.

The sheet writer returns a big patched sheet as :class:`Chunks`: each chunk (a few thousand
rows) is joined, and its new cells rendered, only when it is asked for, so that the zip writer
can deflate the sheet chunk by chunk and neither the rendered rows nor the patched part are
ever held whole. The edits around the cells (column widths, the autofilter: the first and the
last chunk) replace chunks with :func:`spliced`, which keeps the others unmade.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import overload


class Chunks(Sequence[bytes]):
    """Chunks of a document: each part is either bytes or the number of a chunk that
    ``make(number)`` makes when it is read (again on every read: nothing is kept)."""

    def __init__(self, make: Callable[[int], bytes], parts: Sequence[bytes | int]) -> None:
        self._make = make
        self._parts = list(parts)

    def __len__(self) -> int:
        return len(self._parts)

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> Chunks: ...

    def __getitem__(self, index: int | slice) -> bytes | Chunks:
        if isinstance(index, slice):
            return Chunks(self._make, self._parts[index])
        part = self._parts[index]
        return part if isinstance(part, bytes) else self._make(part)

    def __iter__(self) -> Iterator[bytes]:
        for part in self._parts:
            yield part if isinstance(part, bytes) else self._make(part)

    def spliced(self, start: int, stop: int, new: bytes) -> Chunks:
        """These chunks with ``self[start:stop]`` replaced by the one chunk ``new``."""
        return Chunks(self._make, [*self._parts[:start], new, *self._parts[stop:]])


def spliced(chunks: Sequence[bytes], start: int, stop: int, new: bytes) -> Sequence[bytes]:
    """``chunks`` with ``chunks[start:stop]`` replaced by the one chunk ``new`` (chunks not yet
    made stay so)."""
    if isinstance(chunks, Chunks):
        return chunks.spliced(start, stop, new)
    return [*chunks[:start], new, *chunks[stop:]]
