#!/usr/bin/python3
"""Open spreadsheets in a private headless LibreOffice and report what it sees.

Run with the system interpreter that has ``uno`` (python3-uno), not the project venv::

    /usr/bin/python3 tests/lo/probe.py book.xlsx other.xlsm --cell 'Daten!A1' --probe Module1.Probe
    /usr/bin/python3 tests/lo/probe.py --request req.json

A request file holds a list of documents (or ``{"docs": [...]}``), each
``{"path": str, "cells": ["Sheet!A1", ...], "probe": ["Module.Function", ...],
"recalc": bool (default true), "timeout": seconds}``.

Prints one JSON object per document on stdout (keys: path, ok, error, sheets, named_ranges,
database_ranges, cells, basic_libraries, vba_modules, probe, seconds).

Probe functions are Basic functions without arguments, called through the document's script
provider with ``vnd.sun.star.script:<Library>.<Module>.<Function>?language=Basic&location=document``.
LibreOffice imports an Excel VBA project into a document Basic library named after the VBA project
(usually ``VBAProject``); ``Module.Function`` is resolved to the library holding the module,
``Library.Module.Function`` is used as given. Imported modules keep their VBA names (document
modules under the sheets' code names) and start with ``Option VBASupport 1``, so the VBA object model
(ThisWorkbook, Worksheets, Range) works. LibreOffice cannot compile ``Declare PtrSafe`` (xlwings).
Basic runtime errors are not reported through the script provider: the function then returns its
default value, so probe functions should return a distinctive value (e.g. "Ribbon ok").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue

SOFFICE = os.environ.get("XL_CSEG_SOFFICE", "/usr/bin/soffice")
CONNECT_TIMEOUT = 30.0
DOC_TIMEOUT = 30.0
ALWAYS_EXECUTE_NO_WARN = 4  # com.sun.star.document.MacroExecMode
FORMULA_RESULT_VALUE = 1  # com.sun.star.sheet.FormulaResult


def _props(**values) -> tuple:
    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        out.append(prop)
    return tuple(out)


class Office:
    """A private soffice process with its own temporary profile, reached over a named pipe."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="xl-cseg-lo-")
        pipe = f"xlcseg_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        self.proc = subprocess.Popen(
            [
                SOFFICE, "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                "--nolockcheck", f"-env:UserInstallation={Path(self.profile).as_uri()}",
                f"--accept=pipe,name={pipe};urp;",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self.desktop = self._connect(pipe)
        except BaseException:
            self.close()
            raise

    def _connect(self, pipe: str):
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"soffice exited with code {self.proc.returncode}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no UNO connection to soffice after {CONNECT_TIMEOUT:.0f} s") from None
                time.sleep(0.2)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self, graceful: bool = True) -> None:
        """Stop soffice (``desktop.terminate()`` if graceful, then SIGKILL) and remove the profile.

        ``terminate()`` runs in a helper thread: it blocks while a Basic macro hangs in soffice.
        """
        if graceful and self.alive() and getattr(self, "desktop", None) is not None:
            stopper = threading.Thread(target=self._terminate, daemon=True)
            stopper.start()
            stopper.join(5)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _terminate(self) -> None:
        try:
            self.desktop.terminate()
        except Exception:
            pass  # the bridge dies with the process


def _cell_value(cell):
    kind = cell.getType().value  # com.sun.star.table.CellContentType
    if kind == "EMPTY":
        return None
    if kind == "VALUE":
        return cell.getValue()
    if kind == "TEXT":
        return cell.getString()
    if cell.getError():
        return {"error": cell.getString()}
    if cell.FormulaResultType2 == FORMULA_RESULT_VALUE:
        return cell.getValue()
    return cell.getString()


def _read_cell(doc, ref: str):
    sheet_name, sep, address = ref.rpartition("!")
    if not sep:
        raise ValueError(f"cell reference without sheet: {ref!r}")
    if sheet_name.startswith("'") and sheet_name.endswith("'"):
        sheet_name = sheet_name[1:-1].replace("''", "'")
    return _cell_value(doc.Sheets.getByName(sheet_name).getCellRangeByName(address.replace("$", "")))


def _basic_libraries(doc) -> dict[str, list[str]]:
    libs = doc.BasicLibraries
    out = {}
    for name in libs.getElementNames():
        if not libs.isLibraryLoaded(name):
            libs.loadLibrary(name)
        out[name] = sorted(libs.getByName(name).getElementNames())
    return out


def _script_uri(function: str, libraries: dict[str, list[str]]) -> str:
    parts = function.split(".")
    if len(parts) == 2:
        module = parts[0]
        owners = [lib for lib, modules in libraries.items() if module in modules]
        if not owners:
            raise LookupError(f"no document Basic library contains module {module!r}")
        parts.insert(0, owners[0])
    if len(parts) != 3:
        raise ValueError(f"expected Module.Function or Library.Module.Function, got {function!r}")
    return f"vnd.sun.star.script:{'.'.join(parts)}?language=Basic&location=document"


def _call(doc, function: str, libraries: dict[str, list[str]]):
    try:
        script = doc.getScriptProvider().getScript(_script_uri(function, libraries))
        result, _, _ = script.invoke((), (), ())
        return result if result is None or isinstance(result, (bool, int, float, str)) else repr(result)
    except Exception as exc:  # UNO exceptions carry their text in .Message
        return {"error": f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"}


def _inspect(desktop, req: dict, report: dict) -> None:
    url = Path(req["path"]).resolve().as_uri()
    doc = desktop.loadComponentFromURL(
        url, "_blank", 0,
        _props(Hidden=True, MacroExecutionMode=ALWAYS_EXECUTE_NO_WARN, ReadOnly=True))
    if doc is None:
        raise RuntimeError("LibreOffice could not load the document")
    try:
        if req.get("recalc", True):
            doc.calculateAll()
        sheets = doc.Sheets
        report["sheets"] = list(sheets.getElementNames())
        names = list(doc.NamedRanges.getElementNames())
        for sheet_name in report["sheets"]:
            names += [f"{sheet_name}!{n}" for n in sheets.getByName(sheet_name).NamedRanges.getElementNames()]
        report["named_ranges"] = names
        report["database_ranges"] = list(doc.DatabaseRanges.getElementNames())
        cells = {}
        for ref in req.get("cells", ()):
            try:
                cells[ref] = _read_cell(doc, ref)
            except Exception as exc:
                cells[ref] = {"error": f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"}
        report["cells"] = cells
        libraries = _basic_libraries(doc)
        report["basic_libraries"] = libraries
        report["vba_modules"] = sorted({m for modules in libraries.values() for m in modules})
        report["probe"] = {fn: _call(doc, fn, libraries) for fn in req.get("probe", ())}
        report["ok"] = True
    finally:
        doc.close(True)


def probe_document(office: Office, req: dict) -> dict:
    """Inspect one document within its timeout; a hang or crash kills soffice and reports ok=false."""
    report = {"path": req["path"], "ok": False, "error": None, "sheets": [], "named_ranges": [],
              "database_ranges": [], "cells": {}, "basic_libraries": {}, "vba_modules": [], "probe": {}}
    if not Path(req["path"]).is_file():
        report["error"] = "file not found"
        return report
    started = time.monotonic()
    result = dict(report)  # written by the worker only; merged if it finishes in time

    def work():
        try:
            _inspect(office.desktop, req, result)
        except Exception as exc:
            result["ok"] = False
            result["error"] = f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    timeout = float(req.get("timeout", DOC_TIMEOUT))
    worker.join(timeout)
    if worker.is_alive():
        report = {**result, "ok": False, "error": f"timeout after {timeout:g} s"}  # keep what was read
        office.close(graceful=False)
    elif not office.alive():
        report["error"] = f"soffice died ({result['error']})"
    else:
        report = result
    report["seconds"] = round(time.monotonic() - started, 2)
    return report


def _parse_args(argv: list[str]) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="documents to open")
    parser.add_argument("--request", type=Path, help="JSON request file")
    parser.add_argument("--cell", action="append", default=[], help="cell to read, e.g. 'Sheet1!A1'")
    parser.add_argument("--probe", action="append", default=[], help="Basic function to call, e.g. Module1.Probe")
    parser.add_argument("--timeout", type=float, default=DOC_TIMEOUT, help="seconds per document")
    args = parser.parse_args(argv)
    docs = [{"path": p, "cells": args.cell, "probe": args.probe, "timeout": args.timeout} for p in args.paths]
    if args.request:
        loaded = json.loads(args.request.read_text(encoding="utf-8"))
        docs += loaded["docs"] if isinstance(loaded, dict) else loaded
    if not docs:
        parser.error("no documents given")
    return docs


def main(argv: list[str]) -> int:
    docs = _parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    office = None
    try:
        for index, req in enumerate(docs):
            if office is None or not office.alive():
                if office is not None:
                    office.close(graceful=False)
                try:
                    office = Office()
                except Exception as exc:
                    office = None
                    for failed in docs[index:]:
                        print(json.dumps({"path": failed["path"], "ok": False,
                                          "error": f"LibreOffice did not start: {exc}"}), flush=True)
                    return 1
            print(json.dumps(probe_document(office, req), ensure_ascii=False), flush=True)
    finally:
        if office is not None:
            office.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
