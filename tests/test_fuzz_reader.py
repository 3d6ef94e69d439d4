"""Fuzzing the reader, ``validate`` and ``segment`` (issue 17): small workbooks mutated at
random (bytes of their XML parts flipped, cut or replaced by hostile tokens) must either work
or raise one of the project's own German errors. Any other exception fails the test.

A few seconds in the default run; ``pytest -m fuzz`` runs the long version (``XL_CSEG_FUZZ_S``
seconds, default 120)."""

from __future__ import annotations

import os
import random
import time
import zipfile
from pathlib import Path

import pytest

from hostile_support import customer_list
from xl_cseg import jobs
from xl_cseg.xlsx.errors import WorkbookError

TOKENS = [
    b'r="XFD1048576"', b'r="XFE1"', b'r="A0"', b'r="A99999999"', b'r="G0"', b'r=""',
    b't="zz"', b't="s"', b't="e"', b't="str"', b't="inlineStr"', b"<v>1,5</v>", b"<v>-1</v>",
    b"<v>99999999</v>", b"<v>abc</v>", b"<v>1e-320</v>", b"<v>1.79e308</v>", b"<v>nan</v>",
    b'ref=""', b'ref="Kunden!A1:D6"', b'ref="A1:XFD1048576"', b'ref="D6:A1"', b"_x0000_",
    b"<!DOCTYPE x>", b'<!ENTITY e SYSTEM "file:///etc/passwd">', b"&e;", b"&#0;", b"\x00",
    b'count="1" count="2"', b"<row>", b"<c>", b"</c>", b"</row>", b"<mergeCell ref=\"A0:B1\"/>",
    b'headerRowCount="0"', b'totalsRowCount="9"', b"\xff\xfe", b"x" * 40_000, b"",
]


def _workbooks(folder: Path) -> list[Path]:
    return [customer_list(folder / "plain.xlsx", rows=6),
            customer_list(folder / "table.xlsx", rows=6, table=True),
            customer_list(folder / "dups.xlsx", rows=4, ids=["K1", "K1", "K2", "K1"])]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random edits of an XML part."""
    for _ in range(rng.randint(1, 3)):
        if not data:
            return rng.choice(TOKENS)
        at = rng.randrange(len(data))
        kind = rng.random()
        if kind < 0.3:
            data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
        elif kind < 0.4:
            data = data[:at]
        elif kind < 0.55:
            # a token in place of an attribute value or element of the same kind
            token = rng.choice(TOKENS)
            end = min(len(data), at + rng.randint(0, 24))
            data = data[:at] + token + data[end:]
        elif kind < 0.75:
            # an attribute value replaced (r, t, ref, s ...)
            quote = data.find(b'="', at)
            close = data.find(b'"', quote + 2) if quote >= 0 else -1
            if close > 0:
                value = rng.choice([b"XFD1048576", b"A0", b"zz", b"", b"-1", b"1,5",
                                    b"Kunden!A1", b"99999999", b"A1:XFD1048576", b"0"])
                data = data[:quote + 2] + value + data[close:]
        elif kind < 0.9:
            # a <v> value replaced
            v = data.find(b"<v>", at)
            end = data.find(b"</v>", v) if v >= 0 else -1
            if end > 0:
                data = data[:v + 3] + rng.choice(TOKENS[11:20] + [b"", b"3", b"x"]) + data[end:]
        else:
            # a slice duplicated (rows, cells, attributes twice)
            end = min(len(data), at + rng.randint(1, 200))
            data = data[:end] + data[at:end] + data[end:]
    return data


def _mutant(source: Path, target: Path, rng: random.Random) -> Path:
    with zipfile.ZipFile(source) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    xml = [i for i, (info, _) in enumerate(members)
           if info.filename.endswith((".xml", ".rels"))]
    chosen = set(rng.sample(xml, rng.choice([1, 1, 1, 2])))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (info, data) in enumerate(members):
            zf.writestr(info, _mutate(data, rng) if i in chosen else data)
    if rng.random() < 0.05:  # the zip itself damaged
        raw = bytearray(target.read_bytes())
        at = rng.randrange(len(raw))
        raw[at] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(raw))
    return target


def _fuzz(tmp_path: Path, seconds: float, seed: int) -> int:
    rng = random.Random(seed)
    bases = _workbooks(tmp_path)
    deadline = time.monotonic() + seconds
    runs = 0
    while time.monotonic() < deadline:
        path = _mutant(rng.choice(bases), tmp_path / f"m{runs % 4}.xlsx", rng)
        state = random.getstate()
        try:
            if rng.random() < 0.3:
                jobs.segment_workbook(path, tmp_path / "out.xlsx")
            else:
                jobs.analyse(path)
        except WorkbookError as exc:
            assert exc.message and "Traceback" not in exc.message
        except Exception as exc:  # noqa: BLE001 - the point of the test
            kept = tmp_path.parent / f"fuzz-failure-{seed}-{runs}.xlsx"
            kept.write_bytes(path.read_bytes())
            pytest.fail(f"{type(exc).__name__}: {exc} (input kept as {kept})")
        finally:
            random.setstate(state)
        runs += 1
    return runs


def test_fuzz_reader_validate_segment(tmp_path: Path) -> None:
    assert _fuzz(tmp_path, 4.0, seed=17) > 10


@pytest.mark.fuzz
def test_fuzz_reader_validate_segment_long(tmp_path: Path, request: pytest.FixtureRequest
                                           ) -> None:
    if "fuzz" not in (request.config.getoption("-m") or ""):
        pytest.skip("the long fuzz run: pytest -m fuzz")
    seconds = float(os.environ.get("XL_CSEG_FUZZ_S", "120"))
    print(f"{_fuzz(tmp_path, seconds, seed=int(time.time()))} mutants")
