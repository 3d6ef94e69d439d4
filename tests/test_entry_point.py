"""The ``xl-cseg`` command and ``python -m xl_cseg`` are the command line of :mod:`xl_cseg.cli`."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "xl_cseg", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def test_console_script_is_the_cli_main() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["xl-cseg"].partition(":")
    from xl_cseg import cli

    assert getattr(importlib.import_module(module), name) is cli.main


def test_python_dash_m_segments_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "Kunden.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Kunden")
    ws.write_row(0, 0, ["Kunden-Nr", "Kunde", "Umsatz Vorjahr", "Potenzial"])
    ws.write_row(1, 0, [1001, "Muster GmbH", 50_000, 120_000])
    ws.write_row(2, 0, [1002, "Beispiel AG", 8_000, 9_000])
    wb.close()
    before = path.read_bytes()
    done = _run("segment", "Kunden.xlsx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert path.read_bytes() != before
    assert "Traceback" not in done.stdout + done.stderr


def test_python_dash_m_without_arguments_shows_the_commands(tmp_path: Path) -> None:
    done = _run(cwd=tmp_path)
    assert "segment" in done.stdout + done.stderr and "Traceback" not in done.stderr
