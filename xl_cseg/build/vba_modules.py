"""The workbook's VBA modules: xlwings' own (from the pinned installed package), the project's
sources in ``xl_cseg/vba/``, the generated UDF wrappers and the document modules."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Sequence

import xlwings

from .udf_vba import DOCS_MODULE_NAME, MODULE_NAME, udf_docs_vba_source, udf_vba_source
from .vba_project import VbaModule

VBA_DIR = "vba"
OWN_MODULES = ("Ribbon",)  # standard modules kept as .bas files in xl_cseg/vba


def xlwings_dir() -> Path:
    return Path(xlwings.__file__).resolve().parent


def xlwings_modules() -> list[VbaModule]:
    """xlwings' standalone module and its Dictionary class (needed on Mac), read at build time."""
    base = xlwings_dir()
    return [
        VbaModule("xlwings", "standard", (base / "xlwings.bas").read_text(encoding="utf-8")),
        VbaModule("Dictionary", "class",
                  (base / "addin" / "Dictionary.cls").read_text(encoding="utf-8")),
    ]


def own_source(name: str) -> str:
    """Text of one of the project's own ``.bas``/``.cls`` files (package data)."""
    folder = resources.files("xl_cseg").joinpath(VBA_DIR)
    for suffix in (".bas", ".cls"):
        item = folder.joinpath(name + suffix)
        if item.is_file():
            return item.read_text(encoding="utf-8")
    raise FileNotFoundError(f"VBA-Quelle {name} fehlt in xl_cseg/{VBA_DIR}")


def with_probe(name: str, source: str) -> str:
    """A generated module plus ``CsegProbe()``, which the LibreOffice tests call to prove the
    module loads and runs."""
    return (source.rstrip("\r\n") + f'\r\n\r\nPublic Function CsegProbe() As String\r\n'
            f'    CsegProbe = "{name} ok"\r\nEnd Function\r\n')


def document_source(code_name: str) -> str:
    return f'Attribute VB_Name = "{code_name}"\r\nOption Explicit\r\n'


def project_modules(sheet_code_names: Sequence[str]) -> list[VbaModule]:
    """Every module of the workbook's VBA project, in a fixed order."""
    modules = xlwings_modules()
    modules += [VbaModule(name, "standard", own_source(name)) for name in OWN_MODULES]
    modules.append(VbaModule(MODULE_NAME, "standard", with_probe(MODULE_NAME, udf_vba_source())))
    modules.append(VbaModule(DOCS_MODULE_NAME, "standard",
                             with_probe(DOCS_MODULE_NAME, udf_docs_vba_source())))
    modules.append(VbaModule("ThisWorkbook", "document", own_source("ThisWorkbook")))
    modules += [VbaModule(code, "document", document_source(code)) for code in sheet_code_names]
    return modules
