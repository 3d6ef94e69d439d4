"""Benchmark (issue 17): time and peak memory at the limits.

- the duplicate case: 200,000 customers with one and the same number (``validate``);
- a workbook at Excel's maximum: 1,048,575 customers (``segment``, then ``segment`` again on
  its output: what the project writes it must read);
- a zip bomb inside the limits: a 60 MiB sheet in a few hundred KB whose cells all refer to
  one 1,000-character shared string (``validate``, refused), and a 60 MiB sheet of plain
  numbers (``validate``, read);
- the cost of the sheet check that runs before the native readers (:mod:`xlsx.extent`) on the
  maximum sheet, in-process.

Each command runs in a fresh subprocess; its peak RSS is the child's ``ru_maxrss`` (printed
as MB, counted in MiB: 1,345 MB here are 1.41 GB). The budget is 1.5 GB.

``segment`` at 1,048,575 customers, before (4d3875a) and after the work on its memory (main
b315405), one run of ``--only max --before`` (2 shared cores; wall time, CPU time, peak RSS;
"again" reads each checkout's own output: 4d3875a marked every text ``xml:space``, 752 MiB,
main only where needed, 658 MiB):

                          segment                     again on its output
    4d3875a               19.5 s  19.7 s CPU  2,091 MB   33.5 s  33.6 s CPU  2,556 MB
    b315405               16.8 s  16.9 s CPU    959 MB   24.8 s  24.9 s CPU  1,345 MB

What each step gave (``segment`` / again, peak MB, each measured on the main of its time):

    the patched sheet made a chunk of 4,096 rows at a time while it is
      deflated, the rows' values rendered only then (neither the cell tails,
      the rendered rows nor the patched part held whole)      2,090 -> 1,433   2,557 -> 2,121
    the sheet's bytes let go while fastexcel reads the file and while the
      job computes (read again for the writer), malloc_trim before the
      writer (the native reader's and the job's freed heap)   1,433 -> 1,262   2,121 -> 1,747
    (the rerun helper's texts marked xml:space only where needed: the
      again-part 752 -> 658 MiB)                                                1,747 -> 1,648
    numeric output columns as one float64 array in the block (NumberColumn),
      its rows a range; big parts inflated a MiB of stored data at a time
      and deflated straight into the file (no 115 MiB of stored data nor of
      deflated output held)                                   1,259 -> 1,140   1,648 -> 1,530
    (rebased onto the scan's one tag pass)                    1,140 -> 1,153   1,530 -> 1,583
    the inflated part's buffer made its full size at once (a growing one
      was copied), a column's repeated texts from fastexcel held once each
      (a region column: 3 strings, not a million), no copies of the row
      arrays for the row ends, no set of a million block rows  1,153 -> 1,007   1,583 -> 1,453
    a customer table's rows a range, not an int object each   1,007 ->   970   1,453 -> 1,413
    the rerun's rows as an array (numpy made a list of a range), only the
      rebuilt rows' pieces and masks as Python ints, a chunk at a time      1,413 -> 1,337-1,354

Tried and dropped: glibc's fixed mmap threshold (``MALLOC_MMAP_THRESHOLD_=1048576``: 1,153 ->
1,092 / 1,583 -> 1,524 MB, but 1.6 s and 4 s more CPU).

Where the peak sits now (VmHWM around the phases): the first run at ~945 MB while it computes
(the segmentation's frames and the output block), the write stays below (918 MB). The rerun at
~1,325 MB in fastexcel's read (the sheet's bytes let go meanwhile; its copy of the sheet
without the output cells and its cells) and ~1,340 MB in the sheet writer: ~594 MB of the job
after malloc_trim (the report's input, output and input-value frames ~190 MB, customer names
~64 MB, customer numbers as text ~55 MB, the output texts ~60 MB, the block ~65 MB, the
interpreter and libraries ~90 MB), the 658 MiB part read again, and ~40 MB of the writer's row
arrays. A 752 MiB part as 4d3875a wrote it (every row rebuilt), segmented by b315405: 27.3 s
CPU, 1,457 MB.

Over the budget (not solved yet): a list of 1,048,575 customers with 13 own number columns
beside the 7 it needs (20 columns, 21 million cells, a 670 MiB sheet part: within every limit;
made by hand, c4d7975): ``segment`` 28.0 s, 28.2 s CPU, 1,790 MB, and its result would have a
1,062 MiB sheet part, so it is refused before anything is renamed into place (exit 2; the
writers check every part against the reader's limits, :func:`xlsx.atomic.check_readable`). The
job's memory grows with the sheet part's bytes (held for the writer) and the cells per row;
The peak is fastexcel's read (198 -> 1,795 MB while it parses the 21-million-cell rectangle,
about 76 bytes a cell). Long texts go further: 150,000 customers whose names are 6,000
characters long (an 895 MiB sheet part in an 8 MB file, ratio 110:1, within every limit):
``segment`` 12.6 s, 2,774 MB (fastexcel's read 97 -> 2,774 MB; the job then holds 1.9 GB).
What would bound it: a lower rectangle limit for the native readers (2**24 instead of 2**25)
with the same check on the writer's side, a limit on the text a sheet holds (as the 256 MiB
for shared texts), or a streamed reader and writer for big sheets.

100,000 customers (first run and rerun in fresh processes, medians of 2 pairs, the checkouts
alternated twice; CPU and peak RSS): 4d3875a first run 4.16-4.22 s / 310-325 MB, rerun
5.49-5.54 s / 384-390 MB; b315405 3.90-3.95 s / 212-223 MB, 4.64-4.72 s / 258-260 MB (the CPU
includes the rerun helper's work of the same days).

    .venv/bin/python benchmarks/bench_limits.py [--only dup,max,bomb,extent] [--before CHECKOUT]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEAD = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Umsatz Vorvorjahr",
        "Verbundenheit", "Gebiet"]
CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
      'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
      '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
      'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
      '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
      'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
      'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" '
      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+'
      'xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
      'officedocument.spreadsheetml.styles+xml"/></Types>')
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.'
             'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
             f'{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
BOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://schemas.'
             'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
             f'{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
             f'{REL}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="'
             f'{REL}/styles" Target="styles.xml"/></Relationships>')
BOOK = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {NS} xmlns:r="{REL}">'
        '<sheets><sheet name="Kunden" sheetId="1" r:id="rId1"/></sheets></workbook>')
STYLES = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet {NS}><fonts '
          'count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2">'
          '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType='
          '"gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>'
          '<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" '
          'fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" '
          'fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs></styleSheet>')


def package(path: Path, sheet_rows: bytes, strings: list[str]) -> Path:
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS}>'
             "<sheetData>").encode() + sheet_rows + b"</sheetData></worksheet>"
    sst = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst {NS} count='
           f'"{len(strings)}" uniqueCount="{len(strings)}">'
           + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data in (("[Content_Types].xml", CT), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", BOOK), ("xl/_rels/workbook.xml.rels", BOOK_RELS),
                           ("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", sst),
                           ("xl/styles.xml", STYLES)):
            zf.writestr(name, data)
    return path


def customers(path: Path, rows: int, same_number: bool = False) -> Path:
    """A list of ``rows`` customers below one header row (numbers, inline names)."""
    head = b'<row r="1">' + b"".join(b'<c r="%s1" t="s"><v>%d</v></c>' % (c.encode(), i)
                                      for i, c in enumerate("ABCDEFG")) + b"</row>"
    body = (b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="B%d" t="inlineStr"><is><t>Firma %d'
            b'</t></is></c><c r="C%d"><v>%d</v></c><c r="D%d"><v>%d</v></c><c r="E%d"><v>%d'
            b'</v></c><c r="F%d"><v>%d</v></c><c r="G%d" t="s"><v>%d</v></c></row>'
            % (r, r, 100000 if same_number else 100000 + r, r, r, r, (r * 37) % 90000, r,
               100000 + r % 7, r, (r * 31) % 80000, r, 1 + r % 5, r, 7 + r % 3)
            for r in range(2, rows + 2))
    return package(path, head + b"".join(body), HEAD + ["Nord", "Süd", "West"])


def bomb(path: Path, long_text: bool) -> Path:
    """A 60 MiB sheet of repeated cells (each row ends in one random number, which keeps the
    compression ratio below the zip-bomb limit)."""
    rng = random.Random(17)
    cell = b'<c t="s"><v>7</v></c>' if long_text else b"<c><v>1</v></c>"
    cells = cell * 100
    head = b'<row r="1">' + b"".join(b'<c r="%s1" t="s"><v>%d</v></c>' % (c.encode(), i)
                                      for i, c in enumerate("ABCD")) + b"</row>"
    rows = b"".join(b"<row>" + cells + b"<c><v>%d</v></c></row>" % rng.randrange(10**6)
                    for _ in range(60 * 2**20 // len(cells)))
    strings = HEAD[:4] + ["a", "b", "c", "y" * 1000]
    return package(path, head + rows, strings)


def run(*args: str, checkout: Path = ROOT) -> tuple[float, float, float, int]:
    """Seconds, CPU seconds, peak RSS (MiB, printed as MB) and exit code of ``xl-cseg ARGS``
    in a fresh process (of ``checkout``)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "xl_cseg", *args], cwd=checkout,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(checkout)})
    _pid, status, usage = os.wait4(child.pid, 0)
    return (time.perf_counter() - started, usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))


def report(label: str, figures: tuple[float, float, float, int]) -> None:
    seconds, cpu, mb, code = figures
    print(f"{label:58s} {seconds:7.1f} s {cpu:7.1f} s CPU {mb:7.0f} MB  exit {code}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="dup,max,bomb,extent")
    parser.add_argument("--before", type=Path, action="append", default=[],
                        help="another checkout whose max figures are measured first")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if "dup" in wanted:
            path = customers(tmp / "dup.xlsx", 200_000, same_number=True)
            report("validate, 200,000 rows of one customer number", run("validate", str(path)))
        if "bomb" in wanted:
            path = bomb(tmp / "bomb.xlsx", long_text=True)
            report(f"validate, 60 MiB of cells -> one long text ({path.stat().st_size >> 10} KB)",
                   run("validate", str(path)))
            path = bomb(tmp / "numbers.xlsx", long_text=False)
            report(f"validate, 60 MiB of number cells ({path.stat().st_size >> 10} KB)",
                   run("validate", str(path)))
        if "extent" in wanted or "max" in wanted:
            path = customers(tmp / "max.xlsx", 1_048_575)
        if "extent" in wanted:
            sys.path.insert(0, str(ROOT))
            from xl_cseg.xlsx.extent import sheet_extent

            xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
            cpu = time.process_time()
            sheet_extent(xml, "Kunden", "xl/worksheets/sheet1.xml")
            print(f"{'sheet check before the native readers, 1,048,576 rows':58s} "
                  f"{time.process_time() - cpu:7.1f} s CPU ({len(xml) >> 20} MiB of XML)")
            del xml
        if "max" in wanted:
            checkouts = [(f"{c.name}: ", c) for c in args.before] + \
                [("" if not args.before else "this checkout: ", ROOT)]
            for i, (name, checkout) in enumerate(checkouts):
                out = tmp / f"max-out-{i}.xlsx"
                report(f"{name}segment, 1,048,575 customers",
                       run("segment", str(path), "--out", str(out), checkout=checkout))
                with zipfile.ZipFile(out) as zf:
                    size = zf.getinfo("xl/worksheets/sheet1.xml").file_size
                report(f"{name}segment again on its output (sheet part {size >> 20} MiB)",
                       run("segment", str(out), checkout=checkout))

if __name__ == "__main__":
    main()
