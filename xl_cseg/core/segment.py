"""Segment a customer table: parse raw cell values, apply the rules, collect German issues.

Input: a DataFrame with (some of) the keys of :data:`columns.INPUT_KEYS`, holding raw cell values
(floats, text, ``None``, :class:`numbers.CellError`, dates). Output: the output columns, the
parsed inputs and a list of issues, each tied to a row label and a field key so that adapters can
name the cell (``Kunden!D17``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterable, Mapping, NamedTuple

import numpy as np
import pandas as pd

from . import german, history, rules
from .columns import NUMERIC_INPUTS, header
from .frames import plain_frame
from .numbers import CellError, normalize_id, number_scale, parse_number
from .params import CODES, Parameters

ERROR = "Fehler"
NOTE = "Hinweis"


class Issue(NamedTuple):
    """One problem with one row (or the whole table when ``row`` is None). A named tuple:
    a big list has one for each of thousands of rows (made several times faster than a frozen
    dataclass)."""

    row: Hashable | None
    field: str | None
    severity: str
    message: str

    def text(self) -> str:
        """Message with the field's header, as shown in the row's ``Prüfhinweis``."""
        return f"{header(self.field)}: {self.message}" if self.field else self.message


@dataclass
class SegmentResult:
    output: pd.DataFrame
    inputs: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.severity == ERROR for i in self.issues)


# the potential is never estimated: missing or 0 is an error of the row
POTENTIAL_MISSING = "fehlt (wird nicht geschätzt)"
POTENTIAL_ZERO = "ist 0, bitte Potenzial schätzen"


def potential_error(potential: float) -> str | None:
    """Why a customer's potential (NaN: blank) cannot be used, or None when it can (> 0;
    negative amounts are refused as every negative amount is)."""
    if potential != potential:
        return POTENTIAL_MISSING
    return POTENTIAL_ZERO if potential == 0 else None


def is_prospect(revenue: np.ndarray, potential: np.ndarray) -> np.ndarray:
    """A blank revenue (NaN) with a potential: a prospect, whose revenue is 0."""
    return np.isnan(revenue) & (potential > 0)


def messages(issues: Iterable[Issue], where: Callable[[Issue], str]
             ) -> tuple[list[str], list[str]]:
    """The issues as users read them, errors and notes apart, in their order: ``where(issue)``
    names the place (``Kunden!D17``; "" for none) before the message."""
    errors: list[str] = []
    notes: list[str] = []
    for issue in issues:
        place = where(issue)
        (errors if issue.severity == ERROR else notes).append(
            f"{place}: {issue.message}" if place else issue.message)
    return errors, notes


def parse_numeric(series: pd.Series, key: str) -> tuple[pd.Series, list[Issue]]:
    """Parse one numeric column; floats pass through vectorized, everything else cell by cell."""
    values, issues = _numeric_values(series, key)
    return pd.Series(values, index=series.index), issues


def _numeric_values(series: pd.Series, key: str, scale: float = 1.0
                    ) -> tuple[np.ndarray, list[Issue]]:
    """:func:`parse_numeric` as a float array (NaN where blank or invalid). ``scale``: the
    column's unit (1000 under ``Umsatz in T€``); a cell's own unit (``3,5 T€``) wins over it."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan, copy=True)
        if scale != 1.0:
            values *= scale
        bad = np.isinf(values)
        issues = [Issue(i, key, ERROR, "unendlicher Wert ist keine Zahl") for i in series.index[bad]]
        values[bad] = np.nan
        return values, issues
    issues = []
    raws = series.to_numpy(dtype=object)
    plain = np.fromiter((type(v) is float or v is None for v in raws), dtype=bool,
                        count=len(raws))
    out = np.full(len(raws), np.nan)
    floats = raws[plain]
    out[plain] = np.where(floats == None, np.nan, floats).astype(float)  # noqa: E711
    if scale != 1.0:
        out[plain] *= scale
    labels = series.index
    for pos in np.flatnonzero(~plain):  # text, dates, error values: few, cell by cell
        label, raw = labels[pos], raws[pos]
        value, error = parse_number(raw)
        if error:
            issues.append(Issue(label, key, ERROR, error))
        elif value is not None:
            own = number_scale(raw)[1] if isinstance(raw, str) else 1.0
            out[pos] = value if own != 1.0 else value * scale
            if isinstance(raw, str):
                shown = f" als {german.amount(out[pos])}" if own != 1.0 or scale != 1.0 else ""
                issues.append(Issue(label, key, NOTE,
                                    f'Zahl als Text „{raw.strip()}“{shown} übernommen'))
    issues.extend(Issue(labels[pos], key, ERROR, "unendlicher Wert ist keine Zahl")
                  for pos in np.flatnonzero(np.isinf(out)))
    out[np.isinf(out)] = np.nan
    return out, issues


def _ids(series: pd.Series) -> np.ndarray:
    """Customer numbers as text (None when blank), vectorized for integral float columns."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(values)
        present = values[~missing]
        if (present == np.floor(present)).all():
            text = np.array(list(map(str, np.where(missing, 0, values).astype(np.int64).tolist())),
                            dtype=object)
            text[missing] = None
            return text
    text = np.empty(len(series), dtype=object)
    text[:] = list(map(normalize_id, series.to_numpy(dtype=object)))
    return text


def _blank(series: pd.Series) -> np.ndarray:
    """None, NaN, "" and whitespace-only text."""
    if pd.api.types.is_numeric_dtype(series):
        return series.isna().to_numpy()
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    if pd.api.types.infer_dtype(values, skipna=True) == "string":  # text only: C-level loops
        texts = np.where(missing, "", values)
        return missing | (texts == "") | np.fromiter(map(str.isspace, texts), bool, len(texts))
    return np.fromiter((v is None or v != v or (type(v) is str and (not v or v.isspace()))
                        for v in values), dtype=bool, count=len(values))


def segment(raw: pd.DataFrame, params: Parameters | None = None,
            row_labels: pd.Series | None = None,
            scales: Mapping[str, float] | None = None,
            years: Mapping[int, str] | None = None) -> SegmentResult:
    """Compute every output column for every customer row of ``raw``.

    ``years``: revenue year -> key of ``raw`` (``revenue``, ``revenue_prev``, ``revenue_y2021``
    ...); with three or more the customer history (:mod:`core.history`) adds its columns and
    risk texts.

    ``row_labels`` maps index -> what messages call a row (the sheet row number); the index is
    used when absent. Rows whose inputs are all blank are skipped (no output, no issue).
    ``scales``: the unit of an amount column (1000 for ``Umsatz in T€``), by field key.
    """
    params = params or Parameters()
    index = raw.index
    labels = row_labels if row_labels is not None else pd.Series(index, index=index)
    issues: list[Issue] = []
    values: dict[str, np.ndarray] = {}
    for key in NUMERIC_INPUTS:
        if key in raw:
            values[key], found = _numeric_values(raw[key], key, (scales or {}).get(key, 1.0))
            issues.extend(found)
        else:
            values[key] = np.full(len(index), np.nan)
    raw_ids = raw["customer_id"].to_numpy(dtype=object) if "customer_id" in raw else \
        np.full(len(index), None, dtype=object)
    ids = _ids(raw["customer_id"]) if "customer_id" in raw else raw_ids.copy()
    texts = {key: raw[key] if key in raw else pd.Series(None, index=index, dtype=object)
             for key in ("name", "territory")}
    name_blank = _blank(raw["name"]) if "name" in raw else None

    no_numbers = np.logical_and.reduce([np.isnan(v) for v in values.values()])
    empty = pd.isna(ids) & no_numbers & (name_blank if name_blank is not None else True)
    if issues and empty.any():
        empty &= ~index.isin({i.row for i in issues})
    if empty.any():  # all blank: no output, no issue
        keep = ~empty
        index, labels, raw_ids, ids = index[keep], labels[keep], raw_ids[keep], ids[keep]
        values = {key: v[keep] for key, v in values.items()}
        texts = {key: text[keep] for key, text in texts.items()}
        if name_blank is not None:
            name_blank = name_blank[keep]

    issues.extend(_check_rows(values, ids, raw_ids, index, labels, issues, name_blank))
    output = _apply_rules(values, params)
    if "code_override" in raw:
        chosen = raw["code_override"].to_numpy(dtype=object)
        if len(chosen) != len(index):
            chosen = raw["code_override"].reindex(index).to_numpy(dtype=object)
        found = _apply_overrides(output, chosen, values, params, index)
        issues.extend(found)
    if years and len(years) >= history.MIN_YEARS:
        issues.extend(_add_history(raw, years, values, output, index))
    output["notes"] = _notes(issues, index)
    inputs = {**values, "customer_id": ids}
    return SegmentResult(output=plain_frame(output, index),
                         inputs=plain_frame(inputs, index, texts), issues=issues)


def _add_history(raw: pd.DataFrame, years: Mapping[int, str], values: dict[str, np.ndarray],
                 output: dict[str, np.ndarray], index: pd.Index) -> list[Issue]:
    """The older revenue years parsed (as the revenue is), the history figures and risk added to
    ``output``; the issues of the older years' cells."""
    issues: list[Issue] = []
    by_year: dict[int, np.ndarray] = {}
    for year, key in years.items():
        if key in values:
            by_year[year] = values[key]
            continue
        column = raw[key] if len(raw) == len(index) else raw[key].reindex(index)
        parsed, found = _numeric_values(column, key)
        negative = parsed < 0
        found += [Issue(label, key, ERROR, f"negativer Betrag {german.amount(amount)} ist nicht zulässig")
                  for label, amount in zip(index[negative], parsed[negative].tolist())]
        parsed[negative] = np.nan
        issues.extend(found)
        by_year[year] = parsed
    growth, declining = history.history_figures(by_year)
    output["growth"], output["declining"] = growth, declining.astype(float)
    output["risk"] = history.joined_risk(output["risk"],
                                         history.history_risk(output["abc"], declining))
    return issues


def _check_rows(values: dict[str, np.ndarray], ids: np.ndarray, raw_ids: np.ndarray,
                index: pd.Index, labels: pd.Series, parse_issues: list[Issue],
                name_blank: np.ndarray | None) -> list[Issue]:
    """Domain checks on parsed values; invalid values are set to NaN in ``values``."""
    issues: list[Issue] = []
    missing = pd.isna(ids)
    for pos in np.flatnonzero(missing):
        cell = raw_ids[pos]
        msg = f"Fehlerwert {cell} statt Kunden-Nr" if isinstance(cell, CellError) else "fehlt"
        issues.append(Issue(index[pos], "customer_id", ERROR, msg))
    dup = ~missing & pd.Series(ids).duplicated(keep=False).to_numpy()
    if dup.any():
        groups: dict[str, list[Hashable]] = {}
        for pos in np.flatnonzero(dup):
            groups.setdefault(ids[pos], []).append(index[pos])
        for cid in sorted(groups):
            group = groups[cid]
            text = duplicate_text(cid, [labels[label] for label in group[:DUPLICATE_ROWS_SHOWN]],
                                  len(group))
            issues.extend(Issue(label, "customer_id", ERROR, text) for label in group)
    if name_blank is not None:
        issues.extend(Issue(label, "name", NOTE, "Kundenname fehlt") for label in index[name_blank])
    for key in ("revenue", "potential", "revenue_prev", "revenue_ytd"):
        column = values[key]
        negative = column < 0
        if negative.any():
            issues.extend(Issue(label, key, ERROR, f"negativer Betrag {german.amount(amount)} ist nicht "
                                                   "zulässig")
                          for label, amount in zip(index[negative], column[negative].tolist()))
            column[negative] = np.nan
    loyalty = values["loyalty"]
    out_of_range = (loyalty < 1) | (loyalty > 5)
    if out_of_range.any():
        issues.extend(Issue(label, "loyalty", ERROR, f"{german.number(grade, 2)} liegt außerhalb der Skala 1-5")
                      for label, grade in zip(index[out_of_range], loyalty[out_of_range].tolist()))
        loyalty[out_of_range] = np.nan

    revenue, potential = values["revenue"], values["potential"]
    had_error = {(i.row, i.field) for i in parse_issues + issues if i.severity == ERROR}
    # a blank revenue with a potential is a prospect: revenue 0
    revenue_errors = [row for row, key in had_error if key == "revenue"]
    prospect_blank = is_prospect(revenue, potential)
    if revenue_errors:
        prospect_blank &= ~index.isin(revenue_errors)
    revenue[prospect_blank] = 0.0
    issues.extend(Issue(label, "revenue", ERROR, "fehlt") for label in index[np.isnan(revenue)]
                  if (label, "revenue") not in had_error)
    no_potential = np.isnan(potential) | (potential == 0)
    for label, amount in zip(index[no_potential], potential[no_potential].tolist()):
        if (label, "potential") not in had_error:
            issues.append(Issue(label, "potential", ERROR, potential_error(amount)))
    over = (revenue > potential) & (potential > 0)
    for label, rev, pot in zip(index[over], revenue[over].tolist(), potential[over].tolist()):
        issues.append(Issue(label, "potential", NOTE,
                            f"Umsatz {german.amount(rev)} über Potenzial {german.amount(pot)}: Potenzial "
                            "unterschätzt, als Maintain gewertet"))
    return issues


_CODE_BY_TEXT = {code.replace("-", "").casefold(): code for code in CODES}


def override_code(raw: object) -> tuple[str | None, str | None]:
    """A rep's manual segment (``A-Win``, ``a win``, ``A–Win``) as its code, or an error."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None, None
    if isinstance(raw, CellError):
        return None, f"Fehlerwert {raw} statt eines Segments"
    text = str(raw).strip()
    if not text:
        return None, None
    key = "".join(ch for ch in text.casefold() if ch.isalnum())
    if key in _CODE_BY_TEXT:
        return _CODE_BY_TEXT[key], None
    return None, f"„{text}“ ist kein Segment (erlaubt: {', '.join(CODES)}); es gilt das berechnete"


def _apply_overrides(output: dict[str, np.ndarray], chosen: np.ndarray,
                     values: dict[str, np.ndarray], params: Parameters, index: pd.Index
                     ) -> list[Issue]:
    """A valid manual segment wins: class, potential class, code, channel, visits and risk of
    the row follow it (so distribution, plan and consolidation count it), reported as a note."""
    issues: list[Issue] = []
    manual = np.full(len(chosen), None, dtype=object)
    for pos in np.flatnonzero(~pd.isna(chosen)):
        code, error = override_code(chosen[pos])
        if error:
            issues.append(Issue(index[pos], "code_override", ERROR, error))
        elif code is not None:
            manual[pos] = code
            computed = output["code"][pos]
            shown = computed if isinstance(computed, str) else "keins"
            if code != computed:
                issues.append(Issue(index[pos], "code_override", NOTE,
                                    f"„{code}“ gilt statt berechnet „{shown}“"))
    has = manual != None  # noqa: E711
    if not has.any():
        return issues
    abc, pclass = output["abc"].copy(), output["potential_class"].copy()
    abc[has] = [c.split("-")[0] for c in manual[has]]
    pclass[has] = [c.split("-")[1] for c in manual[has]]
    effective = _apply_rules(values, params, abc, pclass)
    for key in ("abc", "potential_class", "code", "channel", "visits", "risk"):
        output[key] = np.where(has, effective[key], output[key])
    return issues


def _apply_rules(values: dict[str, np.ndarray], params: Parameters,
                 abc: np.ndarray | None = None, pclass: np.ndarray | None = None
                 ) -> dict[str, np.ndarray]:
    """The output columns (but the notes) in :data:`OUTPUT_KEYS` order; ``abc`` and ``pclass``
    given: these classes instead of the computed ones."""
    revenue, potential = values["revenue"], values["potential"]
    if abc is None:
        abc = rules.abc_class(revenue, params)
    with np.errstate(over="ignore"):  # a tiny potential under a huge revenue: inf, no warning
        if pclass is None:
            pclass = rules.potential_class(revenue, potential, params)
        share = rules.share_of_wallet(revenue, potential)
    code = rules.segment_code(abc, pclass)
    numeric_trend, trend = _trend(values, params)
    channel, visits, _contacts = rules.channel_plan(code, params)
    return {"trend": trend, "abc": abc, "share": share, "potential_class": pclass, "code": code,
            "channel": channel, "visits": visits,
            "risk": rules.risk_text(abc, numeric_trend, values["loyalty"], params)}


def _trend(values: dict[str, np.ndarray], params: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """The numeric trend (for the risk rule) and what the cell shows: the number where it is
    computable, "neu" / "Potenzialkunde" where a label says more."""
    revenue, prev, ytd = values["revenue"], values["revenue_prev"], values["revenue_ytd"]
    numeric = rules.revenue_trend(revenue, prev)
    if params.monate_lfd_jahr and not np.isnan(ytd).all():
        from_ytd = rules.projected_trend(revenue, ytd, params.monate_lfd_jahr)
        numeric = np.where(np.isnan(numeric), from_ytd, numeric)
    shown = numeric.astype(object)
    shown[(prev == 0) & (revenue > 0)] = "neu"
    shown[(revenue == 0) & (values["potential"] > 0) & ~(prev > 0)] = "Potenzialkunde"
    return numeric, shown


DUPLICATE_ROWS_SHOWN = 3
SHOWN_ID_LENGTH = 40


def duplicate_text(cid: str, first_rows: list[Hashable], count: int) -> str:
    """``K1 kommt 200-mal vor: Zeilen 5, 9, 14, … und 197 weitere`` (one text per number, the
    same for each of its rows: linear in the rows, short however often it occurs)."""
    shown = cid if len(cid) <= SHOWN_ID_LENGTH else cid[:SHOWN_ID_LENGTH] + "…"
    rows = ", ".join(map(str, first_rows))
    rest = count - len(first_rows)
    return f"{shown} kommt {count}-mal vor: Zeilen {rows}" + \
        (f", … und {rest} weitere" if rest > 0 else "")


MAX_NOTE = 32_767  # Excel's limit for one cell


def _clip(text: str) -> str:
    return text if len(text) <= MAX_NOTE else text[:MAX_NOTE - 1] + "…"


def _notes(issues: list[Issue], index: pd.Index) -> np.ndarray:
    by_row: dict[Hashable, list[Issue]] = {}
    for issue in issues:
        if issue.row is not None:
            by_row.setdefault(issue.row, []).append(issue)
    values = np.full(len(index), np.nan, dtype=object)
    if by_row:
        texts = [found[0].text() if len(found) == 1 else  # most rows have one issue
                 "; ".join(i.text() for i in sorted(found, key=lambda i: i.severity != ERROR))
                 for found in by_row.values()]
        if max(map(len, texts)) > MAX_NOTE:
            texts = [_clip(text) for text in texts]
        positions = index.get_indexer(list(by_row))
        found = positions >= 0
        values[positions[found]] = np.array(texts, dtype=object)[found]
    return values

