"""Compare what two checkouts write for the same inputs, member by member (not a benchmark: a
check that a refactoring of the writers keeps their output byte-identical).

    .venv/bin/python benchmarks/compare_outputs.py /path/to/old/checkout [--new .] [--rows 2000]

Runs ``segment`` of both checkouts (each in its own process, ``PYTHONPATH`` set to it) on: the
demo workbook, the same workbook segmented twice (a rerun), a list typed into openpyxl (title
rows, styles, own columns, filter, a totals row), a CSV export converted by LibreOffice, a few
Excel-made corpus files with a customer table placed into them and a big generated list (first
run and rerun); then ``consolidate`` on a folder of territory files. Every zip member's content
and metadata are compared; the master's creation time (``docProps/core.xml``) and its members'
timestamps are the clock's and are compared without them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[1] / "shared" / "corpus" / "excel-made"
CORPUS_FILES = ("autofilter02.xlsx", "chart_bar01.xlsx", "format01.xlsx", "table01.xlsx")
HEADERS = ["Kunden-Nr", "Kunde", "Gebiet", "Umsatz Vorvorjahr", "Umsatz Vorjahr", "Potenzial",
           "Verbundenheit"]
HASH_SEED = os.environ.get("COMPARE_HASH_SEED", "0")  # both sides alike (an output that depends on it is a bug of its own)
ENTRY = "import sys; sys.argv[0] = 'xl-cseg'; from xl_cseg.cli import main; main()"
_CREATED = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*<")


def cli(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": HASH_SEED}
    # in the checkout: "python -c" puts the working folder first on the path, before PYTHONPATH
    return subprocess.run([sys.executable, "-c", ENTRY, *args], env=env, text=True,
                          capture_output=True, check=False, cwd=checkout)


def customers(rows: int) -> list[list]:
    out = []
    for i in range(rows):
        potential = 5000.0 + (i * 7919) % 150000
        revenue = round(potential * ((i * 31) % 110) / 100, -1)
        previous = None if i % 17 == 0 else round(revenue * (0.8 + (i % 9) / 20), -1)
        out.append([10000 + i, f"Kunde {i} GmbH", ("Nord", "Süd", "West")[i % 3], previous,
                    revenue, potential if i % 41 else 0.0, 1 + i % 5])
    return out


def openpyxl_list(path: Path, rows: int) -> None:
    """A list as a rep types it: title rows, bold header with fill, own columns left and right,
    number formats, an autofilter and a totals row."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Kunden"
    ws["A1"] = "Kundenliste Gebiet Nord"
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = "Stand: Januar"
    header = ["Notiz", *HEADERS, "Ansprechpartner"]
    ws.append([])
    ws.append(header)
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for i, row in enumerate(customers(rows)):
        ws.append([("A", "", "prüfen")[i % 3], *row, f"Frau {i}"])
        for col in (5, 6, 7):
            ws.cell(ws.max_row, col).number_format = '#,##0 "€"'
    ws.append(["Summe", None, None, None, None, f"=SUM(F5:F{ws.max_row})"])
    ws.auto_filter.ref = f"A4:I{ws.max_row - 1}"
    wb.save(path)


def libreoffice_csv(folder: Path, rows: int) -> Path | None:
    """A CSV export (German separators) converted to .xlsx by LibreOffice."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    csv = folder / "export.csv"
    lines = [";".join(HEADERS)]
    for row in customers(rows):
        lines.append(";".join("" if v is None else str(v).replace(".", ",") for v in row))
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run([soffice, "--headless", "--infilter=CSV:59,34,76,1", "--convert-to", "xlsx",
                    "--outdir", str(folder), str(csv)], capture_output=True, check=True,
                   env={**os.environ, "HOME": str(folder)})
    out = folder / "export.xlsx"
    return out if out.exists() else None


PLACE_CUSTOMERS = """
import sys
from pathlib import Path
import python_calamine as pc
from xl_cseg.xlsx.atomic import write_package
from xl_cseg.xlsx.cellref import MAX_COLS, parse_range
from xl_cseg.xlsx.safezip import open_package
try:
    from xl_cseg.xlsx.sheetwriter import write_sheet
    patched = lambda pkg, part, cells: write_sheet(pkg.sheet_scan(part), cells)
except ImportError:  # a checkout from before the sheet writer
    from xl_cseg.xlsx.patch import patch_sheet
    patched = lambda pkg, part, cells: patch_sheet(pkg.read(part), cells)
HEADERS = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial", "Verbundenheit"]
CUSTOMERS = [[9001.0, "Müller GmbH", 60000.0, 70000.0, 4.0],
             [9002.0, '=HYPERLINK("x")', 20000.0, 100000.0, 2.0],
             [9003.0, "Neu AG", 0.0, 25000.0, 3.0]]
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
pkg = open_package(src)
book = pc.CalamineWorkbook.from_path(str(src))
for info in pkg.sheets():
    try:
        sheet = book.get_sheet_by_name(info.name)
    except Exception:  # chart sheets
        continue
    width = sheet.end[1] + 1 if sheet.end else 0
    for (_r0, _c0), (_r1, c1) in pkg.merged_ranges(info.part):
        width = max(width, c1 + 1)
    for table in pkg.tables(info.part):
        width = max(width, parse_range(table.ref)[1][1] + 1)
    first = width + 1
    if first + len(HEADERS) + 12 >= MAX_COLS:
        continue
    cells = {(0, first + c): h for c, h in enumerate(HEADERS)}
    for r, row in enumerate(CUSTOMERS, start=1):
        cells.update({(r, first + c): v for c, v in enumerate(row)})
    write_package(src, dst, {info.part: patched(pkg, info.part, cells)})
    sys.exit(0)
sys.exit(1)
"""


def corpus_with_customers(src: Path, dst: Path, old: Path) -> bool:
    """An Excel-made file with a small customer table written right of the used range of its
    first worksheet (by the old checkout's writer, so both sides start from the same bytes)."""
    env = {**os.environ, "PYTHONPATH": str(old)}
    done = subprocess.run([sys.executable, "-c", PLACE_CUSTOMERS, str(src), str(dst)], env=env,
                          capture_output=True, text=True, check=False, cwd=old)
    return done.returncode == 0 and dst.exists()


def big_list(path: Path, rows: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, HEADERS)
    for r, row in enumerate(customers(rows), start=1):
        ws.write_row(r, 0, row)
    wb.close()


def seconds_column(path: Path) -> tuple[str, bytes] | None:
    """The part and column letters of the import log's "Sekunden" (the clock's figures)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    names = wb.sheetnames
    if "Importprotokoll" not in names:
        return None
    header = next((row for row in wb["Importprotokoll"].iter_rows(max_row=10, values_only=True)
                   if "Sekunden" in row), None)
    if header is None:
        return None
    from openpyxl.utils import get_column_letter

    return (f"xl/worksheets/sheet{names.index('Importprotokoll') + 1}.xml",
            get_column_letter(header.index("Sekunden") + 1).encode())


_MARKED_TEXT = re.compile(rb'<t xml:space="preserve">([^<]*)</t>')


def _unmarked(xml: bytes) -> bytes:
    """``xml`` with the ``xml:space="preserve"`` of texts that do not need it removed (texts
    without blanks at their ends; written since issue 15 only where needed)."""
    return _MARKED_TEXT.sub(
        lambda m: m[0] if m[1] != m[1].strip() else b"<t>%s</t>" % m[1], xml)


def differences(a: Path, b: Path, clocked: bool = False, unmarked: bool = False) -> list[str]:
    found = []
    timed = seconds_column(a) if clocked else None
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        ia, ib = za.infolist(), zb.infolist()
        if [i.filename for i in ia] != [i.filename for i in ib]:
            return [f"members differ: {[i.filename for i in ia]} / {[i.filename for i in ib]}"]
        for x, y in zip(ia, ib):
            da, db = za.read(x), zb.read(y)
            if clocked and x.filename == "docProps/core.xml":
                da, db = _CREATED.sub(b"", da), _CREATED.sub(b"", db)
            if timed and x.filename == timed[0]:
                figure = re.compile(rb'(<c r="%s[0-9]+"[^>]*><v>)[^<]*' % timed[1])
                da, db = figure.sub(rb"\1", da), figure.sub(rb"\1", db)
            if unmarked and da != db and x.filename.endswith(".xml"):
                da, db = _unmarked(da), _unmarked(db)
            if da != db:
                at = next((i for i in range(min(len(da), len(db))) if da[i] != db[i]),
                          min(len(da), len(db)))
                found.append(f"{x.filename}: content differs at byte {at}: "
                             f"{da[max(0, at - 60):at + 60]!r} / {db[max(0, at - 60):at + 60]!r}")
            meta = ("compress_type", "external_attr", "comment", "create_system", "extra",
                    *(() if clocked else ("date_time",)))
            for name in meta:
                if getattr(x, name) != getattr(y, name):
                    found.append(f"{x.filename}: {name} {getattr(x, name)!r} / "
                                 f"{getattr(y, name)!r}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="the checkout to compare with")
    parser.add_argument("--new", type=Path, default=HERE.parent)
    parser.add_argument("--rows", type=int, default=2000, help="customers of the big list")
    parser.add_argument("--unmarked", action="store_true",
                        help='compare texts without blanks at their ends with and without '
                             'xml:space="preserve" as the same (the older side marks every text)')
    args = parser.parse_args()
    old, new = args.old.resolve(), args.new.resolve()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs: dict[str, Path] = {}
        demo = work / "demo.xlsm"
        shutil.copyfile(new / "xl_cseg" / "data" / "Kundensegmentierung-Demo.xlsm", demo)
        inputs["demo workbook"] = demo
        typed = work / "typed.xlsx"
        openpyxl_list(typed, 300)
        inputs["openpyxl list"] = typed
        converted = libreoffice_csv(work, 300)
        if converted is not None:
            inputs["LibreOffice CSV"] = converted
        for name in CORPUS_FILES:
            placed = work / f"corpus-{name}"
            if (CORPUS / name).exists() and corpus_with_customers(CORPUS / name, placed, old):
                inputs[f"corpus {name}"] = placed
        big = work / "big.xlsx"
        big_list(big, args.rows)
        inputs[f"generated list ({args.rows} rows)"] = big
        for label, src in inputs.items():
            outputs = {}
            for side, checkout in (("old", old), ("new", new)):
                first = work / f"{side}-1-{src.name}"
                second = work / f"{side}-2-{src.name}"
                runs = [cli(checkout, "segment", str(src), "--out", str(first))]
                if first.exists():
                    runs.append(cli(checkout, "segment", str(first), "--out", str(second)))
                outputs[side] = (first, second, [r.returncode for r in runs],
                                 [r.stdout for r in runs])
            (o1, o2, o_codes, o_text), (n1, n2, n_codes, n_text) = outputs["old"], outputs["new"]
            problems = [] if o_codes == n_codes else [f"exit codes {o_codes} / {n_codes}"]
            if [t.replace("old-", "") for t in o_text] != [t.replace("new-", "") for t in n_text]:
                problems.append("printed report differs")
            for run, (a, b) in enumerate(((o1, n1), (o2, n2)), start=1):
                if a.exists() != b.exists():
                    problems.append(f"run {run}: written by only one side")
                elif a.exists():
                    problems += [f"run {run}: {d}"
                                 for d in differences(a, b, unmarked=args.unmarked)]
            failed += bool(problems)
            print(f"{'DIFFERENT' if problems else 'identical'}: {label} (segment, then rerun; "
                  f"exit codes {o_codes})")
            for problem in problems:
                print("   ", problem)
        folder = work / "territories"
        folder.mkdir()
        for i in range(3):
            shutil.copyfile(demo, folder / f"Gebiet{i}.xlsm")
        shutil.copyfile(typed, folder / "Gebiet-typed.xlsx")
        masters = {}
        for side, checkout in (("old", old), ("new", new)):
            masters[side] = work / f"{side}-Gesamt.xlsx"
            done = cli(checkout, "consolidate", str(folder), "--out", str(masters[side]))
            masters[side + "-code"] = done.returncode
        problems = differences(masters["old"], masters["new"], clocked=True,
                               unmarked=args.unmarked) \
            if masters["old"].exists() and masters["new"].exists() else ["not written"]
        failed += bool(problems)
        print(f"{'DIFFERENT' if problems else 'identical'}: consolidate master (exit codes "
              f"{masters['old-code']} / {masters['new-code']}; creation time, member "
              "timestamps and the import log's seconds not compared)")
        for problem in problems:
            print("   ", problem)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
