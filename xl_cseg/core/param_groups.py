"""Who owns which parameter: the controller's central groups and the values each rep keeps.

Every parameter (scalar, channel-matrix cell, status probability) belongs to exactly one group.
Central groups (cost inputs, thresholds, channel matrix, probabilities, ...) are the controller's
and are distributed by ``params push``; rep-owned groups (target, absence days, customer days per
week, ...) are the territory's own and are only written when the controller names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .params import CODES, SPECS, channel_names
from .pipeline import STATUSES

CENTRAL, REP = "zentral", "Gebiet"


@dataclass(frozen=True)
class ParamGroup:
    name: str  # what a user types after --nur / --auch
    owner: str  # CENTRAL or REP
    label: str  # German description
    names: tuple[str, ...]  # defined names of the group's cells


def _specs(*keys: str) -> tuple[str, ...]:
    by_key = {s.key: s.name for s in SPECS}
    return tuple(by_key[k] for k in keys)


GROUPS: tuple[ParamGroup, ...] = (
    ParamGroup("Kosten", CENTRAL, "Kosten je Besuch, Besuchsfrequenzen, max. Kostenanteil",
               _specs("kosten_je_besuch", "ad_kosten_jahr", "ad_besuche_jahr", "besuche_a",
                      "besuche_b", "max_kostenanteil", "is_kosten_jahr")),
    ParamGroup("ABC", CENTRAL, "ABC-Methode und Pareto-Anteile",
               _specs("abc_methode", "pareto_a", "pareto_b")),
    ParamGroup("Potenzial", CENTRAL, "Potenzialgrenzen Win/Maintain, Mindestpotenzial",
               _specs("grenze_win", "grenze_maintain", "min_offenes_potenzial")),
    ParamGroup("Risiko", CENTRAL, "Risikoregeln",
               _specs("risiko_rueckgang", "risiko_verbundenheit", "tage_ohne_kontakt")),
    ParamGroup("Planung", CENTRAL, "Planungsregeln (Wachstumsziel, Verlustquote, Überplanung)",
               _specs("ziel_wachstum", "sicher_verbundenheit", "verlustquote_risiko",
                      "ueberplanung", "tage_ohne_aktivitaet")),
    ParamGroup("Kapazität", CENTRAL, "Arbeitstage, Inside-Sales-Leistung",
               _specs("arbeitstage", "is_kunden_tag")),
    ParamGroup("Preise", CENTRAL, "Kosten je Auftrag, Mindestbestellwert, Pauschale",
               _specs("kosten_je_auftrag", "mindestbestellwert", "pauschale")),
    ParamGroup("Kanalmatrix", CENTRAL, "Kanal, Besuche und Kontakte je Segment",
               tuple(name for code in CODES for name in channel_names(code))),
    ParamGroup("Wahrscheinlichkeiten", CENTRAL, "Wahrscheinlichkeit je Maßnahmen-Status",
               tuple(s.name for s in STATUSES)),
    ParamGroup("Ziel", REP, "Umsatzziel absolut des Gebiets", _specs("ziel_umsatz")),
    ParamGroup("Abwesenheit", REP, "Urlaub, Krankheit, Messen, interne Tage",
               _specs("urlaub", "krankheit", "messen", "interne_tage")),
    ParamGroup("Kundentage", REP, "Kundentage je Woche, Besuche je Kundentag, Reservezeit, "
               "Bundesland",
               _specs("kundentage_woche", "besuche_tag", "reserve_anteil", "bundesland")),
    ParamGroup("Daten", REP, "Monate im laufenden Jahr erfasst", _specs("monate_lfd_jahr")),
)

GROUP_OF: dict[str, ParamGroup] = {n.casefold(): g for g in GROUPS for n in g.names}
ALL_NAMES: tuple[str, ...] = tuple(n for g in GROUPS for n in g.names)
CENTRAL_NAMES: frozenset[str] = frozenset(n.casefold() for g in GROUPS if g.owner == CENTRAL
                                          for n in g.names)


class SelectionError(ValueError):
    """A group or parameter name that does not exist (German message)."""


def group_of(name: str) -> ParamGroup | None:
    return GROUP_OF.get(name.casefold())


def is_central(name: str) -> bool:
    return name.casefold() in CENTRAL_NAMES


def _resolve(word: str) -> tuple[str, ...]:
    """A group name or a parameter's defined name -> the defined names it stands for."""
    text = word.strip().casefold()
    for group in GROUPS:
        if group.name.casefold() == text:
            return group.names
    if text in GROUP_OF:
        return (next(n for n in ALL_NAMES if n.casefold() == text),)
    if text in ("alle", "alles"):
        return ALL_NAMES
    known = ", ".join(g.name for g in GROUPS)
    raise SelectionError(f"„{word}“ ist weder eine Parametergruppe ({known}) noch ein "
                         "Parametername (z. B. Ziel_Umsatz)")


def selected_names(only: Iterable[str] = (), also: Iterable[str] = ()) -> frozenset[str]:
    """Casefolded defined names to write: the central groups (or only the groups / names in
    ``only``), plus everything named in ``also``. A rep-owned value is never selected unless
    it is named in ``only`` or ``also``."""
    only, also = list(only), list(also)
    base = [n for w in only for n in _resolve(w)] if only else \
        [n for g in GROUPS if g.owner == CENTRAL for n in g.names]
    return frozenset(n.casefold() for n in [*base, *(n for w in also for n in _resolve(w))])


def merged_values(central: dict[str, object], own: dict[str, object],
                  own_present: Iterable[str]) -> dict[str, object]:
    """Values keyed by defined name for a rep's run with a central parameter workbook: central
    groups from ``central``; rep-owned values from the rep's workbook where it defines them
    (``own_present``), else from ``central``."""
    present = {n.casefold() for n in own_present}
    own_by = {str(k).casefold(): v for k, v in own.items()}
    out: dict[str, object] = {}
    for name, value in central.items():
        key = str(name).casefold()
        if not is_central(key) and key in present and key in own_by:
            out[name] = own_by[key]
        else:
            out[name] = value
    return out
