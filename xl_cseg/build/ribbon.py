"""The workbook's ribbon: tab "Kundensegmentierung" as data, its customUI14.xml and VBA callbacks.

``RIBBON`` is the single source: ``ribbon_xml()`` renders it (deterministically) for the part
``customUI/customUI14.xml``, ``ribbon_vba_source()`` renders the VBA module ``Ribbon`` with one
callback per button that runs a fixed ``xl_cseg.macros`` entry point through xlwings' RunPython.
``validate_ribbon()`` checks XML against Microsoft's customUI14 schema from the shared schema
folder, ``check_callbacks()`` checks that every onAction callback has a VBA procedure.
"""

from __future__ import annotations

import functools
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

__all__ = [
    "CUSTOMUI_NS", "CUSTOMUI_PART", "CUSTOMUI_REL_TYPE", "MACROS_MODULE", "RIBBON", "RIBBON_MODULE",
    "PROBE_FUNCTION", "PROBE_RESULT", "RibbonButton", "RibbonError", "RibbonGroup", "check_callbacks",
    "ribbon_vba_source", "ribbon_xml", "schema_dir", "validate_ribbon",
]

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOMUI_PART = "customUI/customUI14.xml"
CUSTOMUI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
SCHEMA_FILE = "customui14.xsd"
MACROS_MODULE = "xl_cseg.macros"
RIBBON_MODULE = "Ribbon"
PROBE_FUNCTION = "CsegProbe"
PROBE_RESULT = "Ribbon ok"
TAB_ID = "tabCseg"
TAB_LABEL = "Kundensegmentierung"


class RibbonError(ValueError):
    """The ribbon XML or its VBA callbacks are invalid (message in German)."""


@dataclass(frozen=True)
class RibbonButton:
    """One ribbon button: control id, texts, built-in icon, VBA callback and Python entry point."""

    id: str
    label: str
    callback: str  # onAction: VBA Sub in module Ribbon
    image_mso: str
    screentip: str
    supertip: str
    entry_point: str  # function in xl_cseg.macros
    large: bool = False


@dataclass(frozen=True)
class RibbonGroup:
    id: str
    label: str
    buttons: tuple[RibbonButton, ...]


RIBBON: tuple[RibbonGroup, ...] = (
    RibbonGroup("grpSegmentierung", "Segmentierung", (
        RibbonButton(
            "btnSegment", "Segmentieren", "CsegSegment", "QueryBuilder", "Kunden segmentieren",
            "Ordnet alle Kunden im Blatt Kunden einer ABC-Klasse und einer Strategie zu, "
            "nach den Werten im Blatt Parameter.",
            "segment", large=True),
        RibbonButton(
            "btnValidate", "Prüfen", "CsegValidate", "DataValidation", "Daten prüfen",
            "Prüft Kundendaten und Parameter auf fehlende, doppelte oder ungültige Einträge "
            "und zeigt die betroffenen Zellen.",
            "validate"),
        RibbonButton(
            "btnFreezeValues", "Werte einfrieren", "CsegFreezeValues", "PasteValues",
            "Ergebnisse als Werte festschreiben",
            "Ersetzt die Formeln der Segmentierung durch ihre aktuellen Werte, damit die "
            "Zuordnung bei späteren Änderungen erhalten bleibt.",
            "freeze_values"),
    )),
    RibbonGroup("grpPipelinePlanung", "Pipeline & Planung", (
        RibbonButton(
            "btnUpdatePipeline", "Pipeline aktualisieren", "CsegUpdatePipeline", "Refresh",
            "Pipeline aktualisieren",
            "Übernimmt die aktuellen Verkaufschancen und aktualisiert die Pipeline je Kunde.",
            "update_pipeline", large=True),
        RibbonButton(
            "btnComputePlan", "Planung berechnen", "CsegComputePlan", "CalculateNow",
            "Vertriebsplanung berechnen",
            "Berechnet die Planung aus Segmenten, Pipeline und Parametern.",
            "compute_plan", large=True),
        RibbonButton(
            "btnPricing", "Preise & Kosten", "CsegPricing", "FunctionWizard",
            "Betreuungskosten und Preispolitik",
            "Rechnet je Kunde die Betreuungskosten (Besuche und Aufträge), die Pauschale unter "
            "dem Mindestbestellwert und die Ersparnis durch Bündeln; schreibt das Blatt "
            "Preise & Kosten.",
            "pricing"),
        RibbonButton(
            "btnWhatIf", "Was-wäre-wenn", "CsegWhatIf", "ChartInsert",
            "C-Kunden-Schwelle durchspielen",
            "Rechnet C- und A-Schwelle, Kunden je Klasse und Klassenwechsel für Kosten je "
            "Besuch von 70 % bis 130 % des heutigen Werts; Blatt Was-wäre-wenn mit Diagramm.",
            "whatif"),
        RibbonButton(
            "btnVisits", "Besuchsplan", "CsegVisits", "DateAndTimeInsert",
            "Besuchsplan und Anrufliste",
            "Verteilt die Besuche laut Kanalmatrix ab dem nächsten Montag auf vier Wochen "
            "Kundentage (Feiertage, Abwesenheiten und Reserve bleiben frei), Kunden eines Tages "
            "nah beieinander; Blätter Besuchsplan und Anrufliste, Kalenderdatei neben der Mappe.",
            "visits"),
    )),
    RibbonGroup("grpGebiete", "Gebiete", (
        RibbonButton(
            "btnConsolidate", "Konsolidieren", "CsegConsolidate", "ImportExcel",
            "Gebiete zusammenführen",
            "Führt die Arbeitsmappen der Vertriebsgebiete in dieser Arbeitsmappe zusammen.",
            "consolidate", large=True),
        RibbonButton(
            "btnPushParams", "Parameter verteilen", "CsegPushParams", "ExportExcel",
            "Parameter an Gebiete verteilen",
            "Überträgt die Parameter dieser Arbeitsmappe in die Arbeitsmappen der Vertriebsgebiete.",
            "push_params"),
    )),
    RibbonGroup("grpHilfe", "Hilfe", (
        RibbonButton(
            "btnCheckSetup", "Einrichtung prüfen", "CsegCheckSetup", "AcceptInvitation",
            "Einrichtung prüfen",
            "Prüft, ob Python, xlwings und xl-cseg installiert sind und die Arbeitsmappe sie erreicht.",
            "check_setup"),
        RibbonButton(
            "btnOpenHelp", "Anleitung", "CsegOpenHelp", "Help", "Anleitung öffnen",
            "Öffnet die Anleitung zur Arbeitsmappe.",
            "open_help"),
    )),
)

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_RIBBON_SUB = re.compile(
    r"^[ \t]*(?:(Public|Private|Friend)[ \t]+)?(?:Static[ \t]+)?Sub[ \t]+([A-Za-z]\w*)[ \t]*"
    r"\([ \t]*(?:(?:ByRef|ByVal)[ \t]+)?[A-Za-z]\w*[ \t]+As[ \t]+(?:Office\.)?IRibbonControl[ \t]*\)",
    re.IGNORECASE | re.MULTILINE,
)


def schema_dir() -> Path:
    """The shared schema folder: ``$XL_CSEG_SHARED/schemas``, else ``../shared/schemas`` beside the repo."""
    shared = os.environ.get("XL_CSEG_SHARED")
    if shared:
        return Path(shared) / "schemas"
    return Path(__file__).resolve().parents[2].parent / "shared" / "schemas"


def _label(text: str) -> str:
    """Office reads a single "&" in a ribbon label as an accelerator marker; "&&" shows one "&"."""
    return text.replace("&", "&&")


def ribbon_xml() -> bytes:
    """customUI14.xml for ``RIBBON`` (UTF-8; same bytes on every call)."""
    root = ET.Element("customUI", xmlns=CUSTOMUI_NS)
    tab = ET.SubElement(ET.SubElement(ET.SubElement(root, "ribbon"), "tabs"), "tab",
                        id=TAB_ID, label=_label(TAB_LABEL))
    for group in RIBBON:
        group_el = ET.SubElement(tab, "group", id=group.id, label=_label(group.label))
        for button in group.buttons:
            attrs = {"id": button.id, "label": _label(button.label)}
            if button.large:
                attrs["size"] = "large"
            attrs |= {"imageMso": button.image_mso, "screentip": button.screentip,
                      "supertip": button.supertip, "onAction": button.callback}
            ET.SubElement(group_el, "button", attrs)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body + "\n").encode("utf-8")


def ribbon_vba_source() -> str:
    """Source of the VBA module ``Ribbon``: one callback per button, plus ``CsegProbe`` for tests.

    Each callback runs a fixed Python statement; nothing is built from workbook content.
    """
    lines = [
        f'Attribute VB_Name = "{RIBBON_MODULE}"',
        "Option Explicit",
        "",
        "' Ribbon callbacks (customUI14.xml, tab Kundensegmentierung); generated by xl_cseg.build.ribbon.",
    ]
    for group in RIBBON:
        for button in group.buttons:
            if not (_IDENTIFIER.match(button.callback) and button.entry_point.isidentifier()):
                raise RibbonError(f"Ungültiger Callback oder Einstiegspunkt bei Schaltfläche {button.id}")
            lines += [
                "",
                f"Public Sub {button.callback}(control As IRibbonControl)",
                f'    RunPython "import {MACROS_MODULE} as m; m.{button.entry_point}()"',
                "End Sub",
            ]
    lines += [
        "",
        f"Public Function {PROBE_FUNCTION}() As String",
        f'    {PROBE_FUNCTION} = "{PROBE_RESULT}"',
        "End Function",
    ]
    return "\n".join(lines) + "\n"


XMLSCHEMA_MISSING = (
    "Zum Bauen der Arbeitsmappe fehlt das Python-Paket „xmlschema“ (es prüft das Menüband gegen "
    "Microsofts Schema). Bitte installieren: pip install xmlschema (oder im Projektordner: "
    "pip install -e \".[test]\"), dann erneut xl-cseg build-workbook.")


@functools.cache
def _schema(path: Path):
    try:
        import xmlschema  # a development tool: only the build needs it
    except ImportError as exc:
        raise RibbonError(XMLSCHEMA_MISSING) from exc
    return xmlschema.XMLSchema(str(path))


def _parse(xml: bytes) -> ET.Element:
    try:
        return SafeET.fromstring(xml)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise RibbonError(f"Ribbon-XML ist nicht wohlgeformt: {exc}") from exc


def validate_ribbon(xml: bytes) -> None:
    """Raise RibbonError unless ``xml`` is well-formed and valid against customui14.xsd."""
    path = schema_dir() / SCHEMA_FILE
    if not path.is_file():
        raise RibbonError(f"Ribbon-Schema nicht gefunden: {path} (Ordner mit XL_CSEG_SHARED angeben)")
    root = _parse(xml)
    errors = list(_schema(path).iter_errors(root))
    if errors:
        first = errors[0]
        where = f" ({first.path})" if first.path else ""
        raise RibbonError(
            f"Ribbon-XML entspricht nicht dem Schema customUI14{where}: {first.reason}"
            + (f" (und {len(errors) - 1} weitere Fehler)" if len(errors) > 1 else "")
        )


def check_callbacks(xml: bytes, vba_sources: Mapping[str, str]) -> None:
    """Raise RibbonError when an onAction callback has no public ``Sub Name(control As IRibbonControl)``.

    ``vba_sources`` maps module names to VBA source; names compare case-insensitively, as in VBA.
    A callback defined in more than one module is ambiguous and also an error.
    """
    defined: dict[str, list[str]] = {}
    for module, source in vba_sources.items():
        for match in _RIBBON_SUB.finditer(source):
            if (match.group(1) or "").lower() != "private":
                defined.setdefault(match.group(2).lower(), []).append(module)
    problems = []
    for element in _parse(xml).iter():
        callback = element.get("onAction")
        if callback is None:
            continue
        modules = defined.get(callback.lower(), [])
        if not modules:
            problems.append(f"{callback}: keine Prozedur 'Public Sub {callback}(control As IRibbonControl)'")
        elif len(modules) > 1:
            problems.append(f"{callback}: mehrfach definiert (Module {', '.join(sorted(modules))})")
    if problems:
        raise RibbonError("Ribbon-Callbacks passen nicht zum VBA-Code: " + "; ".join(problems))
