"""Excel worksheet functions (xlwings UDFs): thin shells over the core, all named ``CSEG_…``.

Every argument arrives raw (``convert="raw"``: numbers as floats, blanks as None, Excel errors as
COM error codes, ranges as tuples of row tuples) and is cleaned here once; every function is
wrapped by :func:`_excel`, which turns problems into German cell texts (``#WERT: …``).
Parameters that are not passed default to the workbook's named parameter cells (``Kosten_je_Besuch``
…), read through the hidden ``caller`` argument in one pass per workbook and recalculation.

The decorators are xlwings' own (``xlwings.udfs.xlfunc`` = ``xw.func`` on Windows); off Windows they
are loaded with the COM modules stubbed, so that the metadata for the VBA wrapper and the tests
exists everywhere.
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
import re
import sys
import time
import types
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .core import german, planning, rules
from .core import history as history_rules
from .core import pricing as pricing_rules
from .core.columns import OUTPUT_FIELDS, header
from .core.distribution import distribution
from .core.numbers import parse_number
from .core.params import (CODES, SPEC_BY_KEY, SPEC_BY_NAME, SPECS, ChannelRule, Parameters,
                          channel_names, parameters_from_names, revenue_threshold,
                          with_month_default)
from .core.pipeline import (DEFAULT_STATUS, LOST, STATUSES, WON, parse_probability, parse_status,
                            status_probabilities_from_names)
from .core.segment import SegmentResult, is_prospect, potential_error, segment
from .io.cellvalues import from_com, is_com_odd
from .io.headers import match_headers, required_missing
from .xlsx.cellref import parse_a1

log = logging.getLogger(__name__)

CATEGORY = "Kundensegmentierung"
ERROR_PREFIX = "#WERT: "
_COM_STUBS = ("pythoncom", "pywintypes", "win32com", "win32com.client")


def load_xlwings_udfs() -> types.ModuleType:
    """``xlwings.udfs`` (decorators, ``call_udf``, ``generate_vba_wrapper``) on any platform.

    Off Windows its pywin32 imports are satisfied by empty stand-ins for the duration of the
    import only; the decorators and the VBA generator need none of them.
    """
    if "xlwings.udfs" in sys.modules or sys.platform.startswith("win"):
        import xlwings.udfs
        return xlwings.udfs
    saved = {name: sys.modules.get(name) for name in _COM_STUBS}
    stubs = {name: types.ModuleType(name) for name in _COM_STUBS}
    stubs["pythoncom"].CoInitialize = lambda: None
    stubs["win32com.client"].Dispatch = None
    stubs["win32com"].client = stubs["win32com.client"]
    sys.modules.update(stubs)
    try:
        import xlwings.udfs
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return xlwings.udfs


_xlu = load_xlwings_udfs()
func, arg, ret = _xlu.xlfunc, _xlu.xlarg, _xlu.xlret


class UdfError(Exception):
    """A problem the cell shows as ``#WERT: <message>``."""


def _excel(f: Callable[..., Any]) -> Callable[..., Any]:
    """Return problems as German cell text instead of raising (no traceback reaches Excel)."""

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        try:
            return f(*args)
        except UdfError as exc:
            return f"{ERROR_PREFIX}{exc}"
        except Exception as exc:  # noqa: BLE001 - a cell must never show a traceback
            log.exception("%s failed", f.__name__)
            return f"{ERROR_PREFIX}interner Fehler in {f.__name__} ({type(exc).__name__}: {exc})"

    return wrapper


def _raw(**docs: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@xw.arg(name, "raw", doc=…)`` for every argument: the function wizard's help texts."""

    def apply(f: Callable[..., Any]) -> Callable[..., Any]:
        for name, doc in docs.items():
            f = arg(name, "raw", doc=doc)(f)
        return f

    return apply


# -- cell values (converted by io.cellvalues) -------------------------------------------------
def _single(value: Any, label: str) -> Any:
    if isinstance(value, (tuple, list)):
        if len(value) == 1 and isinstance(value[0], (tuple, list)) and len(value[0]) == 1:
            return from_com(value[0][0])
        raise UdfError(f"{label}: bitte eine einzelne Zelle angeben, keinen Bereich")
    return from_com(value)


def _number(value: Any, label: str, required: bool = True) -> float | None:
    number, error = parse_number(_single(value, label))
    if error:
        raise UdfError(f"{error} ({label})")
    if number is None and required:
        raise UdfError(f"{label} fehlt")
    return number


def _amount(value: Any, label: str, required: bool = True) -> float | None:
    number = _number(value, label, required)
    if number is not None and number < 0:
        raise UdfError(f"negativer Betrag ist nicht zulässig ({label})")
    return number


def _code(value: Any) -> str:
    text = _single(value, "Segment")
    if text is None or isinstance(text, str) and not text.strip():
        raise UdfError("Segment fehlt")
    key = re.sub(r"\s*-\s*", "-", str(text).strip()).casefold()
    for code in CODES:
        if code.casefold() == key:
            return code
    raise UdfError(f'„{text}“ ist kein Segment (erlaubt: {", ".join(CODES)})')


# -- workbook parameters ----------------------------------------------------------------------
_CELL_REF = re.compile(r"^=?(?:'((?:[^']|'')+)'|([^!'\s]+))!(\$?[A-Za-z]{1,3}\$?\d{1,7})$")
_KNOWN_NAMES = frozenset(
    [s.name.casefold() for s in SPECS] + [s.name.casefold() for s in STATUSES]
    + [n.casefold() for code in CODES for n in channel_names(code)])
_CACHE_SECONDS = 1.0  # one recalculation; parameter edits by hand come later than that


@dataclass(frozen=True, eq=False)
class _Snapshot:
    """Raw values of the workbook's parameter names (casefolded), as read at ``read_at``."""

    values: Mapping[str, Any]
    read_at: float


_DEFAULTS = _Snapshot({}, 0.0)
_snapshots: dict[str, _Snapshot] = {}


def _read_names(book: Any) -> dict[str, Any]:
    """Values of the known single-cell names: one range read per sheet holding any of them."""
    cells: dict[str, list[tuple[str, int, int]]] = {}
    for name in book.names:
        key = name.name.casefold()
        if key not in _KNOWN_NAMES:  # also skips sheet-scoped names ("Blatt!Name")
            continue
        match = _CELL_REF.match((name.refers_to or "").strip())
        if match:
            sheet = (match.group(1) or "").replace("''", "'") or match.group(2)
            cells.setdefault(sheet, []).append((key, *parse_a1(match.group(3))))
    values: dict[str, Any] = {}
    for sheet, found in cells.items():
        top, left = min(r for _, r, _ in found), min(c for _, _, c in found)
        bottom, right = max(r for _, r, _ in found), max(c for _, _, c in found)
        block = book.sheets[sheet].range((top + 1, left + 1), (bottom + 1, right + 1)).raw_value
        if not isinstance(block, (tuple, list)):
            block = ((block,),)
        elif block and not isinstance(block[0], (tuple, list)):
            block = (block,)
        for key, row, col in found:
            values[key] = from_com(block[row - top][col - left])
    return values


def _snapshot(caller: Any) -> _Snapshot:
    """The calling workbook's parameter values, re-read when older than one recalculation."""
    if caller is None:
        return _DEFAULTS
    try:
        book = caller.sheet.book
        key = book.name  # unique per Excel instance; fullname reads the config sheet on OneDrive
        now = time.monotonic()
        cached = _snapshots.get(key)
        if cached is not None and now - cached.read_at < _CACHE_SECONDS:
            return cached
        snapshot = _snapshots[key] = _Snapshot(_read_names(book), now)
    except Exception as exc:  # noqa: BLE001 - COM failures become a readable cell text
        log.exception("reading the workbook parameters failed")
        raise UdfError(f"Parameter der Arbeitsmappe nicht lesbar ({exc})") from exc
    return snapshot


@functools.lru_cache(maxsize=256)
def _resolve(snapshot: _Snapshot, explicit: tuple[tuple[str, Any], ...]
             ) -> tuple[Parameters, dict[str, str]]:
    values = dict(snapshot.values)
    values.update(explicit)
    params, issues = parameters_from_names(values)
    return params, {i.name.casefold(): i.message.split("; Standardwert")[0] for i in issues}


def _params(caller: Any, uses: Iterable[str], **explicit: tuple[str, Any]) -> Parameters:
    """Parameters from the workbook, overridden by passed arguments (defined name -> (argument,
    raw value)); a rejected value of a name in ``uses`` (or of an argument) is an error."""
    given = {name.casefold(): (label, _single(value, label))
             for name, (label, value) in explicit.items() if value is not None}
    params, issues = _resolve(_snapshot(caller), tuple((k, v) for k, (_, v) in given.items()))
    for name in (*given, *uses):
        key = name.casefold()
        if key in issues:
            where = given[key][0] if key in given else f"Zelle {name}"
            raise UdfError(f"{issues[key]} ({where})")
    return params


def _name(key: str) -> str:
    return SPEC_BY_KEY[key].name


_COST_NAMES = tuple(_name(k) for k in ("kosten_je_besuch", "ad_kosten_jahr", "ad_besuche_jahr",
                                       "max_kostenanteil"))
_ABC_NAMES = _COST_NAMES + (_name("besuche_a"), _name("besuche_b"))
_POTENTIAL_NAMES = tuple(s.name for s in SPECS if s.group == "Potenzial")
_GAP_NAMES = (_name("ziel_wachstum"), _name("ziel_umsatz"), _name("verlustquote_risiko"))
_CAPACITY_NAMES = tuple(s.name for s in SPECS if s.group == "Kapazität")
_IS_NAMES = tuple(_name(k) for k in ("is_kunden_tag", "arbeitstage", "urlaub", "krankheit"))
_SEGMENT_NAMES = tuple(s.name for s in SPECS
                       if s.group in ("Kosten", "ABC", "Potenzial", "Risiko")) \
    + tuple(n for code in CODES for n in channel_names(code))


def _thresholds(caller: Any, schwelle_a: Any, schwelle_c: Any,
                params: Parameters | None = None) -> tuple[float, float]:
    """A and C thresholds: passed, or from the workbook's rule-of-thumb parameters (``params``
    when the caller already read them with the ABC names checked)."""
    a_threshold = _amount(schwelle_a, "Schwelle A", required=False)
    c_threshold = _amount(schwelle_c, "Schwelle C", required=False)
    if a_threshold is None or c_threshold is None:
        params = params or _params(caller, _ABC_NAMES + (_name("abc_methode"),))
        if params.abc_methode == "pareto":
            raise UdfError("ABC_Methode „pareto“ braucht alle Kunden: CSEG_SEGMENTIEREN "
                           "verwenden oder Schwellen angeben")
        a_threshold = params.a_threshold if a_threshold is None else a_threshold
        c_threshold = params.c_threshold if c_threshold is None else c_threshold
    if a_threshold < c_threshold:
        raise UdfError("Schwelle A muss mindestens so hoch sein wie Schwelle C")
    return a_threshold, c_threshold


def _revenue_potential(umsatz: Any, potenzial: Any) -> tuple[float, float]:
    """Revenue and potential checked as in the customer table (a prospect's revenue is 0)."""
    potential = _amount(potenzial, "Potenzial", required=False)
    potential = np.nan if potential is None else potential
    problem = potential_error(potential)
    if problem:
        raise UdfError(f"{header('potential')} {problem}")
    revenue = _amount(umsatz, "Umsatz", required=False)
    revenue = np.nan if revenue is None else revenue
    return (0.0 if is_prospect(np.float64(revenue), potential) else revenue), potential


def _potential_params(caller: Any, grenze_win: Any, grenze_maintain: Any, mindest_offen: Any,
                      also: tuple[str, ...] = ()) -> Parameters:
    """Parameters with the potential boundaries (arguments win); ``also``: further names whose
    rejected workbook values are errors."""
    return _params(caller, _POTENTIAL_NAMES + also,
                   Grenze_Win=("grenze_win", grenze_win),
                   Grenze_Maintain=("grenze_maintain", grenze_maintain),
                   Mindest_offenes_Potenzial=("mindest_offen", mindest_offen))


@functools.lru_cache(maxsize=None)
def _segment_code(abc: str, pclass: str) -> str:
    return rules.segment_code_of(abc, pclass)


def _abc(revenue: float, thresholds: tuple[float, float]) -> str:
    return rules.abc_absolute(np.array([revenue], dtype=float), *thresholds)[0]


def _potential_class(revenue: float, potential: float, params: Parameters) -> str:
    return rules.potential_class(np.array([revenue], dtype=float),
                                        np.array([potential], dtype=float), params)[0]


# -- scalar functions -------------------------------------------------------------------------
_DOC_UMSATZ = "Umsatz des Kunden im Vorjahr in EUR (leer = Potenzialkunde ohne Umsatz)."
_DOC_POTENZIAL = "Geschätztes Jahrespotenzial des Kunden in EUR (größer 0)."
_DOC_SCHWELLE_A = "Optional: Umsatz ab dem ein Kunde A ist. Leer = Faustformel mit Besuche_A."
_DOC_SCHWELLE_C = "Optional: Umsatz ab dem ein Kunde kein C-Kunde mehr ist. Leer = Faustformel " \
                  "mit Besuche_B (14.000 EUR)."
_DOC_WIN = "Optional: Ausschöpfung unter diesem Anteil = Win. Leer = Zelle Grenze_Win (30 %)."
_DOC_MAINTAIN = "Optional: Ausschöpfung ab diesem Anteil = Maintain. Leer = Zelle " \
                "Grenze_Maintain (70 %)."
_DOC_MIN_OFFEN = "Optional: weniger offenes Potenzial in EUR = Maintain. Leer = Zelle " \
                 "Mindest_offenes_Potenzial (3.500)."
_DOC_SEGMENT = "Segment-Code wie C-Win oder A-Maintain."
_DOC_STATUS = "Status der Maßnahme: nicht gestartet, initial vorgestellt, in Erprobung, Angebot " \
              "beim Einkauf, gewonnen oder verloren."


@func(category=CATEGORY)
@_raw(besuche="Außendienstbesuche pro Jahr, die der Kunde tragen muss (z. B. 4).",
      kosten_je_besuch="Optional: Kosten eines Besuchs in EUR. Leer = Zelle Kosten_je_Besuch.",
      max_anteil="Optional: höchster Vertriebskostenanteil am Umsatz (z. B. 10 %). Leer = Zelle "
                 "Max_Vertriebskostenanteil.")
@_excel
def CSEG_SCHWELLE(besuche, kosten_je_besuch=None, max_anteil=None, caller=None):
    """Umsatzschwelle nach Faustformel: Besuche x Kosten je Besuch / maximaler Vertriebskostenanteil (4 x 350 EUR / 10 % = 14.000 EUR)."""
    visits = _number(besuche, "Besuche")
    if visits < 0:
        raise UdfError("Besuche dürfen nicht negativ sein")
    params = _params(caller, _COST_NAMES,
                     Kosten_je_Besuch=("kosten_je_besuch", kosten_je_besuch),
                     Max_Vertriebskostenanteil=("max_anteil", max_anteil))
    cost = params.cost_per_visit if kosten_je_besuch is None else params.kosten_je_besuch
    return revenue_threshold(visits, cost, params.max_kostenanteil)


@func(category=CATEGORY)
@_raw(umsatz="Umsatz des Kunden im Vorjahr in EUR.", schwelle_a=_DOC_SCHWELLE_A,
      schwelle_c=_DOC_SCHWELLE_C)
@_excel
def CSEG_ABC(umsatz, schwelle_a=None, schwelle_c=None, caller=None):
    """ABC-Klasse des Kunden nach Umsatzschwellen (Faustformel aus Besuchen, Besuchskosten und maximalem Vertriebskostenanteil)."""
    revenue = _amount(umsatz, "Umsatz")
    return _abc(revenue, _thresholds(caller, schwelle_a, schwelle_c))


@func(category=CATEGORY)
@_raw(umsatz=_DOC_UMSATZ, potenzial=_DOC_POTENZIAL)
@_excel
def CSEG_AUSSCHOEPFUNG(umsatz, potenzial, caller=None):
    """Ausschöpfung (Share of Wallet): Umsatz / Potenzial als Anteil (0,25 = 25 %)."""
    revenue, potential = _revenue_potential(umsatz, potenzial)
    return float(rules.share_of_wallet(np.array([revenue], dtype=float),
                                              np.array([potential], dtype=float))[0])


@func(category=CATEGORY)
@_raw(umsatz=_DOC_UMSATZ, potenzial=_DOC_POTENZIAL, grenze_win=_DOC_WIN,
      grenze_maintain=_DOC_MAINTAIN, mindest_offen=_DOC_MIN_OFFEN)
@_excel
def CSEG_POTENZIALKLASSE(umsatz, potenzial, grenze_win=None, grenze_maintain=None,
                         mindest_offen=None, caller=None):
    """Potenzialklasse Win, Grow oder Maintain aus Ausschöpfung und offenem Potenzial."""
    revenue, potential = _revenue_potential(umsatz, potenzial)
    params = _potential_params(caller, grenze_win, grenze_maintain, mindest_offen)
    return _potential_class(revenue, potential, params)


@func(category=CATEGORY)
@_raw(umsatz=_DOC_UMSATZ, potenzial=_DOC_POTENZIAL, schwelle_a=_DOC_SCHWELLE_A,
      schwelle_c=_DOC_SCHWELLE_C, grenze_win=_DOC_WIN, grenze_maintain=_DOC_MAINTAIN,
      mindest_offen=_DOC_MIN_OFFEN)
@_excel
def CSEG_SEGMENT(umsatz, potenzial, schwelle_a=None, schwelle_c=None, grenze_win=None,
                 grenze_maintain=None, mindest_offen=None, caller=None):
    """Segment-Code aus ABC-Klasse und Potenzialklasse, z. B. C-Win (kleiner Kunde mit hohem Potenzial)."""
    revenue, potential = _revenue_potential(umsatz, potenzial)
    params = _potential_params(caller, grenze_win, grenze_maintain, mindest_offen,  # one read
                               also=_ABC_NAMES + (_name("abc_methode"),))
    abc = _abc(revenue, _thresholds(caller, schwelle_a, schwelle_c, params))
    return _segment_code(abc, _potential_class(revenue, potential, params))


def _channel_rule(caller: Any, segment_code: Any) -> ChannelRule:
    code = _code(segment_code)
    params = _params(caller, channel_names(code))
    return params.kanalmatrix[code]


@func(category=CATEGORY)
@_raw(segment=_DOC_SEGMENT)
@_excel
def CSEG_KANAL(segment, caller=None):
    """Empfohlener Betreuungskanal des Segments laut Kanalmatrix (Zellen Kanal_…)."""
    return _channel_rule(caller, segment).channel


@func(category=CATEGORY)
@_raw(segment=_DOC_SEGMENT)
@_excel
def CSEG_BESUCHE(segment, caller=None):
    """Außendienstbesuche pro Jahr für das Segment laut Kanalmatrix (Zellen Besuche_…)."""
    return float(_channel_rule(caller, segment).visits)


# -- cost to serve and pricing ------------------------------------------------------------------
_PRICE_NAMES = tuple(s.name for s in SPECS if s.group == "Preise")


def _count(value: Any, label: str) -> float:
    number = _number(value, label)
    if number < 0 or number != int(number):
        raise UdfError(f"{label}: bitte eine ganze Zahl ab 0 angeben")
    return number


@func(category=CATEGORY)
@_raw(besuche="Außendienstbesuche pro Jahr (z. B. CSEG_BESUCHE des Segments).",
      auftraege="Aufträge pro Jahr (ganze Zahl ab 0).",
      kosten_je_besuch="Optional: Kosten eines Besuchs in EUR. Leer = Zelle Kosten_je_Besuch.",
      kosten_je_auftrag="Optional: Prozesskosten eines Auftrags in EUR. Leer = Zelle "
                        "Kosten_je_Auftrag.")
@_excel
def CSEG_BETREUUNGSKOSTEN(besuche, auftraege, kosten_je_besuch=None, kosten_je_auftrag=None,
                          caller=None):
    """Betreuungskosten pro Jahr: Besuche x Kosten je Besuch + Aufträge x Kosten je Auftrag (4 x 350 + 12 x 40 = 1.880 EUR)."""
    visits = _number(besuche, "Besuche")
    if visits < 0:
        raise UdfError("Besuche dürfen nicht negativ sein")
    orders = _count(auftraege, "Aufträge")
    params = _params(caller, _COST_NAMES + _PRICE_NAMES,
                     Kosten_je_Besuch=("kosten_je_besuch", kosten_je_besuch),
                     Kosten_je_Auftrag=("kosten_je_auftrag", kosten_je_auftrag))
    cost = params.cost_per_visit if kosten_je_besuch is None else params.kosten_je_besuch
    return float(pricing_rules.cost_to_serve(np.array([visits]), np.array([orders]), cost,
                                             params.kosten_je_auftrag)[0])


@func(category=CATEGORY)
@_raw(umsatz="Umsatz des Kunden im Vorjahr in EUR.", auftraege="Aufträge pro Jahr.",
      mindestbestellwert="Optional: Mindestbestellwert in EUR. Leer = Zelle Mindestbestellwert.",
      pauschale="Optional: Pauschale je Auftrag darunter in EUR. Leer = Zelle "
                "Bearbeitungspauschale.")
@_excel
def CSEG_PAUSCHALE(umsatz, auftraege, mindestbestellwert=None, pauschale=None, caller=None):
    """Pauschale pro Jahr aus Aufträgen unter dem Mindestbestellwert, geschätzt aus dem Ø Auftragswert (12 x 150 EUR unter 250 EUR mit 15 EUR: 180 EUR)."""
    revenue = _amount(umsatz, "Umsatz")
    orders = _count(auftraege, "Aufträge")
    params = _params(caller, _PRICE_NAMES,
                     Mindestbestellwert=("mindestbestellwert", mindestbestellwert),
                     Bearbeitungspauschale=("pauschale", pauschale))
    small = pricing_rules.estimated_small_orders(np.array([revenue]), np.array([orders]),
                                                 params.mindestbestellwert)[0]
    return float(small * params.pauschale)


@func(category=CATEGORY)
@_raw(umsatz="Umsatz des Kunden im Vorjahr in EUR.",
      betreuungskosten="Betreuungskosten pro Jahr in EUR (z. B. CSEG_BETREUUNGSKOSTEN).")
@_excel
def CSEG_KOSTENDECKUNG(umsatz, betreuungskosten, caller=None):
    """„nicht kostendeckend betreut“, wenn die Betreuungskosten über dem maximalen Vertriebskostenanteil am Umsatz liegen, sonst „kostendeckend“."""
    revenue = _amount(umsatz, "Umsatz")
    cost = _amount(betreuungskosten, "Betreuungskosten")
    params = _params(caller, (_name("max_kostenanteil"),))
    verdict = pricing_rules.coverage_verdict(np.array([revenue]), np.array([cost]),
                                             params.max_kostenanteil)[0]
    return "" if verdict != verdict else verdict


# -- customer history ---------------------------------------------------------------------------
def _yearly(umsaetze: Any) -> dict[int, np.ndarray]:
    """A row or column of yearly revenues (oldest first) as the history's input."""
    cells = umsaetze if isinstance(umsaetze, (tuple, list)) else ((umsaetze,),)
    flat = [v for row in cells for v in (row if isinstance(row, (tuple, list)) else (row,))]
    if len(flat) < 2:
        raise UdfError("Umsätze: bitte mindestens zwei Jahre angeben (ältestes zuerst)")
    values = []
    for i, raw in enumerate(flat, start=1):
        number, error = parse_number(from_com(raw))
        if error:
            raise UdfError(f"{error} (Umsatz Jahr {i})")
        if number is not None and number < 0:
            raise UdfError(f"negativer Betrag ist nicht zulässig (Umsatz Jahr {i})")
        values.append(np.nan if number is None else number)
    return {i: np.array([v]) for i, v in enumerate(values)}


@func(category=CATEGORY)
@_raw(umsaetze="Umsätze mehrerer Jahre nebeneinander oder untereinander, ältestes Jahr zuerst.")
@_excel
def CSEG_WACHSTUM(umsaetze, caller=None):
    """Durchschnittliches jährliches Wachstum über alle Jahre ab dem ersten Jahr mit Umsatz (0,2 = 20 % pro Jahr)."""
    growth, _declining = history_rules.history_figures(_yearly(umsaetze))
    if growth[0] != growth[0]:
        raise UdfError("Wachstum nicht berechenbar: kein Jahr mit Umsatz vor dem letzten")
    return float(growth[0])


@func(category=CATEGORY)
@_raw(umsaetze="Umsätze mehrerer Jahre nebeneinander oder untereinander, ältestes Jahr zuerst.")
@_excel
def CSEG_RUECKLAEUFIG(umsaetze, caller=None):
    """Seit wie vielen Jahren der Umsatz bis zum letzten Jahr ununterbrochen fällt (0 = nicht rückläufig)."""
    _growth, declining = history_rules.history_figures(_yearly(umsaetze))
    return float(declining[0])


def _status(value: Any) -> str:
    label, error = parse_status(_single(value, "Status"))
    if error:
        raise UdfError(error)
    return label or DEFAULT_STATUS


@functools.lru_cache(maxsize=16)
def _probabilities(snapshot: _Snapshot) -> tuple[dict[str, float], dict[str, str]]:
    found, issues = status_probabilities_from_names(snapshot.values)
    return found, {i.name: i.message.split("; Standardwert")[0] for i in issues}


def _probability(caller: Any, status: str) -> float:
    probabilities, issues = _probabilities(_snapshot(caller))
    name = next(s.name for s in STATUSES if s.label == status)
    if name in issues:
        raise UdfError(f"{issues[name]} (Zelle {name})")
    return probabilities[status]


@func(category=CATEGORY)
@_raw(status=_DOC_STATUS)
@_excel
def CSEG_WAHRSCHEINLICHKEIT(status, caller=None):
    """Abschlusswahrscheinlichkeit des Status (Zellen Wkt_…); leer = nicht gestartet."""
    return _probability(caller, _status(status))


@func(category=CATEGORY)
@_raw(betrag="Erwarteter Umsatz der Maßnahme in EUR.", status=_DOC_STATUS,
      wahrscheinlichkeit="Optional: eigene Wahrscheinlichkeit einer offenen Maßnahme "
                         "(z. B. 50 %).")
@_excel
def CSEG_GEWICHTET(betrag, status, wahrscheinlichkeit=None, caller=None):
    """Gewichteter Umsatz: erwarteter Umsatz x Wahrscheinlichkeit des Status (gewonnen 100 %, verloren 0 %)."""
    amount = _amount(betrag, "Betrag")
    label = _status(status)
    override, error = parse_probability(_single(wahrscheinlichkeit, "Wahrscheinlichkeit"))
    if error:
        raise UdfError(f"{error} (Wahrscheinlichkeit)")
    if override is None or label in (WON, LOST):
        override = _probability(caller, label)
    return amount * override


_GROWTH_MAX = SPEC_BY_KEY["ziel_wachstum"].maximum  # 1000 %
_TARGET_MIN = 1000.0  # EUR; between the two a bare number is ambiguous


@func(category=CATEGORY)
@_raw(vorjahr="Umsatz im Vorjahr in EUR (z. B. 500000).",
      ziel_oder_wachstum="Optional: Umsatzziel in EUR (z. B. 600000 oder Vorjahr+100000) oder "
                         "Wachstum in % (z. B. 20 %). Leer = Zelle Ziel_Umsatz, sonst "
                         "Ziel_Wachstum.",
      gefaehrdet="Optional: Vorjahresumsatz gefährdeter Kunden in EUR (Standard 0).",
      verlustquote="Optional: erwarteter Verlust bei gefährdeten Kunden (z. B. 25 %). Leer = "
                   "Zelle Verlustquote_Risiko.")
@_excel
def CSEG_LUECKE(vorjahr, ziel_oder_wachstum=None, gefaehrdet=None, verlustquote=None, caller=None):
    """Lücke zum Umsatzziel: Ziel minus erwartete Basis (Vorjahr abzüglich erwarteter Verlust bei gefährdeten Kunden)."""
    revenue = _amount(vorjahr, "Vorjahr")
    at_risk = _amount(gefaehrdet, "gefährdet", required=False) or 0.0
    if at_risk > revenue:
        raise UdfError("gefährdeter Umsatz ist größer als der Vorjahresumsatz")
    target = _number(ziel_oder_wachstum, "Ziel", required=False)
    explicit = {_name("verlustquote_risiko"): ("verlustquote", verlustquote)}
    if target is not None:
        if _GROWTH_MAX < target < _TARGET_MIN:
            raise UdfError(f"Ziel {german.number(target, 4)} ist mehrdeutig: Wachstum in % "
                           "(z. B. 20 %) oder "
                           "Umsatzziel in EUR angeben")
        key = "ziel_wachstum" if target <= _GROWTH_MAX else "ziel_umsatz"
        explicit[_name(key)] = ("ziel_oder_wachstum", target)
    params = _params(caller, _GAP_NAMES, **explicit)
    if target is not None and target <= _GROWTH_MAX:
        params = params.with_values(ziel_umsatz=None)  # a growth rate: the workbook's target off
    return planning.revenue_gap(revenue, planning.target_revenue(revenue, params), at_risk,
                                params.verlustquote_risiko)


@func(category=CATEGORY)
@_raw(arbeitstage="Optional: Arbeitstage pro Jahr. Leer = Zelle Arbeitstage (220).",
      urlaub="Optional: Urlaubstage. Leer = Zelle Urlaubstage (30).",
      krankheit="Optional: Krankheitstage. Leer = Zelle Krankheitstage (8).",
      messen="Optional: Messetage. Leer = Zelle Messetage (5).",
      intern="Optional: interne Termine und Schulungen in Tagen. Leer = Zelle Interne_Tage (12).",
      kundentage_je_woche="Optional: Tage pro Woche beim Kunden (3-4). Leer = Zelle "
                          "Kundentage_je_Woche (3,5).")
@_excel
def CSEG_KUNDENTAGE(arbeitstage=None, urlaub=None, krankheit=None, messen=None, intern=None,
                    kundentage_je_woche=None, caller=None):
    """Kundentage pro Jahr: (Arbeitstage - Urlaub - Krankheit - Messen - interne Tage) x Kundentage je Woche / 5."""
    params = _params(caller, _CAPACITY_NAMES,
                     Arbeitstage=("arbeitstage", arbeitstage), Urlaubstage=("urlaub", urlaub),
                     Krankheitstage=("krankheit", krankheit), Messetage=("messen", messen),
                     Interne_Tage=("intern", intern),
                     Kundentage_je_Woche=("kundentage_je_woche", kundentage_je_woche))
    return planning.customer_days(params)


@func(category=CATEGORY)
@_raw(kontakte_pro_jahr="Inside-Sales-Kontakte pro Jahr (z. B. Summe laut Kanalmatrix).",
      kunden_pro_tag="Optional: Kunden je Inside-Sales-Mitarbeiter und Tag (10-15). Leer = Zelle "
                     "IS_Kunden_je_Tag.",
      tage="Optional: Arbeitstage einer Inside-Sales-Stelle. Leer = Arbeitstage - Urlaub - "
           "Krankheit.")
@_excel
def CSEG_IS_FTE(kontakte_pro_jahr, kunden_pro_tag=None, tage=None, caller=None):
    """Benötigte Inside-Sales-Stellen (FTE): Kontakte pro Jahr / (Kunden je Tag x Tage)."""
    contacts = _number(kontakte_pro_jahr, "Kontakte")
    if contacts < 0:
        raise UdfError("Kontakte dürfen nicht negativ sein")
    days = _number(tage, "Tage", required=False)
    if days is not None and days <= 0:
        raise UdfError("Tage müssen größer 0 sein")
    params = _params(caller, _IS_NAMES if days is None else _IS_NAMES[:1],
                     IS_Kunden_je_Tag=("kunden_pro_tag", kunden_pro_tag))
    days = planning.inside_sales_days(params) if days is None else days
    return planning.inside_sales_fte(contacts,
                                     planning.inside_sales_capacity(days, params.is_kunden_tag))


# -- table functions (dynamic arrays) ---------------------------------------------------------
_OUTPUT_HEADERS = [f.header for f in OUTPUT_FIELDS]


def _rows(tabelle: Any) -> tuple[tuple[Any, ...], Sequence[Sequence[Any]]]:
    """Header row and the data rows, without trailing blank rows (a whole column such as A:F
    holds a million of them)."""
    end = len(tabelle) if isinstance(tabelle, (tuple, list)) else 0
    while end > 1 and all(v is None or v == "" for v in tabelle[end - 1]):
        end -= 1
    if end < 2 or not isinstance(tabelle[0], (tuple, list)):
        raise UdfError("Tabelle braucht eine Überschriftenzeile und mindestens eine Kundenzeile")
    return tuple(tabelle[0]), tabelle[1:end]


def _column(values: np.ndarray) -> pd.Series:
    """Floats become a float column (vectorized in the core); text stays; anything else (COM
    error codes, Currency) is cleaned cell by cell."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("floating", "empty"):
        return pd.Series(values).astype(float)
    if kind != "string":
        odd = np.flatnonzero(np.fromiter(map(is_com_odd, values), dtype=bool, count=len(values)))
        if len(odd):
            values = values.copy()
            values[odd] = [from_com(v) for v in values[odd]]
    return pd.Series(values, dtype=object)


def _customers(tabelle: Any) -> pd.DataFrame:
    """The raw customer frame of a table with a header row (German headers as on ``Kunden``)."""
    header, data = _rows(tabelle)
    match = match_headers({c: from_com(h) for c, h in enumerate(header) if h is not None},
                          _dt.date.today().year)
    missing = required_missing(match)
    if missing:
        raise UdfError(f"Spalte fehlt: {', '.join(missing)}")
    if match.duplicates:
        doubled = ", ".join(str(header[cols[0]]) for cols in match.duplicates.values())
        raise UdfError(f"Spalte mehrfach vorhanden: {doubled}")
    return pd.DataFrame({key: _column(np.fromiter(map(itemgetter(col), data), dtype=object,
                                                  count=len(data)))
                         for key, col in match.columns.items()})


def _parameter_range(parameter: Any) -> dict[str, tuple[str, Any]]:
    """Rows of a two-column range (name or label | value) as explicit parameters."""
    if parameter is None:
        return {}
    if not isinstance(parameter, (tuple, list)) or not parameter \
            or not isinstance(parameter[0], (tuple, list)) or len(parameter[0]) != 2:
        raise UdfError("Parameterbereich muss zwei Spalten haben (Name | Wert)")
    labels = {s.label.casefold(): s.name for s in SPECS}
    found: dict[str, tuple[str, Any]] = {}
    for name, value in parameter:
        text = str(name or "").strip().casefold()
        defined = SPEC_BY_NAME[text].name if text in SPEC_BY_NAME else labels.get(text)
        if defined is None and text in _KNOWN_NAMES:
            defined = text
        if defined is not None:
            found[defined] = ("Parameterbereich", value)
        elif parse_number(from_com(value))[0] is not None:  # a value without a known name: a typo
            raise UdfError(f'„{name}“ ist kein bekannter Parameter (Parameterbereich)')
    return found


def _segment(tabelle: Any, parameter: Any, caller: Any) -> tuple[pd.DataFrame, SegmentResult]:
    frame = _customers(tabelle)
    params = _params(caller, _SEGMENT_NAMES, **_parameter_range(parameter))
    params = with_month_default(params, _dt.date.today())
    labels = pd.Series(frame.index + 2, index=frame.index)  # row 1 of the range is the header
    return frame, segment(frame, params, row_labels=labels)


def _spill(frame: pd.DataFrame, header: list[str]) -> list[tuple[Any, ...]]:
    """A frame as rows for Excel: header row first, blanks as "", plain Python scalars."""
    columns = [frame[c].astype(object).where(frame[c].notna(), "").tolist() for c in frame.columns]
    return [tuple(header)] + list(zip(*columns))


@func(category=CATEGORY, call_in_wizard=False)
@_raw(tabelle="Kundentabelle mit Überschriftenzeile: Kunden-Nr, Kunde, Umsatz Vorjahr, "
              "Potenzial, optional Umsatz Vorvorjahr, Umsatz lfd. Jahr, Verbundenheit, Gebiet.",
      parameter="Optional: zwei Spalten Name | Wert (z. B. Kosten_je_Besuch | 350). Leer = "
                "Parameterzellen der Arbeitsmappe.")
@ret("raw")
@_excel
def CSEG_SEGMENTIEREN(tabelle, parameter=None, caller=None):
    """Segmentiert alle Kunden der Tabelle; gibt je Zeile Umsatzentwicklung, ABC, Ausschöpfung, Potenzialklasse, Segment, Kanal, Besuche/Jahr, Risiko und Prüfhinweis aus."""
    frame, result = _segment(tabelle, parameter, caller)
    output = result.output if len(result.output) == len(frame) else \
        result.output.reindex(frame.index)  # blank rows stay blank
    return _spill(output, _OUTPUT_HEADERS)


@func(category=CATEGORY, call_in_wizard=False)
@_raw(tabelle="Kundentabelle mit Überschriftenzeile wie bei CSEG_SEGMENTIEREN.",
      parameter="Optional: zwei Spalten Name | Wert. Leer = Parameterzellen der Arbeitsmappe.")
@ret("raw")
@_excel
def CSEG_VERTEILUNG(tabelle, parameter=None, caller=None):
    """Segmentverteilung je Segment-Code: Kunden, Anteil Kunden, Umsatz, Anteil Umsatz, Potenzial und offenes Potenzial, mit Gesamtzeile."""
    _, result = _segment(tabelle, parameter, caller)
    table = distribution(result.output, result.inputs).by_code
    table.insert(0, "Segment", table.index)
    return _spill(table, list(table.columns))
