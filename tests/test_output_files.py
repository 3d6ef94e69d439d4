"""Which files a run writes (issue 16, item 2): never an existing other file without --force,
never an input, a symlink's real file, the extension the content needs, nothing on exit 2, and
the permissions of the umask."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.userlists import typed_list
from xl_cseg import jobs
from xl_cseg.cli import app
from xl_cseg.resources import demo_workbook

runner = CliRunner()
TODAY = dt.date(2026, 6, 30)
HEADERS = ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"]
ROWS = [[1001, "Müller GmbH", 60000, 70000], [1002, "Schmidt KG", 20000, 100000],
        [1003, "Weber AG", 5000, 40000]]


def listing(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def rep_list(tmp_path: Path) -> Path:
    return typed_list(tmp_path / "Liste.xlsx", HEADERS, ROWS, title_rows=["Meine Kunden"])


def test_out_refuses_an_existing_other_file_without_force(rep_list, tmp_path):
    other = typed_list(tmp_path / "Andere.xlsx", HEADERS, ROWS * 5)
    before = listing(tmp_path)
    result = runner.invoke(app, ["segment", str(rep_list), "--out", str(other)])
    assert result.exit_code == 2
    assert "gibt es schon" in result.output and "--force" in result.output
    assert listing(tmp_path) == before  # exit 2: nothing written
    result = runner.invoke(app, ["segment", str(rep_list), "--out", str(other), "--force"])
    assert result.exit_code == 0, result.output
    assert listing(tmp_path)["Liste.xlsx"] == before["Liste.xlsx"]
    assert listing(tmp_path)["Andere.xlsx"] != before["Andere.xlsx"]


def test_out_naming_the_input_itself_is_in_place(rep_list):
    result = runner.invoke(app, ["segment", str(rep_list), "--out", str(rep_list)])
    assert result.exit_code == 0, result.output


def test_symlinked_workbook_keeps_its_link_and_the_real_file_gets_the_results(rep_list, tmp_path):
    link = tmp_path / "Verknuepfung.xlsx"
    link.symlink_to(rep_list)
    before = rep_list.read_bytes()
    jobs.segment_workbook(link, today=TODAY)
    assert link.is_symlink() and link.resolve() == rep_list.resolve()
    assert rep_list.read_bytes() != before
    # --out through a link to a new name: the link stays, its target is created
    dangling = tmp_path / "Ziel-Link.xlsx"
    dangling.symlink_to(tmp_path / "echt.xlsx")
    jobs.segment_workbook(rep_list, dangling, today=TODAY)
    assert dangling.is_symlink() and (tmp_path / "echt.xlsx").is_file()


def test_extension_must_match_the_content(rep_list, tmp_path):
    before = listing(tmp_path)
    result = runner.invoke(app, ["segment", str(rep_list), "--out", str(tmp_path / "x.xlsm")])
    assert result.exit_code == 2 and ".xlsx" in result.output
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo.xlsx")])
    assert result.exit_code == 2 and ".xlsm" in result.output
    result = runner.invoke(app, ["consolidate", str(rep_list), "--out", str(tmp_path / "g.csv")])
    assert result.exit_code == 2 and ".xlsx" in result.output
    assert listing(tmp_path) == before


def test_demo_refuses_an_existing_file_and_writes_nothing_on_refusal(tmp_path):
    target = tmp_path / "sub" / "Demo.xlsm"
    result = runner.invoke(app, ["demo", "--out", str(target)])
    assert result.exit_code in (0, 1), result.output
    first = target.read_bytes()
    target.write_bytes(b"meine Datei")
    result = runner.invoke(app, ["demo", "--out", str(target)])
    assert result.exit_code == 2 and "--force" in result.output
    assert target.read_bytes() == b"meine Datei"
    result = runner.invoke(app, ["demo", "--out", str(target), "--force"])
    assert result.exit_code in (0, 1)
    assert target.read_bytes()[:2] == b"PK" and len(target.read_bytes()) == len(first)


def test_a_failed_run_leaves_no_folder_behind(tmp_path):
    broken = tmp_path / "kaputt.xlsx"
    broken.write_bytes(b"keine Mappe")
    result = runner.invoke(app, ["segment", str(broken), "--out", str(tmp_path / "neu" / "x.xlsx")])
    assert result.exit_code == 2
    assert not (tmp_path / "neu").exists()


def test_consolidate_out_never_one_of_its_inputs(rep_list, tmp_path):
    second = typed_list(tmp_path / "Sued.xlsx", HEADERS, ROWS)
    before = listing(tmp_path)
    for extra in ([], ["--force"]):
        result = runner.invoke(app, ["consolidate", str(rep_list), str(second), "--out",
                                     str(second), *extra])
        assert result.exit_code == 2 and "Eingabedatei" in result.output, result.output
    # found in a folder that is read: a territory workbook is never replaced
    result = runner.invoke(app, ["consolidate", str(tmp_path), "--out", str(second), "--force"])
    assert result.exit_code == 2 and "Gebietsdatei" in result.output, result.output
    assert listing(tmp_path) == before
    # a master written by this command may be replaced with --force
    out = tmp_path / "Gesamt.xlsx"
    assert runner.invoke(app, ["consolidate", str(tmp_path), "--out", str(out)]).exit_code == 0
    again = runner.invoke(app, ["consolidate", str(tmp_path), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(app, ["consolidate", str(tmp_path), "--out", str(out),
                               "--force"]).exit_code == 0


def test_new_files_get_the_umask_permissions(rep_list, tmp_path):
    old = os.umask(0o022)
    try:
        jobs.segment_workbook(rep_list, tmp_path / "neu.xlsx", today=TODAY)
        assert stat.S_IMODE((tmp_path / "neu.xlsx").stat().st_mode) == 0o644
        out = tmp_path / "Gesamt.xlsx"
        assert runner.invoke(app, ["consolidate", str(rep_list), "--out", str(out)]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        os.umask(0o002)
        jobs.demo_workbook_to(tmp_path / "demo.xlsm")
        assert stat.S_IMODE((tmp_path / "demo.xlsm").stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_demo_is_written_from_the_package_copy(tmp_path):
    report = jobs.demo_workbook_to(tmp_path / "d.xlsm", TODAY)
    assert report.written == tmp_path / "d.xlsm"
    assert demo_workbook().read_bytes() != (tmp_path / "d.xlsm").read_bytes()


def test_every_writing_command_keeps_to_the_rules(rep_list, tmp_path):
    other = typed_list(tmp_path / "Andere.xlsx", HEADERS, ROWS)
    before = listing(tmp_path)
    for args in (["whatif", str(rep_list), "--besuche-b", "3:5", "--out", str(other)],
                 ["pricing", str(rep_list), "--out", str(other)],
                 ["plan", str(rep_list), "--out", str(other)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "--force" in result.output, (args, result.output)
    # the parameter workbook is an input of the run, never its output
    result = runner.invoke(app, ["segment", str(rep_list), "--params", str(other),
                                 "--out", str(other), "--force"])
    assert result.exit_code == 2 and "Eingabedatei" in result.output, result.output
    assert listing(tmp_path) == before


def test_migration_out_keeps_to_the_rules(rep_list, tmp_path):
    out = tmp_path / "Gesamt.xlsx"
    for i, date in enumerate(("2026-01-31", "2026-06-30")):
        args = ["consolidate", str(rep_list), "--out", str(out), "--date", date]
        assert runner.invoke(app, args + (["--force"] if i else [])).exit_code == 0
    history = tmp_path / "Gesamt.history.sqlite"
    assert history.exists()
    other = typed_list(tmp_path / "Andere.xlsx", HEADERS, ROWS)
    before = listing(tmp_path)
    for target, needle in ((other, "--force"), (tmp_path / "m.csv", ".xlsx"), (history, "Eingabe")):
        result = runner.invoke(app, ["migration", "--history", str(history), "--out", str(target)])
        assert result.exit_code == 2 and needle in result.output, result.output
    assert listing(tmp_path) == before
    result = runner.invoke(app, ["migration", "--history", str(history), "--out",
                                 str(tmp_path / "Migration.xlsx")])
    assert result.exit_code == 0, result.output
