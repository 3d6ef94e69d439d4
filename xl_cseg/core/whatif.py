"""What-if for the C-customer threshold: how the classes move when the cost per visit, the visits
a B or an A customer must carry, or the maximum sales-cost share change.

Per scenario (one value, or one combination of several parameters' values): the C and A
thresholds (rule of thumb, :func:`params.revenue_threshold`), customers and revenue per class and
how many customers change class against today's classification. Classes by threshold are
monotone in revenue, so every scenario is two binary searches in the sorted revenues and two
prefix sums: 100,000 customers x 20 values take milliseconds (``benchmarks/bench_whatif.py``).
Today's classes (absolute or Pareto) are monotone in revenue too, so the customers that change
class follow from the class boundaries alone.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from . import german
from .numbers import parse_number
from .params import ABC_CLASSES, SPEC_BY_KEY, Parameters

# the parameters a what-if may vary: key -> (command-line option, German label, unit)
VARIABLES: dict[str, tuple[str, str, str]] = {
    "kosten_je_besuch": ("--kosten-je-besuch", "Kosten je Besuch", "EUR"),
    "besuche_b": ("--besuche-b", "Besuche B-Kunde", "Besuche/Jahr"),
    "besuche_a": ("--besuche-a", "Besuche A-Kunde", "Besuche/Jahr"),
    "max_kostenanteil": ("--max-kostenanteil", "Max. Vertriebskostenanteil", "%"),
}
MAX_VALUES = 1000  # per parameter
MAX_SCENARIOS = 100_000
TODAY = "heute"
RESULT_COLUMNS = ("C-Schwelle", "A-Schwelle", "A Kunden", "B Kunden", "C Kunden", "A Umsatz",
                  "B Umsatz", "C Umsatz", "Klassenwechsel", "neu C", "nicht mehr C")


class WhatIfError(ValueError):
    """A what-if range or list that cannot be used (German message naming the option)."""


def parse_values(text: str, key: str) -> list[float]:
    """``"300:450:50"`` (start:stop:step, stop included), ``"300:450"`` (step 1 for visits,
    else 10 steps), or a list ``"300,350,400"`` / ``"7,5;10"`` (a semicolon list allows decimal
    commas; one comma with one or two digits after it is a decimal for amounts and shares, for
    visits always a list: "3,4" = 3 and 4); shares above 1 are percent points. Empty, negative, zero or out-of-range values raise :class:`WhatIfError`."""
    option, _label, unit = VARIABLES[key]
    spec = SPEC_BY_KEY[key]
    raw = str(text).strip()
    if not raw:
        raise WhatIfError(f"{option}: kein Wert angegeben")
    if ":" in raw:
        parts = [p.strip() for p in raw.split(":")]
        if len(parts) not in (2, 3) or not all(parts):
            raise WhatIfError(f'{option}: „{raw}“ ist kein Bereich (Anfang:Ende:Schritt, z. B. '
                              "300:450:50)")
        numbers = [_number(p, option, raw) for p in parts]
        start, stop = numbers[0], numbers[1]
        if len(numbers) == 3:
            step = numbers[2]
        else:
            step = 1.0 if spec.kind != "percent" and unit != "EUR" else (stop - start) / 10
        if key == "max_kostenanteil" and (start > 1 or stop > 1):  # percent points: 8:12:1
            start, stop, step = start / 100.0, stop / 100.0, step / 100.0
        if step <= 0:
            raise WhatIfError(f'{option}: Bereich „{raw}“ ist leer (Schritt muss größer 0 sein)')
        if start > stop:
            raise WhatIfError(f'{option}: Bereich „{raw}“ ist leer (Anfang über Ende)')
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > MAX_VALUES:
            raise WhatIfError(f'{option}: Bereich „{raw}“ hat {count} Werte, höchstens '
                              f"{MAX_VALUES}")
        values = [round(start + i * step, 10) for i in range(count)]
    else:
        separator = ";" if ";" in raw else ","
        if separator == "," and key != "besuche_a" and key != "besuche_b" and \
                _looks_german_decimal(raw):
            separator = ";"
        values = [_number(p.strip(), option, raw) for p in raw.split(separator) if p.strip()]
        if key == "max_kostenanteil":
            values = [_share(v) for v in values]
        if not values:
            raise WhatIfError(f'{option}: Liste „{raw}“ ist leer')
        if len(values) > MAX_VALUES:
            raise WhatIfError(f"{option}: {len(values)} Werte, höchstens {MAX_VALUES}")
    for value in values:
        if value <= 0 or (spec.maximum is not None and value > spec.maximum):
            shown = _shown(value, key)
            bound = "größer 0" if value <= 0 else f"höchstens {_shown(spec.maximum, key)}"
            raise WhatIfError(f"{option}: {shown} ist nicht zulässig (Wert muss {bound} sein)")
    return list(dict.fromkeys(values))


def _looks_german_decimal(text: str) -> bool:
    """"7,5" is one number, "300,350" a list of two."""
    parts = text.split(",")
    return len(parts) == 2 and len(parts[1].strip().rstrip("%").strip()) in (1, 2) and \
        "." not in text


def _number(text: str, option: str, raw: str) -> float:
    value, error = parse_number(text)
    if error or value is None:
        raise WhatIfError(f'{option}: „{text}“ in „{raw}“ ist keine Zahl')
    if value < 0:
        raise WhatIfError(f'{option}: negativer Wert {text} in „{raw}“ ist nicht zulässig')
    return value


def _share(value: float) -> float:
    return value / 100.0 if value > 1 else value


def _shown(value: float, key: str) -> str:
    if key == "max_kostenanteil":
        return german.percent(value, 2)
    return german.number(value, 2)


@dataclass(frozen=True, eq=False)
class WhatIf:
    """One row per scenario: the varied parameters' values (columns named by key), a label,
    and :data:`RESULT_COLUMNS`; the first row is today's parameters."""

    table: pd.DataFrame
    keys: tuple[str, ...]
    params: Parameters = field(repr=False)
    customers: int = 0
    notes: list[str] = field(default_factory=list)


def scenarios(params: Parameters, values: Mapping[str, Sequence[float]]) -> list[Parameters]:
    """Every combination of the given values (in the order given), as parameters."""
    keys = list(values)
    combos = list(itertools.product(*(values[k] for k in keys)))
    if len(combos) > MAX_SCENARIOS:
        raise WhatIfError(f"{len(combos)} Kombinationen, höchstens {MAX_SCENARIOS}: bitte "
                          "weniger Werte angeben")
    out = []
    for combo in combos:
        changes = dict(zip(keys, combo))
        if "kosten_je_besuch" in changes:  # the varied cost wins over a derived one
            changes.update(ad_kosten_jahr=None, ad_besuche_jahr=None)
        out.append(params.with_values(**changes))
    return out


def what_if(revenue: np.ndarray, today_abc: np.ndarray, params: Parameters,
            values: Mapping[str, Sequence[float]]) -> WhatIf:
    """The what-if table for customers with ``revenue`` (NaN = no revenue figure, left out)
    classified today as ``today_abc`` ("A"/"B"/"C"), for ``values`` per parameter key."""
    for key in values:
        if key not in VARIABLES:
            raise WhatIfError(f"{key}: kein Parameter für die Was-wäre-wenn-Rechnung")
    revenue = np.asarray(revenue, dtype=float)
    today_abc = np.asarray(today_abc, dtype=object)
    valid = ~np.isnan(revenue) & np.isin(today_abc, ABC_CLASSES)
    order = np.sort(revenue[valid])
    prefix = np.concatenate(([0.0], np.cumsum(order)))
    n = len(order)
    grades = today_abc[valid]
    today_c = int(np.count_nonzero(grades == "C"))
    today_cb = today_c + int(np.count_nonzero(grades == "B"))
    variants = scenarios(params, values)
    notes: list[str] = []
    invalid = [i for i, p in enumerate(variants) if p.besuche_a <= p.besuche_b]
    if invalid:
        notes.append(f"{len(invalid)} Kombinationen mit Besuchen A nicht über Besuchen B: A-Schwelle "
                     "gleich der C-Schwelle (keine B-Kunden)")
    threshold_c = np.array([p.c_threshold for p in [params, *variants]])
    threshold_a = np.maximum(np.array([p.a_threshold for p in [params, *variants]]), threshold_c)
    # C: revenue below the C threshold; A: from the A threshold (as rules.abc_absolute_values)
    q_c = np.searchsorted(order, threshold_c, side="left")
    q_a = np.searchsorted(order, threshold_a, side="left")
    if params.abc_methode != "absolut":  # today's row shows today's (Pareto) classes
        q_c[0], q_a[0] = today_c, today_cb
        notes.append("ABC-Methode pareto: „heute“ zeigt die Pareto-Klassen; die Szenarien "
                     "klassifizieren absolut nach den Schwellen")
    agree = np.minimum(q_c, today_c) + np.clip(np.minimum(q_a, today_cb)
                                               - np.maximum(q_c, today_c), 0, None) \
        + (n - np.maximum(q_a, today_cb))
    table = pd.DataFrame({
        "C-Schwelle": threshold_c, "A-Schwelle": threshold_a,
        "A Kunden": n - q_a, "B Kunden": q_a - q_c, "C Kunden": q_c,
        "A Umsatz": prefix[n] - prefix[q_a], "B Umsatz": prefix[q_a] - prefix[q_c],
        "C Umsatz": prefix[q_c],
        "Klassenwechsel": n - agree,
        "neu C": np.clip(q_c - today_c, 0, None), "nicht mehr C": np.clip(today_c - q_c, 0, None),
    })
    keys = tuple(values)
    for key in reversed(keys):
        table.insert(0, key, [getattr(p, key) for p in [params, *variants]])
    table.insert(0, "Szenario", [TODAY] + [label(p, keys) for p in variants])
    for column in ("A Kunden", "B Kunden", "C Kunden", "Klassenwechsel", "neu C",
                   "nicht mehr C"):
        table[column] = table[column].astype(int)
    return WhatIf(table=table, keys=keys, params=params, customers=n, notes=notes)


def label(params: Parameters, keys: Sequence[str]) -> str:
    """A scenario's short German label, e.g. "400 € / 4 Besuche"."""
    parts = []
    for key in keys:
        value = getattr(params, key)
        unit = VARIABLES[key][2]
        if unit == "%":
            parts.append(german.percent(value, 2))
        elif unit == "EUR":
            parts.append(german.amount(value))
        else:
            parts.append(german.number(value, 2) + " Besuche")
    return " / ".join(parts)

