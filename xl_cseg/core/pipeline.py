"""Measure pipeline: status probabilities, weighted revenue, overdue and stale measures.

Input: one row per measure (a product idea, activity or project for a customer) with raw cell
values. Output: per measure the probability, the weighted revenue, the customer's segment code and
German warnings; totals per customer, code and status; issues tied to a row label and a field key.
The date "today" is a parameter: the core reads no clock.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Mapping

import numpy as np
import pandas as pd

from . import german
from .columns import MEASURE_FIELDS, MEASURE_OUTPUT_FIELDS
from .numbers import (CellError, UncachedFormula, error_label, normalize_id, parse_number,
                      percent_points)
from .params import CODES, ParamIssue
from .segment import ERROR, NOTE, Issue, parse_numeric


@dataclass(frozen=True)
class Status:
    """One status of a measure with its default probability and its defined name."""

    label: str
    name: str  # workbook-level defined name of the probability cell
    default: float


STATUSES: tuple[Status, ...] = (
    Status("nicht gestartet", "Wkt_nicht_gestartet", 0.10),
    Status("initial vorgestellt", "Wkt_initial_vorgestellt", 0.20),
    Status("in Erprobung", "Wkt_in_Erprobung", 0.40),
    Status("Angebot beim Einkauf", "Wkt_Angebot_beim_Einkauf", 0.70),
    Status("gewonnen", "Wkt_gewonnen", 1.00),
    Status("verloren", "Wkt_verloren", 0.00),
)
WON, LOST = "gewonnen", "verloren"
DEFAULT_STATUS = STATUSES[0].label
DEFAULT_PROBABILITIES: dict[str, float] = {s.label: s.default for s in STATUSES}

# The six phases of a sales project (handbook chapters: preparation to "Nachfreude").
PHASES: tuple[str, ...] = ("Vorbereitung", "Start", "Bedarf", "Lösung", "Abschluss", "Nachfreude")
_PHASE_ALIASES = {"Einstieg": "Start", "Nachsorge": "Nachfreude"}

MEASURE_KEYS: tuple[str, ...] = tuple(f.key for f in MEASURE_FIELDS)
_HEADERS = {f.key: f.header for f in MEASURE_FIELDS + MEASURE_OUTPUT_FIELDS}

TOTAL_COLUMNS = ("Maßnahmen", "Erwarteter Umsatz", "Gewichteter Umsatz")
TOTAL = "Gesamt"
NO_STATUS = "ohne Status"
NO_SEGMENT = "ohne Segment"

_EXCEL_EPOCH = _dt.date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 31.12.9999
_DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y")
_FILLER_WORDS = {"der", "die", "das"}


def measure_header(key: str) -> str:
    """German header of a measure field key (for messages and sheet headers)."""
    return _HEADERS[key]


# -- forgiving text matching ------------------------------------------------------------------
def _keys(text: str) -> tuple[str, str]:
    """Comparison keys of a text: case, whitespace, punctuation, "der/die/das" and umlaut
    spelling (ä = ae = a) do not matter. The "ae" spelling comes first."""
    words = re.sub(r"[^0-9a-zäöü]+", " ", text.casefold()).split()
    base = " ".join(w for w in words if w not in _FILLER_WORDS)
    return (base.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})),
            base.translate(str.maketrans("äöü", "aou")))


def _choice_table(labels: tuple[str, ...], aliases: Mapping[str, str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for text, label in [(x, x) for x in labels] + list(aliases.items()):
        for key in _keys(text):
            table.setdefault(key, label)
    return table


_STATUS_LABELS = tuple(s.label for s in STATUSES)
_STATUS_TABLE = _choice_table(_STATUS_LABELS, {})
_PHASE_TABLE = _choice_table(PHASES, _PHASE_ALIASES)


def _cell_error(raw: CellError, instead: str) -> str:
    """German message for an error cell; an uncached formula gets the same advice as numbers."""
    if isinstance(raw, UncachedFormula):
        return parse_number(raw)[1] or ""
    return f"Fehlerwert {error_label(raw.code)} statt {instead}"


def _match(raw: Any, table: Mapping[str, str], labels: tuple[str, ...], unknown: str,
           instead: str) -> tuple[str | None, str | None]:
    """(label, None), (None, None) for blank, or (None, German error with a suggestion)."""
    if raw is None or isinstance(raw, float) and math.isnan(raw):
        return None, None
    if isinstance(raw, CellError):
        return None, _cell_error(raw, instead)
    text = str(raw).strip()
    if not text:
        return None, None
    keys = _keys(text)
    for key in keys:
        if key in table:
            return table[key], None
    close = difflib.get_close_matches(keys[0], list(table), n=1, cutoff=0.6)
    if close:
        return None, f'„{text}“ ist {unknown} – meinten Sie „{table[close[0]]}“?'
    return None, f'„{text}“ ist {unknown} (erlaubt: {", ".join(labels)})'


def parse_status(raw: Any) -> tuple[str | None, str | None]:
    """Canonical status of a cell value; "in der Erprobung" and "IN ERPROBUNG" both match."""
    return _match(raw, _STATUS_TABLE, _STATUS_LABELS, "kein bekannter Status", "eines Status")


def parse_phase(raw: Any) -> tuple[str | None, str | None]:
    """Canonical sales phase of a cell value ("Einstieg" = Start, "Nachsorge" = Nachfreude)."""
    return _match(raw, _PHASE_TABLE, PHASES, "keine bekannte Phase", "einer Phase")


# -- probabilities ----------------------------------------------------------------------------
def parse_probability(raw: Any) -> tuple[float | None, str | None]:
    """A probability as a fraction: 0.4, "40 %" and 40 all mean 40 %; outside 0-100 % (also 1.4,
    what a % cell holds for 140 %) is an error."""
    value, error = parse_number(raw)
    if error or value is None:
        return None, error
    value = percent_points(value)  # 40 typed into a cell without percent format: 40 %
    if not 0.0 <= value <= 1.0:
        return None, f"{german.percent(value)} liegt außerhalb 0 bis 100 %"
    return value, None


def status_probabilities_from_names(values: Mapping[str, Any]
                                    ) -> tuple[dict[str, float], list[ParamIssue]]:
    """Probability per status from values keyed by defined name (``Wkt_in_Erprobung``, any case).

    Missing names keep their defaults silently; blank or invalid values fall back to the default
    with an issue.
    """
    by_name = {str(k).casefold(): v for k, v in values.items()}
    probabilities = dict(DEFAULT_PROBABILITIES)
    issues: list[ParamIssue] = []
    for status in STATUSES:
        if status.name.casefold() not in by_name:
            continue
        value, error = parse_probability(by_name[status.name.casefold()])
        if value is None:
            issues.append(ParamIssue(status.name, f"{error or 'leer'}; Standardwert "
                                                  f"{german.percent(status.default)} verwendet"))
        else:
            probabilities[status.label] = value
    return probabilities, issues


def _checked_probabilities(probabilities: Mapping[str, float] | None) -> dict[str, float]:
    merged = dict(DEFAULT_PROBABILITIES)
    for key, value in (probabilities or {}).items():
        label, error = parse_status(key)
        if error or label is None:
            raise ValueError(f"unknown status in probabilities: {key!r}")
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"probability of {label!r} outside 0..1: {value!r}")
        merged[label] = float(value)
    return merged


# -- dates ------------------------------------------------------------------------------------
def parse_date(raw: Any) -> tuple[_dt.date | None, str | None]:
    """A date from a cell: date/datetime, an Excel serial number (45000.0 = 15.03.2023) or text
    such as "31.12.2026" or "2026-12-31". Returns ``(date, None)``, ``(None, None)`` or an error."""
    if raw is None or raw is pd.NaT:
        return None, None
    if isinstance(raw, _dt.datetime):
        return raw.date(), None
    if isinstance(raw, _dt.date):
        return raw, None
    if isinstance(raw, CellError):
        return None, _cell_error(raw, "eines Datums")
    if isinstance(raw, bool):
        return None, f'„{"WAHR" if raw else "FALSCH"}“ ist ein Wahrheitswert, kein Datum'
    if isinstance(raw, (int, float, np.integer, np.floating)):
        serial = float(raw)
        if math.isnan(serial):
            return None, None
        if not 1 <= serial <= _MAX_SERIAL:
            return None, f"{german.number(serial, 4)} ist kein gültiges Datum"
        return _EXCEL_EPOCH + _dt.timedelta(days=math.floor(serial)), None
    text = str(raw).strip()
    if not text:
        return None, None
    candidate = text.split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return _dt.datetime.strptime(candidate, fmt).date(), None
        except ValueError:
            continue
    return None, f'„{text}“ ist kein Datum (erwartet z. B. 31.12.2026)'


def _days(n: int) -> str:
    return f"{n} Tag" if n == 1 else f"{n} Tagen"


# -- evaluation -------------------------------------------------------------------------------
@dataclass
class PipelineResult:
    """Per-measure output and parsed inputs (same index), totals and issues."""

    output: pd.DataFrame  # probability, weighted, code, overdue, stale, notes
    inputs: pd.DataFrame  # customer_id, measure, status, phase, expected_revenue, probability,
    #                       next_step, due_date, last_activity (parsed; canonical status/phase)
    by_customer: pd.DataFrame
    by_code: pd.DataFrame
    by_status: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)

    @property
    def open(self) -> pd.Series:
        """Measures neither won nor lost (an invalid status counts as open)."""
        return ~self.inputs["status"].isin([WON, LOST])

    @property
    def ok(self) -> bool:
        return not any(i.severity == ERROR for i in self.issues)

    @property
    def counted(self) -> pd.Series:
        """Measures without an error: only these count in any pipeline total."""
        return pd.Series(~_error_rows(self.issues, self.inputs.index), index=self.inputs.index)


def _error_rows(issues: list[Issue], index: pd.Index) -> np.ndarray:
    return index.isin({i.row for i in issues if i.severity == ERROR})


def _column(raw: pd.DataFrame, key: str) -> pd.Series:
    if key in raw:
        return raw[key].astype(object)
    return pd.Series(None, index=raw.index, dtype=object)


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def evaluate_pipeline(measures: pd.DataFrame, customers: pd.DataFrame | None,
                      probabilities: Mapping[str, float] | None, today: _dt.date,
                      stale_days: int = 60) -> PipelineResult:
    """Evaluate every measure row of ``measures`` (raw cell values, keys of :data:`MEASURE_KEYS`).

    ``customers`` holds ``customer_id`` and ``code`` (segment output); when given, measures for
    other customer numbers are errors. ``probabilities`` maps status -> fraction (defaults for
    missing statuses). A ``probability`` cell overrides the status probability of an open measure.
    Rows whose cells are all blank are skipped.
    """
    probs = _checked_probabilities(probabilities)
    blank = np.fromiter((all(_is_blank(v) for v in row) for row in
                         measures.itertuples(index=False)), dtype=bool, count=len(measures))
    raw = measures.loc[~blank]
    index = raw.index
    issues: list[Issue] = []

    ids = pd.Series([normalize_id(v) for v in _column(raw, "customer_id")], index=index,
                    dtype=object)
    known = None if customers is None else _customer_codes(customers)
    for label, cid in ids.items():
        if cid is None:
            issues.append(Issue(label, "customer_id", ERROR, "fehlt"))
        elif known is not None and cid not in known:
            issues.append(Issue(label, "customer_id", ERROR,
                                f"{cid} steht nicht in der Kundenliste"))
    measure = _column(raw, "measure")
    issues.extend(Issue(label, "measure", NOTE, "keine Maßnahme beschrieben")
                  for label in index[measure.map(_is_blank).to_numpy(dtype=bool)])

    status = _parse_cells(raw, "status", parse_status, issues)
    invalid = {i.row for i in issues if i.field == "status"}
    for label in index[status.isna().to_numpy()]:
        if label not in invalid:
            status[label] = DEFAULT_STATUS
            issues.append(Issue(label, "status", NOTE, f'fehlt, als „{DEFAULT_STATUS}“ gewertet'))
    phase = _parse_cells(raw, "phase", parse_phase, issues)
    expected = _expected_revenue(raw, issues)

    is_open = ~status.isin([WON, LOST])
    override = _parse_cells(raw, "probability", parse_probability, issues).astype(float)
    issues.extend(Issue(label, "probability", NOTE, f'bei Status „{status[label]}“ nicht '
                                                    "berücksichtigt")
                  for label in index[(override.notna() & ~is_open).to_numpy()])
    probability = status.map(probs).astype(float)
    use = override.notna() & is_open
    probability[use] = override[use]

    due = _parse_cells(raw, "due_date", parse_date, issues)
    last = _parse_cells(raw, "last_activity", parse_date, issues)
    overdue, stale = _warnings(due, last, is_open, today, stale_days, issues)

    code = ids.map(known).astype(object) if known is not None else \
        pd.Series(np.nan, index=index, dtype=object)
    # a measure with an error (unknown customer or status, amount no number) counts nowhere
    failed = _error_rows(issues, index)
    weighted = (expected * probability).where(~failed)
    counted = expected.where(~failed)
    inputs = pd.DataFrame({
        "customer_id": ids, "measure": measure, "status": status, "phase": phase,
        "expected_revenue": expected, "probability": override,
        "next_step": _column(raw, "next_step"), "due_date": due, "last_activity": last,
    }, index=index)
    output = pd.DataFrame({
        "probability": probability, "weighted": weighted, "code": code, "overdue": overdue,
        "stale": stale, "notes": _notes(issues, index),
    }, index=index)
    return PipelineResult(
        output=output, inputs=inputs,
        by_customer=_totals(ids.fillna("ohne Kunden-Nr")[~failed], counted[~failed],
                            weighted[~failed], None),
        by_code=_totals(code.fillna(NO_SEGMENT)[~failed], counted[~failed], weighted[~failed],
                        CODES + (NO_SEGMENT,)),
        by_status=_totals(status.fillna(NO_STATUS)[~failed], counted[~failed],
                          weighted[~failed], _STATUS_LABELS + (NO_STATUS,)),
        issues=issues)


def _customer_codes(customers: pd.DataFrame) -> dict[str, Any]:
    ids = customers["customer_id"].map(normalize_id)
    codes = customers["code"] if "code" in customers else pd.Series(np.nan, index=customers.index)
    table: dict[str, Any] = {}
    for cid, code in zip(ids, codes):
        if cid is not None:
            table.setdefault(cid, code)
    return table


def _parse_cells(raw: pd.DataFrame, key: str, parser: Callable[[Any], tuple[Any, str | None]],
                 issues: list[Issue]) -> pd.Series:
    """Parse one column cell by cell; errors become issues and leave the value blank."""
    out = pd.Series(None, index=raw.index, dtype=object)
    for label, cell in _column(raw, key).items():
        value, error = parser(cell)
        if error:
            issues.append(Issue(label, key, ERROR, error))
        out[label] = value
    return out


def _expected_revenue(raw: pd.DataFrame, issues: list[Issue]) -> pd.Series:
    """Amounts via :func:`segment.parse_numeric`; negative is an error, blank a note."""
    expected, found = parse_numeric(_column(raw, "expected_revenue"), "expected_revenue")
    issues.extend(found)
    negative = (expected < 0).to_numpy()
    issues.extend(Issue(label, "expected_revenue", ERROR,
                        f"negativer Betrag {german.amount(expected[label])} ist nicht zulässig")
                  for label in raw.index[negative])
    failed = {i.row for i in found if i.severity == ERROR} | set(raw.index[negative])
    expected = expected.where(~negative)
    issues.extend(Issue(label, "expected_revenue", NOTE, "fehlt: Maßnahme zählt nicht zur Pipeline")
                  for label in raw.index[expected.isna().to_numpy()] if label not in failed)
    return expected


def _warnings(due: pd.Series, last: pd.Series, is_open: pd.Series, today: _dt.date,
              stale_days: int, issues: list[Issue]) -> tuple[pd.Series, pd.Series]:
    """Overdue and stale texts of open measures; a last activity in the future is a note."""
    overdue = pd.Series(np.nan, index=due.index, dtype=object)
    stale = pd.Series(np.nan, index=due.index, dtype=object)
    for label in due.index:
        if due[label] is not None and due[label] < today and is_open[label]:
            overdue[label] = f"überfällig seit {_days((today - due[label]).days)}"
        if last[label] is None:
            continue
        idle = (today - last[label]).days
        if idle < 0:
            issues.append(Issue(label, "last_activity", NOTE,
                                f"{german.date(last[label])} liegt in der Zukunft"))
        elif idle > stale_days and is_open[label]:
            stale[label] = f"keine Aktivität seit {_days(idle)}"
    return overdue, stale


def _totals(keys: pd.Series, expected: pd.Series, weighted: pd.Series,
            order: tuple[str, ...] | None) -> pd.DataFrame:
    """Count, expected and weighted revenue per key plus a total row. With ``order`` every key
    but the last (the catch-all row) is always shown; without, rows go by weighted revenue."""
    frame = pd.DataFrame({"key": keys.astype(object), TOTAL_COLUMNS[0]: 1,
                          TOTAL_COLUMNS[1]: expected.fillna(0.0),
                          TOTAL_COLUMNS[2]: weighted.fillna(0.0)})
    table = frame.groupby("key", sort=False)[list(TOTAL_COLUMNS)].sum()
    if order is None:
        table = table.sort_values(TOTAL_COLUMNS[2], ascending=False, kind="stable")
    else:
        rows = list(order[:-1]) + [order[-1]] * (order[-1] in table.index)
        table = table.reindex(rows, fill_value=0)
    table.loc[TOTAL] = table.sum()
    table[TOTAL_COLUMNS[0]] = table[TOTAL_COLUMNS[0]].astype(int)
    table.index.name = None
    return table


def _notes(issues: list[Issue], index: pd.Index) -> pd.Series:
    notes = pd.Series(np.nan, index=index, dtype=object)
    by_row: dict[Hashable, list[Issue]] = {}
    for issue in issues:
        by_row.setdefault(issue.row, []).append(issue)
    for row, found in by_row.items():
        found.sort(key=lambda i: i.severity != ERROR)
        notes[row] = "; ".join(f"{measure_header(i.field)}: {i.message}" if i.field else
                               i.message for i in found)
    return notes
