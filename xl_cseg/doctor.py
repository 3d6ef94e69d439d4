"""``xl-cseg doctor``: check what the workbook's Python functions and macros need on this machine.

Each check gives a :class:`Check` with a German message and, when something is wrong, the fix.
``ok`` is True (fine), False (needs fixing) or None (information, not checkable here).
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import os
import re
import shutil
import struct
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import olefile
import python_calamine as pc

from .build.ovba import decompress

MIN_PYTHON = (3, 11)
UDF_MODULE = "xl_cseg.udfs"
CONF_SHEET = "xlwings.conf"
_VERSION_CONST = re.compile(r'XLWINGS_VERSION\s+As\s+String\s*=\s*"([^"]*)"', re.IGNORECASE)
_VBA_FUNCTION = re.compile(r"^\s*(?:Public\s+)?Function\s+(\w+)\s*\(", re.IGNORECASE | re.MULTILINE)
_PIN = re.compile(r"^xlwings\s*==\s*([^\s;,]+)", re.IGNORECASE)
_WIN_VAR = re.compile(r"%([^%]+)%")
_CONF_LABELS = {"INTERPRETER_WIN": "Interpreter_Win", "INTERPRETER_MAC": "Interpreter_Mac",
                "CONDA PATH": "Conda Path", "CONDA ENV": "Conda Env", "UDF MODULES": "UDF Modules"}
_ONEDRIVE_KEYS = ("ONEDRIVE_CONSUMER_WIN", "ONEDRIVE_COMMERCIAL_WIN", "SHAREPOINT_WIN")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None
    message: str
    fix: str = ""


# -- environment ------------------------------------------------------------------------------
def pinned_xlwings() -> str | None:
    """The xlwings version xl-cseg pins in its package metadata (None when not installed)."""
    try:
        requirements = metadata.requires("xl-cseg") or []
    except metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        match = _PIN.match(requirement)
        if match:
            return match.group(1)
    return None


def installed_xlwings() -> str | None:
    try:
        return metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        return None


def _check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info >= MIN_PYTHON:
        return Check("Python", True, f"Python {version} ({sys.executable})")
    need = ".".join(map(str, MIN_PYTHON))
    return Check("Python", False, f"Python {version} ist zu alt, benötigt wird {need} oder neuer",
                 f"Python {need} oder neuer installieren und xl-cseg darin installieren")


def _check_xlwings(pin: str | None, installed: str | None) -> Check:
    if installed is None:
        return Check("xlwings", False, "xlwings ist nicht installiert",
                     f"pip install xlwings=={pin}" if pin else "pip install xl-cseg")
    if pin is None:
        return Check("xlwings", None, f"xlwings {installed} installiert; xl-cseg ist nicht als "
                                      "Paket installiert, die Vorgabe ist nicht prüfbar",
                     "pip install xl-cseg")
    if installed != pin:
        return Check("xlwings", False, f"xlwings {installed} installiert, xl-cseg verlangt {pin}",
                     f"pip install xlwings=={pin}")
    return Check("xlwings", True, f"xlwings {installed} wie von xl-cseg verlangt")


def _check_udf_module() -> Check:
    try:
        module = importlib.import_module(UDF_MODULE)
    except Exception as exc:  # noqa: BLE001 - any import failure is the finding
        return Check("Arbeitsblattfunktionen", False,
                     f"{UDF_MODULE} lässt sich nicht importieren: {type(exc).__name__}: {exc}",
                     "xl-cseg neu installieren: pip install --force-reinstall xl-cseg")
    names = [n for n in dir(module) if n.startswith("CSEG_")]
    return Check("Arbeitsblattfunktionen", True,
                 f"{UDF_MODULE} importiert ({len(names)} Funktionen)")


def _check_mac(installed: str | None, platform: str = sys.platform) -> Check:
    differs = ("Auf dem Mac laufen keine Arbeitsblattfunktionen (CSEG_…, sie zeigen einen "
               "Fehler); die Schaltflächen im Menüband (Makros) laufen")
    if platform != "darwin":
        return Check("Mac", None, f"Für Mac-Nutzer: {differs}; dort ist einmalig das "
                                  "xlwings-AppleScript nötig",
                     "auf dem Mac: xlwings runpython install")
    script = Path.home() / "Library" / "Application Scripts" / "com.microsoft.Excel" \
        / f"xlwings-{installed}.applescript"
    if script.is_file():
        return Check("Mac", True, f"{differs}; AppleScript {script.name} ist installiert")
    return Check("Mac", False, f"{differs}; das AppleScript {script.name} fehlt, Makros starten "
                               "Python daher nicht", "xlwings runpython install")


# -- workbook ---------------------------------------------------------------------------------
def _dir_records(data: bytes) -> list[tuple[int, bytes]]:
    """Records of a decompressed VBA ``dir`` stream (MS-OVBA 2.3.4.2)."""
    records, pos = [], 0
    while pos + 6 <= len(data):
        record_id, size = struct.unpack_from("<HI", data, pos)
        pos += 6
        if record_id == 0x0009:  # PROJECTVERSION: "size" is Reserved (4), then 6 bytes
            size = 6
        records.append((record_id, data[pos:pos + size]))
        pos += size
    return records


def vba_modules(vba_project: bytes) -> dict[str, str]:
    """Source code of every module of a ``vbaProject.bin``, keyed by module name."""
    ole = olefile.OleFileIO(vba_project)
    try:
        records = _dir_records(decompress(ole.openstream("VBA/dir").read()))
        codec = "cp1252"
        modules: list[dict[str, Any]] = []
        for record_id, payload in records:
            if record_id == 0x0003:  # PROJECTCODEPAGE
                codec = f"cp{struct.unpack('<H', payload)[0]}"
            elif record_id == 0x0019:  # MODULENAME
                modules.append({"name": payload.decode(codec), "stream": None, "offset": 0})
            elif record_id == 0x001A and modules:  # MODULESTREAMNAME
                modules[-1]["stream"] = payload.decode(codec)
            elif record_id == 0x0031 and modules:  # MODULEOFFSET
                modules[-1]["offset"] = struct.unpack("<I", payload)[0]
        sources = {}
        for module in modules:
            stream = ole.openstream(f"VBA/{module['stream'] or module['name']}").read()
            sources[module["name"]] = decompress(stream[module["offset"]:]).decode(
                codec, errors="replace")
        return sources
    finally:
        ole.close()


def _is_remote(workbook: Path) -> bool:
    text = str(workbook)
    return text.lower().startswith(("https:/", "http:/"))


def _check_vba(workbook: Path, modules: dict[str, str] | None, pin: str | None,
               installed: str | None) -> list[Check]:
    if modules is None:
        return [Check("Makros", False, f"{workbook.name} enthält keine Makros (kein VBA-Projekt)",
                      "Mappe als .xlsm mit xl-cseg new neu erzeugen und die Daten übernehmen")]
    checks = []
    embedded = next((m.group(1) for source in modules.values()
                     if (m := _VERSION_CONST.search(source))), None)
    if embedded is None:
        checks.append(Check("xlwings in der Mappe", False,
                            "die Mappe enthält kein xlwings-Modul (XLWINGS_VERSION fehlt)",
                            "Mappe mit xl-cseg new neu erzeugen und die Daten übernehmen"))
    elif embedded == installed:
        checks.append(Check("xlwings in der Mappe", True,
                            f"Mappe und Python nutzen xlwings {embedded}"))
    else:
        rebuild = "Mappe mit xl-cseg new neu erzeugen und die Daten übernehmen"
        if installed is None or installed != pin:  # Python is off the pin (or no pin known)
            fix = f"pip install xlwings=={pin or embedded}"
            if pin and embedded != pin:
                fix += f"; danach: {rebuild}"
        else:  # Python has the pinned version: the workbook is the odd one out
            fix = (f"{rebuild} (bringt xlwings {pin} mit) – oder, wenn die Mappe bleiben muss: "
                   f"pip install xlwings=={embedded} (weicht von der xl-cseg-Vorgabe {pin} ab)")
        checks.append(Check("xlwings in der Mappe", False,
                            f"die Mappe enthält xlwings {embedded}, installiert ist "
                            f"{installed or 'keines'}: Excel meldet dann einen Versionskonflikt",
                            fix))
    checks.append(_check_udf_wrappers(modules))
    return checks


def _check_udf_wrappers(modules: dict[str, str]) -> Check:
    name = "Funktionen in der Mappe"
    wrapper = next((s for n, s in modules.items() if n.lower() == "xlwings_udfs"), None)
    try:
        module = importlib.import_module(UDF_MODULE)
    except Exception:  # noqa: BLE001 - reported by the import check
        return Check(name, None,
                     "nicht prüfbar: die Python-Funktionen lassen sich nicht importieren")
    expected = {n for n in dir(module) if hasattr(getattr(module, n), "__xlfunc__")}
    if wrapper is None:
        return Check(name, False, "die Mappe enthält kein Modul xlwings_udfs: CSEG-Funktionen "
                                  "zeigen #NAME?", "Mappe mit xl-cseg new neu erzeugen")
    found = {f for f in _VBA_FUNCTION.findall(wrapper) if f.upper().startswith("CSEG_")}
    missing, extra = sorted(expected - found), sorted(found - expected)
    if missing or extra:
        parts = ([f"fehlen: {', '.join(missing)}"] if missing else []) + \
                ([f"veraltet: {', '.join(extra)}"] if extra else [])
        return Check(name, False, f"Funktionen passen nicht zur installierten xl-cseg-Version "
                                  f"({'; '.join(parts)})", "Mappe mit xl-cseg new neu erzeugen")
    return Check(name, True, f"alle {len(expected)} CSEG-Funktionen in der Mappe")


def read_conf_sheet(workbook: Path) -> tuple[dict[str, Any] | None, bool]:
    """Settings of the ``xlwings.conf`` sheet (keys upper-case, from A1 down to the first blank
    key, as xlwings reads them) and whether an inactive ``_xlwings.conf`` sheet exists."""
    book = pc.CalamineWorkbook.from_path(str(workbook))
    inactive = any(n.lower() == f"_{CONF_SHEET}" for n in book.sheet_names)
    sheet = next((n for n in book.sheet_names if n.lower() == CONF_SHEET), None)
    if sheet is None:
        return None, inactive
    settings: dict[str, Any] = {}
    for row in book.get_sheet_by_name(sheet).to_python(skip_empty_area=False):
        key = str(row[0]).strip() if row and row[0] is not None else ""
        if not key:
            break
        settings[key.upper()] = row[1] if len(row) > 1 else ""
    return settings, inactive


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, bool) else str(value).strip()


def _expand(path: str) -> str:
    """Environment variables as xlwings expands them (%USERPROFILE% on Windows, $HOME)."""
    return os.path.expandvars(_WIN_VAR.sub(lambda m: os.environ.get(m.group(1), m.group(0)), path))


def _check_interpreter(settings: dict[str, Any], platform: str = sys.platform) -> list[Check]:
    checks = []
    here = {"win32": "INTERPRETER_WIN", "darwin": "INTERPRETER_MAC"}.get(platform)
    for key, label in (("INTERPRETER_WIN", "Interpreter_Win"),
                       ("INTERPRETER_MAC", "Interpreter_Mac")):
        value = _text(settings.get(key))
        if key != here:
            if value:
                checks.append(Check(label, None, f"{value} (auf diesem Rechner nicht prüfbar)"))
            continue
        if not value:
            checks.append(Check(label, None, "leer: xlwings nimmt das Python aus dem PATH bzw. "
                                             "den Einstellungen des Add-ins"))
            continue
        expanded = _expand(value)
        found = shutil.which(expanded) if not any(s in expanded for s in "/\\") else \
            (expanded if Path(expanded).is_file() else None)
        if found is None:
            checks.append(Check(label, False, f"{value} gibt es auf diesem Rechner nicht",
                                f"im Blatt xlwings.conf bei {label} den Pfad zu python.exe "
                                f"eintragen, z. B. {sys.executable}"))
        elif Path(found).absolute().parent != Path(sys.executable).absolute().parent:  # pythonw
            checks.append(Check(label, None, f"{value} ist ein anderes Python als dieses "
                                             f"({sys.executable}): dort muss xl-cseg "
                                             "installiert sein",
                                f'"{found}" -m pip install xl-cseg'))
        else:
            checks.append(Check(label, True, f"{value} gehört zu diesem Python"))
    return checks


def _check_conf_sheet(settings: dict[str, Any]) -> Check:
    modules = [m.strip() for m in _text(settings.get("UDF MODULES")).split(";") if m.strip()]
    if modules and UDF_MODULE not in modules:
        return Check(CONF_SHEET, None, f"UDF Modules = {';'.join(modules)}: „Funktionen "
                                       f"importieren“ im xlwings-Menüband lädt dann nicht "
                                       f"{UDF_MODULE} (die Mappe selbst braucht das nicht)",
                     f"im Blatt xlwings.conf bei UDF Modules {UDF_MODULE} eintragen")
    shown = ", ".join(f"{_CONF_LABELS[k]} = {_text(v) or 'leer'}" for k, v in settings.items()
                      if k in _CONF_LABELS)
    return Check(CONF_SHEET, True, f"Blatt gefunden ({shown})")


def _check_conda(settings: dict[str, Any], platform: str = sys.platform) -> Check | None:
    path, env = _text(settings.get("CONDA PATH")), _text(settings.get("CONDA ENV"))
    if not path and not env:
        return None
    if not env:
        return Check("Conda", False,
                     f"Conda Path ist gesetzt ({path}), Conda Env fehlt: xlwings nutzt Conda dann "
                     "nicht",
                     "im Blatt xlwings.conf Conda Env eintragen (z. B. base) oder Conda Path leeren")
    if not path:
        return Check("Conda", False,
                     f"Conda Env ist gesetzt ({env}), Conda Path fehlt: xlwings nutzt Conda dann "
                     "nicht",
                     r"im Blatt xlwings.conf Conda Path eintragen (z. B. C:\Users\Name\anaconda3)")
    if platform != "win32":
        return Check("Conda", None, f"{path}, Umgebung {env} (nur unter Windows prüfbar)")
    root = Path(_expand(path))
    env_dir = root if env.lower() == "base" else root / "envs" / env
    if not root.is_dir() or not env_dir.is_dir():
        return Check("Conda", False, f"Conda-Umgebung {env_dir} gibt es nicht",
                     "im Blatt xlwings.conf Conda Path und Conda Env korrigieren")
    return Check("Conda", True, f"Conda-Umgebung {env_dir}")


def _check_onedrive(workbook: Path, settings: dict[str, Any] | None) -> Check | None:
    parts = re.split(r"[\\/]", str(workbook))
    synced = any(part.lower().startswith(("onedrive", "sharepoint")) for part in parts)
    if not synced and not _is_remote(workbook):
        return None
    configured = [k for k in _ONEDRIVE_KEYS if _text((settings or {}).get(k))]
    if configured:
        return Check("OneDrive/SharePoint", True,
                     f"Mappe liegt in OneDrive/SharePoint; eingestellt: {', '.join(configured)}")
    return Check("OneDrive/SharePoint", False,
                 "Mappe liegt in OneDrive/SharePoint: Excel meldet dann eine https-Adresse statt "
                 "eines Dateipfads, xlwings findet die Datei nicht",
                 "im Blatt xlwings.conf ONEDRIVE_CONSUMER_WIN (privat) bzw. "
                 "ONEDRIVE_COMMERCIAL_WIN (Firma) auf den lokalen OneDrive-Ordner setzen, z. B. "
                 r"%USERPROFILE%\OneDrive – oder eine lokale Kopie außerhalb von OneDrive öffnen")


def _check_workbook(workbook: Path, pin: str | None, installed: str | None) -> list[Check]:
    if _is_remote(workbook):
        return [_check_onedrive(workbook, None)]
    if not workbook.is_file():
        return [Check("Arbeitsmappe", False, f"{workbook} nicht gefunden",
                      "Pfad prüfen oder mit xl-cseg new eine Mappe erzeugen")]
    try:
        with zipfile.ZipFile(workbook) as archive:
            names = set(archive.namelist())
            project = archive.read("xl/vbaProject.bin") if "xl/vbaProject.bin" in names else None
        modules = vba_modules(project) if project is not None else None
        settings, inactive = read_conf_sheet(workbook)
    except Exception as exc:  # noqa: BLE001 - whatever makes the file unreadable is the finding
        return [Check("Arbeitsmappe", False, f"{workbook.name} ist nicht lesbar: {exc}",
                      "Datei in Excel öffnen und als .xlsm speichern")]
    checks = [Check("Arbeitsmappe", True, str(workbook))]
    checks += _check_vba(workbook, modules, pin, installed)
    if settings is None:
        note = " (das Blatt _xlwings.conf ist wegen des Unterstrichs inaktiv)" if inactive else ""
        checks.append(Check(CONF_SHEET, None,
                            f"kein Blatt xlwings.conf{note}: es gelten die Einstellungen aus "
                            r"%USERPROFILE%\.xlwings\xlwings.conf"))
    else:
        checks.append(_check_conf_sheet(settings))
        checks += _check_interpreter(settings)
        conda = _check_conda(settings)
        if conda:
            checks.append(conda)
    onedrive = _check_onedrive(workbook, settings)
    if onedrive:
        checks.append(onedrive)
    return checks


def run_checks(workbook: Path | None = None) -> list[Check]:
    """All checks; the workbook ones only when a workbook is given."""
    pin, installed = pinned_xlwings(), installed_xlwings()
    checks = [_check_python(), _check_xlwings(pin, installed), _check_udf_module()]
    if workbook is not None:
        checks += _check_workbook(Path(workbook), pin, installed)
    checks.append(_check_mac(installed))
    return checks


# -- output -----------------------------------------------------------------------------------
_MARK = {True: "OK", False: "FEHLER", None: "INFO"}


def render(checks: list[Check]) -> str:
    """Plain-text report, one block per check."""
    lines = []
    for check in checks:
        lines.append(f"[{_MARK[check.ok]}] {check.name}: {check.message}")
        if check.fix and check.ok is not True:
            lines.append(f"    Abhilfe: {check.fix}")
    return "\n".join(lines)


def main(workbook: Path | None = None) -> int:
    """Print the checks as a table; exit code 0 when nothing needs fixing, else 1."""
    from rich.console import Console
    from rich.table import Table

    checks = run_checks(workbook)
    table = Table(title="xl-cseg doctor", show_lines=True)
    for column in ("", "Prüfung", "Ergebnis", "Abhilfe"):
        table.add_column(column)
    style = {True: "[green]✔[/]", False: "[red]✖[/]", None: "[yellow]•[/]"}
    for check in checks:
        table.add_row(style[check.ok], check.name, check.message,
                      check.fix if check.ok is not True else "")
    console = Console()
    console.print(table)
    failed = [c for c in checks if c.ok is False]
    console.print(f"[red]{len(failed)} Problem(e) gefunden.[/]" if failed
                  else "[green]Alles bereit.[/]")
    return 1 if failed else 0
