"""The command line speaks German throughout: typer's and Click's own texts, -h, --version,
German dates, whole help texts in the command list, one quoting style, grammatical counts, and
a clear message when build-workbook misses xmlschema (issue 16, item 9)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from xl_cseg import __version__
from xl_cseg.build import ribbon
from xl_cseg.cli import app
from xl_cseg.consolidate import history
from xl_cseg.core.german import count
from xl_cseg.german_cli import MO_FILE, PO_FILE, compile_mo, german, read_po

runner = CliRunner()
ENGLISH = ("Usage", "Options", "Arguments", "Commands", "Show this message", "[required]",
           "[default", "<path>", "<text>", "<integer>", "[OPTIONS]", "COMMAND [ARGS]", "Error:",
           "Try '", "Missing", "No such", "Invalid value", "Got unexpected")


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "80"}, prog_name="xl-cseg")


def command_paths() -> list[list[str]]:
    from typer.main import get_command

    root = get_command(app)
    paths = []
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            paths += [[name, sub] for sub in command.commands]
        paths.append([name])
    return paths


def test_main_help_is_german_with_h_and_version():
    result = invoke("-h")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("Aufruf: xl-cseg [OPTIONEN] BEFEHL [ARGUMENTE]...")
    for text in ("Optionen:", "Befehle:", "-h, --help", "Diese Hilfe zeigen und beenden.",
                 "--version"):
        assert text in out
    assert not [word for word in ENGLISH if word in out]
    assert invoke("--help").output == out


def test_command_list_shows_whole_help_texts():
    out = invoke("-h").output
    listing = out.split("Befehle:", 1)[1]
    assert "..." not in listing and "…" not in listing
    assert "(z. B.\n" in listing or "(z. B. C-Win" in listing  # not cut at the abbreviation


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_help_is_german(path):
    result = invoke(*path, "-h")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Aufruf: xl-cseg {' '.join(path)}")
    assert not [word for word in ENGLISH if word in result.output], result.output


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.strip() == f"xl-cseg {__version__}"


@pytest.mark.parametrize(("args", "expected"), [
    (["segment"], "Fehler: Argument „MAPPE“ fehlt."),
    (["segmnt"], "Fehler: Unbekannter Befehl „segmnt“. Meinten Sie „segment“?"),
    (["segment", "--bogus", "x.xlsx"], "Fehler: Unbekannte Option: --bogus"),
    (["segment", "a.xlsx", "b.xlsx"], "Fehler: Unerwartete weitere Angaben (b.xlsx)"),
    (["consolidate", ".", "-o", "x.xlsx", "--jobs", "0"],
     "Fehler: Ungültiger Wert für „--jobs“ / „-j“: 0 liegt nicht im Bereich x>=1."),
    (["consolidate", ".", "-o", "x.xlsx", "--jobs", "viele"],
     "Fehler: Ungültiger Wert für „--jobs“ / „-j“: „viele“ ist keine ganze Zahl."),
    (["consolidate", ".", "-o"], "Fehler: Option „-o“ braucht einen Wert."),
    (["migration", "--from", "31.2.2026"], "„31.2.2026“ ist kein Datum"),
])
def test_click_errors_are_german(args, expected):
    result = invoke(*args)
    assert result.exit_code == 2
    assert expected in result.output, result.output
    assert not [word for word in ENGLISH if word in result.output], result.output
    if "Aufruf:" in result.output:
        assert "Hilfe: „xl-cseg " in result.output and " -h“" in result.output


def test_german_dates_are_accepted(tmp_path):
    db = tmp_path / "Verlauf.sqlite"
    frame = pd.DataFrame({"customer_id": ["1", "2"], "name": ["A", "B"], "territory": ["N", "N"],
                          "code": ["A-Win", "C-Win"], "revenue": [1.0, 2.0]})
    for day in ("2026-01-31", "2026-06-30"):
        history.store(db, pd.Timestamp(day).date(), frame)
    result = invoke("migration", "--history", str(db), "--from", "31.01.2026", "--to",
                    "30.06.2026")
    assert result.exit_code == 0, result.output
    assert "31.01.2026 → 30.06.2026" in result.output
    iso = invoke("migration", "--history", str(db), "--from", "2026-01-31", "--to", "2026-06-30")
    assert iso.exit_code == 0 and "31.01.2026 → 30.06.2026" in iso.output


def test_counts_are_grammatical():
    assert count(1, "Datei", "Dateien") == "1 Datei"
    assert count(2, "Datei", "Dateien") == "2 Dateien"
    assert count(0, "Datei", "Dateien") == "0 Dateien"
    assert count(1250, "Kunde", "Kunden") == "1.250 Kunden"


def test_catalogue_is_compiled_and_complete():
    entries = read_po(PO_FILE.read_text(encoding="utf-8"))
    assert MO_FILE.read_bytes() == compile_mo(entries)  # python -m xl_cseg.german_cli
    for msgid, msgstr in entries.items():
        if not msgid:
            continue
        assert msgstr, msgid
        assert set(re.findall(r"\{(\w+)", msgstr)) <= set(re.findall(r"\{(\w+)", msgid)), msgid
        assert '"' not in msgstr and "'" not in msgstr, msgstr  # quotes are „…“


def test_english_messages_are_matched():
    assert german("Missing option '--out' / '-o'.") == "Option „--out“ / „-o“ fehlt."
    assert german("Directory 'x' does not exist.") == "Ordner „x“ gibt es nicht."
    assert german("something unknown") == "something unknown"


def test_one_quoting_style_in_messages():
    """German messages quote with „…“, never with ASCII double quotes around a value."""
    root = Path(__file__).resolve().parents[1] / "xl_cseg"
    skip = {"build", "vba"}  # VBA, formulas and XML are code, not messages
    offenders = []
    for path in root.rglob("*.py"):
        if skip & set(path.relative_to(root).parts):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"""f'[^']*"\{[^}]*\}"[^']*'""", line) and " ist " in line or \
                    re.search(r"""'[^'<=]*\s"\{[^}]*\}"\s[^'>]*'""", line):
                offenders.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_build_workbook_names_missing_xmlschema(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "xmlschema", None)  # import fails as if not installed
    ribbon._schema.cache_clear()
    try:
        result = invoke("build-workbook", "--out", str(tmp_path / "Vorlage.xlsm"))
    finally:
        ribbon._schema.cache_clear()
    assert result.exit_code == 2
    assert "xmlschema" in result.output and "pip install xmlschema" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "Vorlage.xlsm").exists()
