"""Segment a customer table: parse raw cell values, apply the rules, collect German issues.

Input: a DataFrame with (some of) the keys of :data:`columns.INPUT_KEYS`, holding raw cell values
(floats, text, ``None``, :class:`numbers.CellError`, dates). Output: the output columns, the
parsed inputs and a list of issues, each tied to a row label and a field key so that adapters can
name the cell (``Kunden!D17``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Hashable, Iterable

import numpy as np
import pandas as pd

from . import rules
from .columns import NUMERIC_INPUTS, OUTPUT_KEYS, header
from .numbers import CellError, normalize_id, parse_number
from .params import Parameters

ERROR = "Fehler"
NOTE = "Hinweis"


@dataclass(frozen=True)
class Issue:
    """One problem with one row (or the whole table when ``row`` is None)."""

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
    def error_rows(self) -> set[Hashable]:
        return {i.row for i in self.issues if i.severity == ERROR and i.row is not None}

    @property
    def ok(self) -> bool:
        return not any(i.severity == ERROR for i in self.issues)


def parse_numeric(series: pd.Series, key: str) -> tuple[pd.Series, list[Issue]]:
    """Parse one numeric column; floats pass through vectorized, everything else cell by cell."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype(float)
        bad = ~np.isfinite(values.fillna(0.0))
        issues = [Issue(i, key, ERROR, "unendlicher Wert ist keine Zahl") for i in series.index[bad]]
        return values.where(~bad), issues
    issues: list[Issue] = []
    raws = series.to_numpy(dtype=object)
    plain = np.fromiter((type(v) is float or v is None for v in raws), dtype=bool,
                        count=len(raws))
    out = np.full(len(raws), np.nan)
    floats = raws[plain]
    out[plain] = np.where(floats == None, np.nan, floats).astype(float)  # noqa: E711
    labels = series.index
    for pos in np.flatnonzero(~plain):  # text, dates, error values: few, cell by cell
        label, raw = labels[pos], raws[pos]
        value, error = parse_number(raw)
        if error:
            issues.append(Issue(label, key, ERROR, error))
        elif value is not None:
            out[pos] = value
            if isinstance(raw, str):
                issues.append(Issue(label, key, NOTE, f'Zahl als Text "{raw.strip()}" übernommen'))
    issues.extend(Issue(labels[pos], key, ERROR, "unendlicher Wert ist keine Zahl")
                  for pos in np.flatnonzero(np.isinf(out)))
    out[np.isinf(out)] = np.nan
    return pd.Series(out, index=series.index), issues


def _ids(series: pd.Series) -> pd.Series:
    """Customer numbers as text (None when blank), vectorized for integral float columns."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        present = series.dropna()
        if (present == np.floor(present)).all():
            text = np.array(list(map(str, series.fillna(0).to_numpy(dtype=np.int64).tolist())),
                            dtype=object)
            text[series.isna().to_numpy()] = None
            return pd.Series(text, index=series.index, dtype=object)
    return series.map(normalize_id).astype(object)


def _blank(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series.isna()
    values = series.to_numpy(dtype=object)
    # None, NaN, "" and whitespace-only text (checked only where the text starts with a space)
    blank = np.fromiter((v is None or v != v or (type(v) is str and (
        not v or (v[0].isspace() and not v.strip()))) for v in values),
        dtype=bool, count=len(values))
    return pd.Series(blank, index=series.index)


def segment(raw: pd.DataFrame, params: Parameters | None = None,
            row_labels: pd.Series | None = None) -> SegmentResult:
    """Compute every output column for every customer row of ``raw``.

    ``row_labels`` maps index -> what messages call a row (the sheet row number); the index is
    used when absent. Rows whose inputs are all blank are skipped (no output, no issue).
    """
    params = params or Parameters()
    labels = row_labels if row_labels is not None else pd.Series(raw.index, index=raw.index)
    issues: list[Issue] = []
    frame = pd.DataFrame(index=raw.index)
    for key in NUMERIC_INPUTS:
        if key in raw:
            frame[key], found = parse_numeric(raw[key], key)
            issues.extend(found)
        else:
            frame[key] = np.nan
    ids = _ids(raw["customer_id"]) if "customer_id" in raw else pd.Series(None, index=raw.index,
                                                                           dtype=object)
    frame["customer_id"] = ids
    frame["name"] = raw["name"] if "name" in raw else None
    frame["territory"] = raw["territory"] if "territory" in raw else None

    name_blank = _blank(raw["name"]) if "name" in raw else pd.Series(True, index=raw.index)
    empty = ids.isna() & frame[list(NUMERIC_INPUTS)].isna().all(axis=1) & name_blank
    bad_rows = {i.row for i in issues}
    empty &= ~raw.index.isin(bad_rows)
    if empty.any():
        frame, labels, raw, name_blank = frame[~empty], labels[~empty], raw[~empty], \
            name_blank[~empty]
        issues = [i for i in issues if i.row in frame.index]

    issues.extend(_check_rows(frame, raw, labels, issues, name_blank if "name" in raw else None))
    output = _apply_rules(frame, params)
    output["notes"] = _notes(issues, frame.index)
    return SegmentResult(output=output[list(OUTPUT_KEYS)], inputs=frame, issues=issues)


def _check_rows(frame: pd.DataFrame, raw: pd.DataFrame, labels: pd.Series,
                parse_issues: list[Issue], name_blank: pd.Series | None) -> Iterable[Issue]:
    """Domain checks on parsed values; invalid values are set to NaN in ``frame``."""
    issues: list[Issue] = []
    ids = frame["customer_id"]
    for label in frame.index[ids.isna()]:
        cell = raw.at[label, "customer_id"] if "customer_id" in raw else None
        msg = f"Fehlerwert {cell} statt Kunden-Nr" if isinstance(cell, CellError) else "fehlt"
        issues.append(Issue(label, "customer_id", ERROR, msg))
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        for cid, group in ids[dup].groupby(ids[dup]):
            for label in group.index:
                others = ", ".join(str(labels[o]) for o in group.index if o != label)
                issues.append(Issue(label, "customer_id", ERROR,
                                    f"{cid} kommt mehrfach vor (auch Zeile {others})"))
    if name_blank is not None:
        for label in frame.index[name_blank.to_numpy()]:
            issues.append(Issue(label, "name", NOTE, "Kundenname fehlt"))
    for key in ("revenue", "potential", "revenue_prev", "revenue_ytd"):
        negative = frame[key] < 0
        for label in frame.index[negative]:
            issues.append(Issue(label, key, ERROR, f"negativer Betrag {_eur(frame.at[label, key])} "
                                                   "ist nicht zulässig"))
        frame.loc[negative, key] = np.nan
    loyalty = frame["loyalty"]
    out_of_range = loyalty.notna() & ((loyalty < 1) | (loyalty > 5))
    for label in frame.index[out_of_range]:
        issues.append(Issue(label, "loyalty", ERROR,
                            f"{loyalty[label]:g} liegt außerhalb der Skala 1-5"))
    frame.loc[out_of_range, "loyalty"] = np.nan

    revenue, potential = frame["revenue"], frame["potential"]
    had_error = {(i.row, i.field) for i in parse_issues + issues if i.severity == ERROR}
    # a blank revenue with a potential is a prospect: revenue 0
    bad_revenue = frame.index.isin([row for row, key in had_error if key == "revenue"])
    prospect_blank = revenue.isna() & potential.gt(0) & ~bad_revenue
    frame.loc[prospect_blank, "revenue"] = 0.0
    for label in frame.index[frame["revenue"].isna()]:
        if (label, "revenue") not in had_error:
            issues.append(Issue(label, "revenue", ERROR, "fehlt"))
    for label in frame.index[potential.isna() | (potential == 0)]:
        if (label, "potential") in had_error:
            continue
        msg = "fehlt (wird nicht geschätzt)" if pd.isna(potential[label]) else \
            "ist 0: bitte Potenzial schätzen"
        issues.append(Issue(label, "potential", ERROR, msg))
    over = (frame["revenue"] > potential) & (potential > 0)
    for label, rev, pot in zip(frame.index[over], frame["revenue"][over], potential[over]):
        issues.append(Issue(label, "potential", NOTE,
                            f"Umsatz {_eur(rev)} über Potenzial {_eur(pot)}: Potenzial "
                            "unterschätzt, als Maintain gewertet"))
    return issues


def _apply_rules(frame: pd.DataFrame, params: Parameters) -> pd.DataFrame:
    revenue, potential = frame["revenue"], frame["potential"]
    abc = rules.abc_class(revenue, params)
    pclass = rules.potential_class(revenue, potential, params)
    code = rules.segment_code(abc, pclass)
    numeric_trend, trend = _trend(frame, params)
    channel, visits, _contacts = rules.channel_plan(code, params)
    return pd.DataFrame({
        "trend": trend,
        "abc": abc,
        "share": rules.share_of_wallet(revenue, potential),
        "potential_class": pclass,
        "code": code,
        "channel": channel,
        "visits": visits,
        "risk": rules.risk_text(abc, numeric_trend, frame["loyalty"], params),
    }, index=frame.index)


def _trend(frame: pd.DataFrame, params: Parameters) -> tuple[pd.Series, pd.Series]:
    """The numeric trend (for the risk rule) and what the cell shows: the number where it is
    computable, "neu" / "Potenzialkunde" where a label says more."""
    revenue, prev, ytd = frame["revenue"], frame["revenue_prev"], frame["revenue_ytd"]
    numeric = rules.revenue_trend(revenue, prev)
    if ytd.notna().any() and params.monate_lfd_jahr:
        from_ytd = rules.projected_trend(revenue, ytd, params.monate_lfd_jahr)
        numeric = numeric.where(numeric.notna(), from_ytd)
    shown = numeric.astype(object)
    new = ((prev == 0) & (revenue > 0)).to_numpy()
    prospect = ((revenue == 0) & (frame["potential"] > 0) & ~(prev > 0)).to_numpy()
    if new.any() or prospect.any():
        values = shown.to_numpy(copy=True)
        values[new] = "neu"
        values[prospect] = "Potenzialkunde"
        shown = pd.Series(values, index=shown.index, dtype=object)
    return numeric, shown


def _notes(issues: list[Issue], index: pd.Index) -> pd.Series:
    by_row: dict[Hashable, list[Issue]] = {}
    for issue in issues:
        if issue.row is not None:
            by_row.setdefault(issue.row, []).append(issue)
    values = np.full(len(index), np.nan, dtype=object)
    if by_row:
        texts = ["; ".join(i.text() for i in sorted(found, key=lambda i: i.severity != ERROR))
                 for found in by_row.values()]
        positions = index.get_indexer(list(by_row))
        found = positions >= 0
        values[positions[found]] = np.array(texts, dtype=object)[found]
    return pd.Series(values, index=index, dtype=object)


_GERMAN_SEPARATORS = str.maketrans(",.", ".,")


@lru_cache(maxsize=4096)  # amounts repeat (potentials are estimates in round figures)
def _eur(value: float) -> str:
    text = f"{value:,.2f}".translate(_GERMAN_SEPARATORS)
    return (text[:-3] if text.endswith(",00") else text) + " €"
