"""Recognising the customer table's columns by their header text (German, English, variants)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..core.columns import (EXTRA_INPUT_FIELDS, HISTORY_OUTPUT_FIELDS, HISTORY_PREFIX,
                            INPUT_FIELDS, OUTPUT_FIELDS)
from ..core.headings import REVENUE_WORDS, closeness, read_heading

_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("kundennr", "kundennummer", "kdnr", "kdnummer", "kundenid", "kunden", "knr",
                    "debitor", "debitornr", "debitorennr", "debitorennummer", "customerid",
                    "customerno", "customernumber", "custno", "accountid", "accountno",
                    "accountnumber", "nr", "id"),
    "name": ("kunde", "kundenname", "name", "name1", "firma", "firmenname", "unternehmen",
             "customer", "customername", "account", "accountname", "company"),
    "revenue": ("umsatzvorjahr", "umsatzvj", "vjumsatz", "vorjahresumsatz", "vorjahr",
                "umsatzletztesjahr", "jahresumsatz", "jahresumsatzvj",
                "umsatz", "nettoumsatzvorjahr", "revenuelastyear", "revenuepreviousyear",
                "revenueprioryear", "lastyearrevenue", "salesprioryear", "saleslastyear",
                "revenue", "sales"),
    "potential": ("potenzial", "potential", "kundenpotenzial", "kundenpotential", "gesamtpotenzial",
                  "gesamtpotential", "jahrespotenzial", "jahrespotential", "marktpotenzial",
                  "potenzialjahr", "customerpotential", "totalpotential", "walletsize"),
    "revenue_prev": ("umsatzvorvorjahr", "umsatzvvj", "vvjumsatz", "vorvorjahr", "umsatz2jahre",
                     "revenueyearbeforelast", "revenue2yearsago", "revenuetwoyearsago"),
    "revenue_ytd": ("umsatzlfdjahr", "umsatzlaufendesjahr", "umsatzakt", "umsatzaktuellesjahr",
                    "umsatzytd", "ytd", "revenueytd", "revenuecurrentyear", "salesytd"),
    "loyalty": ("verbundenheit", "kundenverbundenheit", "loyalitaet", "loyalty", "bindung",
                "kundenbindung", "beziehung", "relationship"),
    "code_override": ("segmentmanuell", "manuellessegment", "segmentvorgabe", "segmentfest",
                      "segmentoverride", "segmentmanual", "manualsegment", "segmentgesetzt"),
    "territory": ("gebiet", "vertriebsgebiet", "verkaufsgebiet", "region", "bezirk", "territory",
                  "salesterritory"),
    "orders": ("auftraegejahr", "auftraegeprojahr", "auftraegejejahr", "auftraege",
               "anzahlauftraege", "bestellungenjahr", "bestellungen", "ordersperyear", "orders"),
    "discount": ("rabatt", "kundenrabatt", "individuellerrabatt", "rabattprozent", "discount"),
    "postcode": ("plz", "postleitzahl", "plzort", "zip", "zipcode", "postcode", "postalcode"),
    "city": ("ort", "stadt", "city", "town", "standort", "firmensitz"),
}

_UNIT = re.compile(r"\((?:in\s*)?(?:eur|euro|€)\)|\[(?:eur|euro|€)\]|\bin\s*(?:eur|euro|€)$|€$")


def normalize(text: object) -> str:
    """Header text reduced to letters and digits: "Kd.-Nr." -> "kdnr", "Umsatz (EUR)" -> "umsatz"."""
    s = str(text or "").strip().casefold()
    s = _UNIT.sub("", s)
    s = s.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if ch.isalnum())


@dataclass(frozen=True)
class HeaderMatch:
    columns: dict[str, int]  # input key -> column index
    outputs: dict[str, int]  # output key -> column index
    duplicates: dict[str, list[int]]  # key -> all columns claiming it
    year_columns: dict[str, str]  # key -> header text, for "Umsatz 2025"-style headers
    output_columns: dict[str, list[int]] = field(default_factory=dict)  # every output header
    scales: dict[str, float] = field(default_factory=dict)  # key -> unit (T€ column: 1000)
    years: dict[int, str] = field(default_factory=dict)  # revenue years -> input key (history)


COMPUTED = "berechnet"  # what the header of a computed column beside the rep's own one adds
_COMPUTED_SUFFIX = re.compile(COMPUTED + r"\d*$")


def output_key(key_text: str, outputs: dict[str, str]) -> str | None:
    """The output field a normalised header names: ``abc`` or ``abcberechnet2`` -> ``abc``."""
    if key_text in outputs:
        return outputs[key_text]
    base = _COMPUTED_SUFFIX.sub("", key_text)
    return outputs.get(base) if base != key_text else None


def computed_header(text: str, taken: set[str]) -> str:
    """The header of the computed column beside a rep's own column ``text``:
    ``ABC (berechnet)``, or ``ABC (berechnet 2)`` when that is taken (normalised texts)."""
    for n in range(1, 100):
        candidate = f"{text} ({COMPUTED}{'' if n == 1 else f' {n}'})"
        if normalize(candidate) not in taken:
            return candidate
    raise ValueError(text)


_ALIAS_TO_KEY = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}
_GENERIC = {"umsatz", "revenue", "sales", "nr", "id", "name", "kunden", "vorjahr", "account",
            "jahresumsatz"}
_OUTPUT_TO_KEY = {normalize(f.header): f.key for f in OUTPUT_FIELDS + HISTORY_OUTPUT_FIELDS}
_CANONICAL = {normalize(f.header): f.key for f in INPUT_FIELDS + EXTRA_INPUT_FIELDS}


def history_key(year: int) -> str:
    """Input key of an older revenue year (beyond last year and the year before)."""
    return f"{HISTORY_PREFIX}{year}"


def match_headers(headers: dict[int, object], current_year: int,
                  mapping: dict[str, str] | None = None) -> HeaderMatch:
    """Assign header cells (column -> text) to fields.

    ``mapping`` (field key -> header text) comes from the workbook's ``Spaltenzuordnung`` sheet and
    wins over the built-in aliases. Year headers ("Umsatz 2025") are resolved against
    ``current_year``: the latest past year is last year's revenue, the one before it the year
    before, the current year is the running year.
    """
    claims: dict[str, list[tuple[int, int]]] = {}  # key -> [(rank, column)]
    outputs: dict[str, int] = {}
    output_columns: dict[str, list[int]] = {}
    years: dict[int, int] = {}
    scale_of: dict[int, float] = {}  # column -> unit of its amounts (T€: 1000)
    explicit = {normalize(v): k for k, v in (mapping or {}).items()}
    for col, text in sorted(headers.items()):
        exact = normalize(text)
        if not exact:
            continue
        heading = read_heading(text)
        scale_of[col] = heading.scale
        if exact in explicit:
            claims.setdefault(explicit[exact], []).append((0, col))
            continue
        out_key = output_key(exact, _OUTPUT_TO_KEY)
        if out_key is not None:
            outputs.setdefault(out_key, col)
            output_columns.setdefault(out_key, []).append(col)
            continue
        key_text = heading.key
        if heading.year is not None and key_text in REVENUE_WORDS:
            years[col] = heading.year
            continue
        key = _CANONICAL.get(exact) or _ALIAS_TO_KEY.get(exact) or _CANONICAL.get(key_text) \
            or _ALIAS_TO_KEY.get(key_text)
        if key and key not in (mapping or {}):
            # the plain header first, then one with qualifiers (netto, EUR, geschätzt), then a
            # generic word
            rank = 3 if key_text in _GENERIC else 1 if exact in _CANONICAL else 2
            claims.setdefault(key, []).append((rank, col))
    year_columns: dict[str, str] = {}
    past = sorted((y, c) for c, y in years.items() if y < current_year)
    for key, pos in (("revenue", -1), ("revenue_prev", -2)):
        if len(past) >= -pos and not any(r < 3 for r, _ in claims.get(key, [])):
            claims[key] = [(2, past[pos][1])]
            year_columns[key] = str(headers[past[pos][1]])
    year_keys: dict[int, str] = {}
    for key, pos in (("revenue", -1), ("revenue_prev", -2)):
        if key in year_columns:
            year_keys[past[pos][0]] = key
    if len(year_keys) == 2:  # older years beside them: the customer history
        for year, col in past[:-2]:
            year_keys[year] = history_key(year)
            claims.setdefault(history_key(year), []).append((2, col))
    for col, year in years.items():
        if year == current_year and "revenue_ytd" not in claims:
            claims["revenue_ytd"] = [(2, col)]
            year_columns["revenue_ytd"] = str(headers[col])
    # generic words ("umsatz", "nr", "id") yield to more specific headers of the same field
    columns: dict[str, int] = {}
    duplicates: dict[str, list[int]] = {}
    for key, found in claims.items():
        best = min(rank for rank, _ in found)
        cols = [col for rank, col in found if rank == best]
        columns[key] = cols[0]
        if len(cols) > 1:
            duplicates[key] = cols
    scales = {key: scale_of[col] for key, col in columns.items() if scale_of.get(col, 1.0) != 1.0}
    return HeaderMatch(columns=columns, outputs=outputs, duplicates=duplicates,
                       year_columns=year_columns, output_columns=output_columns, scales=scales,
                       years=year_keys if len(year_keys) > 2 else {})


def closest_header(headers: dict[int, object], match: HeaderMatch, key: str,
                   aliases: dict[str, tuple[str, ...]] | None = None) -> int | None:
    """The column whose header most looks like field ``key`` among those not assigned (for
    "meinten Sie …?"), or None when none comes close."""
    names = (aliases or _ALIASES).get(key, ()) + tuple(
        normalize(f.header) for f in INPUT_FIELDS + EXTRA_INPUT_FIELDS if f.key == key)
    used = set(match.columns.values()) | {c for cols in match.output_columns.values()
                                          for c in cols}
    best, best_score = None, 0.6
    for col, text in sorted(headers.items()):
        if col in used:
            continue
        found = read_heading(text).key
        score = max((closeness(found, name) for name in names), default=0.0)
        if score > best_score:
            best, best_score = col, score
    return best


def required_missing(match: HeaderMatch) -> list[str]:
    """German headers of required fields that were not found."""
    return [f.header for f in INPUT_FIELDS if f.required and f.key not in match.columns]
