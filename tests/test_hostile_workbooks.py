"""Issue 17: broken, hostile and extreme workbooks get a German message naming part, sheet and
cell, exit code 2 and nothing written; or they simply work. Never a traceback, never an abort."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import python_calamine as pc
from typer.testing import CliRunner

from hostile_support import (SHEET, big_list, cell_ref, cell_type, customer_list,
                             duplicated_attribute, header_over_all_columns, last_cell_used,
                             many_members, member_bigger_than_declared, merge, nul_in_name,
                             shared_string_cell, table_column_missing, table_ref, text_in_number,
                             unused_doctype)
from xl_cseg.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]

REFUSED = {
    "merge_beyond_xfd": (merge("XFE1:XFE2"), ["Blatt „Kunden“", "XFE1:XFE2", "Spalte XFD"]),
    "merge_row_0": (merge("A0:B1"), ["Blatt „Kunden“", "A0:B1", "Zeile 0"]),
    "cell_beyond_xfd": (cell_ref("A5", "XFE5"), ["Blatt „Kunden“", "XFE5"]),
    "cell_row_0": (cell_ref("A3", "G0"), ["Blatt „Kunden“", "G0", "Zeile 0"]),
    "cell_row_99999999": (cell_ref("A5", "A99999999"), ["A99999999", "1.048.576"]),
    "table_ref_empty": (table_ref(""), ["xl/tables/table1.xml", "Blatt „Kunden“", "Bereich"]),
    "table_ref_with_sheet": (table_ref("Kunden!A1:D6"), ["xl/tables/table1.xml",
                                                         "Kunden!A1:D6"]),
    "table_column_missing": (table_column_missing, ["xl/tables/table1.xml", "4 Spalten",
                                                    "beschreibt 3"]),
    "shared_string_index_out_of_range": (shared_string_cell(b"99999"),
                                         ["Blatt „Kunden“", "gemeinsamen Text"]),
    "shared_string_index_with_comma": (shared_string_cell(b"1,5"),
                                       ["Zelle A3", "„1,56“", "gemeinsamen Textes"]),
    "cell_type_zz": (cell_type("zz"), ["Zelle A3", "„zz“ ist kein Zelltyp"]),
    "member_bigger_than_declared": (member_bigger_than_declared,
                                    ["xl/worksheets/sheet1.xml", "mehr Daten als angegeben"]),
    "unused_doctype": (unused_doctype, ["xl/sharedStrings.xml", "DOCTYPE"]),
    "too_many_members": (many_members, ["Bestandteilen", "10.000"]),
    "header_over_all_columns": (header_over_all_columns,
                                ["kein Platz", "(Umsatzentwicklung, ABC,", "16.384 Spalten"]),
}


def _run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_a_german_message_and_nothing_written(case: str, tmp_path: Path) -> None:
    build, expected = REFUSED[case]
    path = build(tmp_path / f"{case}.xlsx")
    before = path.read_bytes()
    for command in ("validate", "segment"):
        result = _run(command, str(path))
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert text.startswith("Fehler:"), text
        for fragment in expected:
            assert fragment in text, (fragment, text)
        assert "keine Kundentabelle" not in text  # corruption is reported as corruption
        assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def _outputs(path: Path) -> list[list]:
    return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Kunden").to_python()


def test_value_in_excels_last_cell_is_read_without_the_native_allocation(tmp_path: Path
                                                                          ) -> None:
    # python-calamine aborts the process on this file (memory allocation of 549755813888
    # bytes failed): the sheet is read by the own sparse path, in a child to catch an abort
    path = last_cell_used(tmp_path / "xfd.xlsx")
    code = (f"from xl_cseg.cli import main; import sys; sys.argv = ['xl-cseg', 'segment', "
            f"{str(path)!r}]; main()")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read(SHEET)
    assert b'r="XFD1048576"' in sheet and b"Segment" in sheet


def test_sheet_name_with_markup_is_printed_as_it_is(tmp_path: Path) -> None:
    path = customer_list(tmp_path / "markup.xlsx")
    from hostile_support import replace
    replace(path, "xl/workbook.xml", b'name="Kunden"', b'name="Kunden[/b]"')
    result = _run("segment", str(path))
    assert result.exit_code == 0, result.output
    assert "Kunden[/b]" in result.output


def test_two_customers_with_the_same_32767_character_number(tmp_path: Path) -> None:
    number = "9" * 32_767
    path = customer_list(tmp_path / "lang.xlsx", rows=3, ids=[number, number, "K3"])
    result = _run("segment", str(path))
    assert result.exit_code == 1, result.output
    grid = _outputs(path)
    notes = [row[grid[0].index("Prüfhinweis")] for row in grid[1:3]]
    assert all("kommt 2-mal vor: Zeilen 2, 3" in n and len(n) < 200 for n in notes), notes


def test_tiny_and_huge_numbers_side_by_side(tmp_path: Path) -> None:
    path = customer_list(tmp_path / "extrem.xlsx", revenue=[1e-320, 1.79e308, 5, 6, 7])
    result = _run("segment", str(path))
    assert result.exit_code in (0, 1), result.output


@pytest.mark.parametrize("build", [text_in_number, duplicated_attribute])
def test_damage_the_native_reader_accepts_is_read(build, tmp_path: Path) -> None:
    path = build(tmp_path / "big.xlsx")
    result = _run("validate", str(path))
    assert result.exit_code in (0, 1), result.output
    if build is text_in_number:
        assert 'Kunden!C3: „abc2000“ ist keine Zahl' in " ".join(result.output.split())


def test_the_big_list_itself_is_fine(tmp_path: Path) -> None:
    assert _run("validate", str(big_list(tmp_path / "big.xlsx"))).exit_code == 0


def test_255_character_file_name(tmp_path: Path) -> None:
    path = customer_list(tmp_path / ("K" * 250 + ".xlsx"))  # the "~$" owner name is too long
    result = _run("segment", str(path))
    assert result.exit_code == 0, result.output


def test_path_too_long_is_a_german_message(tmp_path: Path) -> None:
    path = customer_list(tmp_path / "liste.xlsx")
    out = tmp_path / "/".join(["o" * 200] * 25) / "x.xlsx"  # beyond PATH_MAX
    result = _run("segment", str(path), "--out", str(out))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "zu lang" in text and "name too long" not in text.lower()


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 300 KB file system (tmpfs), or a skip where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode:
        pytest.skip("cannot mount a small tmpfs here")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_disk_full_is_a_german_message_and_leaves_nothing(small_disk: Path, tmp_path: Path
                                                          ) -> None:
    path = customer_list(tmp_path / "gross.xlsx", rows=20_000)
    out = small_disk / "Ergebnis.xlsx"
    result = _run("segment", str(path), "--out", str(out))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "kein Platz" in text and str(out) in text and "No space" not in text
    assert list(small_disk.iterdir()) == []


def test_out_into_a_missing_folder_under_a_read_only_one(tmp_path: Path) -> None:
    path = customer_list(tmp_path / "liste.xlsx")
    locked = tmp_path / "gesperrt"
    locked.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(locked)],
                          capture_output=True)
    if done.returncode:
        os.chmod(locked, 0o555)  # not root: the permissions hold
        if os.access(locked, os.W_OK):
            pytest.skip("neither a read-only mount nor permissions stop this user")
    try:
        result = _run("segment", str(path), "--out", str(locked / "neu" / "x.xlsx"))
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert "gesperrt" in text and ("schreibgeschützt" in text or "Berechtigung" in text)
        assert "Errno" not in text and "Permission" not in text
    finally:
        if not done.returncode:
            subprocess.run(["umount", str(locked)], check=False)
        os.chmod(locked, 0o755)


def test_nul_in_a_customer_name_keeps_the_file_in_consolidate(tmp_path: Path) -> None:
    folder = tmp_path / "gebiete"
    folder.mkdir()
    nul_in_name(folder / "nord.xlsx")
    customer_list(folder / "sued.xlsx", ids=[f"S{i}" for i in range(5)])
    result = _run("consolidate", str(folder), "--out", str(tmp_path / "Gesamt.xlsx"))
    text = " ".join(result.output.split())
    assert result.exit_code in (0, 1), text
    assert "2 Dateien gelesen, 0 nicht gelesen" in text


def test_a_crashed_reader_process_fails_only_its_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from xl_cseg.consolidate import run

    folder = tmp_path / "gebiete"
    folder.mkdir()
    for name in ("a", "b", "c", "d"):
        customer_list(folder / f"{name}.xlsx", ids=[f"{name}{i}" for i in range(5)])
    real = run.read_territory

    def dying(task):
        if task.path.name == "b.xlsx":
            os._exit(134)  # as a native abort ends a worker
        return real(task)

    monkeypatch.setattr(run, "read_territory", dying)  # forked workers inherit it
    result = _run("consolidate", str(folder), "--out", str(tmp_path / "Gesamt.xlsx"))
    text = " ".join(result.output.split())
    assert "3 Dateien gelesen, 1 nicht gelesen" in text, text
    assert "b.xlsx" in text and "Absturz" in text


def test_long_shared_text_in_millions_of_cells_is_refused_early(tmp_path: Path) -> None:
    # a 60 MiB sheet inside a small file: every cell (no r attribute) refers to one shared
    # string of 1,000 characters; the native readers would copy it into each (past 7 GB)
    from hostile_support import SST, members

    path = customer_list(tmp_path / "bombe.xlsx")
    found = members(path)
    index = next(d for i, d in found if i.filename == SST).count(b"<si>")
    import random

    rng = random.Random(17)  # a number per row keeps the ratio below the zip-bomb limit
    cells = b'<c t="s"><v>%d</v></c>' % index * 100
    rows = b"".join(b"<row>" + cells + b"<c><v>%d</v></c></row>" % rng.randrange(10**6)
                    for _ in range(20 * 2**20 // len(cells)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in found:
            if info.filename == SHEET:
                data = data.replace(b"</sheetData>", rows + b"</sheetData>")
            elif info.filename == SST:
                data = data.replace(b"</sst>", b"<si><t>" + b"y" * 1000 + b"</t></si></sst>")
            zf.writestr(info, data)
    result = _run("validate", str(path))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "Blatt „Kunden“" in text and "gemeinsamer Texte" in text


def test_more_cells_than_the_limit_are_refused(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # the limit is 24 million cells (a 500 MiB sheet of repeated cells holds 35 million):
    # here lowered, so that a small list stands for such a sheet
    from xl_cseg.io import sheetvalues

    monkeypatch.setattr(sheetvalues, "MAX_SHEET_CELLS", 10)
    result = _run("validate", str(customer_list(tmp_path / "viele.xlsx")))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "Blatt „Kunden“: 24 belegte Zellen, erlaubt sind 10" in text


def test_a_result_too_big_to_read_again_is_not_written(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the project writes it can read again: a sheet part that would grow past the
    reader's part limit (1 GiB; here lowered between the list's part and its result's, as for a
    list of a million rows with many own columns) is refused, the file left as it was."""
    from xl_cseg.xlsx import safezip

    path = customer_list(tmp_path / "breit.xlsx", rows=400)
    before = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        size = zf.getinfo(SHEET).file_size
    monkeypatch.setattr(safezip, "MAX_PART_SIZE", size + 1000)
    assert _run("validate", str(path)).exit_code == 0  # the list itself is read
    for args in (("segment", str(path)), ("segment", str(path), "--out", str(tmp_path / "o.xlsx"))):
        result = _run(*args)
        assert result.exit_code == 2, result.output
        text = " ".join(result.output.split())
        assert f"„breit.xlsx“: der Bestandteil {SHEET} hätte" in text, text
        assert "könnte das Ergebnis nicht wieder lesen" in text
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["breit.xlsx"]


def test_a_master_too_big_to_read_again_is_not_written(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from xl_cseg.xlsx import safezip

    folder = tmp_path / "gebiete"
    folder.mkdir()
    with zipfile.ZipFile(customer_list(folder / "Nord.xlsx", rows=1500)) as zf:
        size = zf.getinfo(SHEET).file_size
    # above the territory's sheet and every part of the parameter template (44 KB), below
    # the master's customers (19 columns, not 4)
    monkeypatch.setattr(safezip, "MAX_PART_SIZE", max(size, 50_000) + 1000)
    out = tmp_path / "Gesamt.xlsx"
    result = _run("consolidate", str(folder), "--out", str(out))
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "„Gesamt.xlsx“: der Bestandteil xl/worksheets/sheet2.xml hätte" in text, text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gebiete"]
