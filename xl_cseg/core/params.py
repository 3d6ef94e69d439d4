"""Controller inputs: names, German labels, units, defaults and validation.

Every scalar parameter is described once by a :class:`ParamSpec`; the workbook builder, the
workbook reader (defined names), the UDFs and the CLI all use the same list. The channel matrix
(channel, field visits and inside-sales contacts per segment code) is a parameter table of its own.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, make_dataclass, replace
from typing import Any, Mapping

from . import german
from .holidays import NATIONWIDE, STATES
from .numbers import parse_number, percent_points

ABC_CLASSES = ("A", "B", "C")
POTENTIAL_CLASSES = ("Win", "Grow", "Maintain")
CODES = tuple(f"{a}-{p}" for a in ABC_CLASSES for p in POTENTIAL_CLASSES)

ABC_METHODS = ("absolut", "pareto")


@dataclass(frozen=True)
class ParamSpec:
    """One controller input as the workbook shows it."""

    key: str
    name: str  # workbook-level defined name
    label: str
    unit: str
    default: float | str | None
    help: str
    group: str
    kind: str = "number"  # number | percent | integer | choice
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False
    synonyms: tuple[tuple[str, str], ...] = ()  # (casefolded text, choice) a choice accepts


SPECS: tuple[ParamSpec, ...] = (
    # Kosten und Schwellen
    ParamSpec("kosten_je_besuch", "Kosten_je_Besuch", "Kosten je Außendienstbesuch", "EUR", 350.0,
              "Vollkosten eines Kundenbesuchs im Außendienst (vom Controlling).", "Kosten",
              minimum=0.01),
    ParamSpec("ad_kosten_jahr", "AD_Kosten_Jahr", "Außendienstkosten je Mitarbeiter und Jahr", "EUR",
              None, "Optional: wenn mit Besuchen je Mitarbeiter gefüllt, ergibt sich daraus der "
              "Besuchskostensatz.", "Kosten", minimum=0.01, optional=True),
    ParamSpec("ad_besuche_jahr", "AD_Besuche_Jahr", "Besuche je Außendienstmitarbeiter und Jahr",
              "Besuche", None, "Optional: Nenner für den abgeleiteten Besuchskostensatz.", "Kosten",
              minimum=1, optional=True),
    ParamSpec("besuche_a", "Besuche_A", "Besuche pro Jahr für A-Kunden", "Besuche/Jahr", 12.0,
              "Besuchsfrequenz, die ein A-Kunde tragen muss.", "Kosten", minimum=0.01),
    ParamSpec("besuche_b", "Besuche_B", "Besuche pro Jahr für B-Kunden", "Besuche/Jahr", 4.0,
              "Besuchsfrequenz, die ein B-Kunde tragen muss (Faustformel: 4).", "Kosten",
              minimum=0.01),
    ParamSpec("max_kostenanteil", "Max_Vertriebskostenanteil", "Maximaler Vertriebskostenanteil",
              "%", 0.10, "Höchster Anteil der Vertriebskosten am Kundenumsatz.", "Kosten",
              kind="percent", minimum=0.0001, maximum=1.0),
    # ABC
    ParamSpec("abc_methode", "ABC_Methode", "ABC-Methode", "", "absolut",
              "absolut = Umsatzschwellen aus der Faustformel; pareto = kumulierte Umsatzanteile.",
              "ABC", kind="choice", choices=ABC_METHODS),
    ParamSpec("pareto_a", "Pareto_A", "Pareto: Umsatzanteil A-Kunden", "%", 0.80,
              "Die größten Kunden, die zusammen diesen Umsatzanteil bringen, sind A-Kunden.", "ABC",
              kind="percent", minimum=0.01, maximum=0.99),
    ParamSpec("pareto_b", "Pareto_B", "Pareto: Umsatzanteil B-Kunden", "%", 0.15,
              "Die nächsten Kunden bis zu diesem weiteren Anteil sind B-Kunden; der Rest ist C.",
              "ABC", kind="percent", minimum=0.0, maximum=0.99),
    # Potenzial
    ParamSpec("grenze_win", "Grenze_Win", "Ausschöpfung unter … = Win", "%", 0.30,
              "Unter diesem Anteil am Kundenpotenzial kauft der Kunde meist beim Wettbewerb.",
              "Potenzial", kind="percent", minimum=0.0, maximum=1.0),
    ParamSpec("grenze_maintain", "Grenze_Maintain", "Ausschöpfung ab … = Maintain", "%", 0.70,
              "Ab diesem Anteil ist kaum Potenzial übrig: halten und nicht verlieren.",
              "Potenzial", kind="percent", minimum=0.0, maximum=1.0),
    ParamSpec("min_offenes_potenzial", "Mindest_offenes_Potenzial", "Mindestbetrag offenes Potenzial",
              "EUR", 3500.0, "Weniger offenes Potenzial lohnt keinen Ausbau (Maintain); "
              "3.500 EUR tragen einen Besuch mehr pro Jahr.", "Potenzial", minimum=0.0),
    # Risiko und Entwicklung
    ParamSpec("risiko_rueckgang", "Risiko_Umsatzrueckgang", "Risiko ab Umsatzrückgang von", "%",
              0.05, "A/B-Kunden, deren Umsatz stärker fällt, gelten als gefährdet.", "Risiko",
              kind="percent", minimum=0.0, maximum=1.0),
    ParamSpec("risiko_verbundenheit", "Risiko_Verbundenheit", "Risiko bei Verbundenheit bis",
              "1-5", 2.0, "A/B-Kunden mit dieser oder geringerer Verbundenheit gelten als gefährdet.",
              "Risiko", kind="integer", minimum=1, maximum=5),
    ParamSpec("monate_lfd_jahr", "Monate_lfd_Jahr", "Monate im laufenden Jahr erfasst", "Monate",
              None, "Nur für „Umsatz lfd. Jahr“: Hochrechnung auf 12 Monate. Leer = bis Vormonat.",
              "Risiko", kind="integer", minimum=1, maximum=12, optional=True),
    # Planung
    ParamSpec("ziel_wachstum", "Ziel_Wachstum", "Umsatzziel: Wachstum gegenüber Vorjahr", "%",
              0.10, "Gilt, wenn kein absolutes Umsatzziel eingetragen ist.", "Planung",
              kind="percent", minimum=-1.0, maximum=10.0),
    ParamSpec("ziel_umsatz", "Ziel_Umsatz", "Umsatzziel absolut", "EUR", None,
              "Optional: festes Ziel für das nächste Jahr (z. B. 600.000).", "Planung",
              minimum=0.0, optional=True),
    ParamSpec("sicher_verbundenheit", "Sicher_Verbundenheit", "Gesichert ab Verbundenheit", "1-5",
              4.0, "Maintain-Kunden mit mindestens dieser Verbundenheit gelten als gesicherte Basis.",
              "Planung", kind="integer", minimum=1, maximum=5),
    ParamSpec("verlustquote_risiko", "Verlustquote_Risiko", "Erwarteter Verlust bei Risikokunden",
              "%", 0.25, "Anteil des Umsatzes gefährdeter Kunden, der voraussichtlich wegfällt.",
              "Planung", kind="percent", minimum=0.0, maximum=1.0),
    ParamSpec("ueberplanung", "Ueberplanungsfaktor", "Überplanungsfaktor", "x", 2.0,
              "Ungewichtete Pipeline soll die Lücke so oft abdecken: nicht jedes Projekt gelingt.",
              "Planung", minimum=1.0, maximum=20.0),
    ParamSpec("tage_ohne_aktivitaet", "Tage_ohne_Aktivitaet", "Maßnahme veraltet nach", "Tage",
              60.0, "Offene Maßnahmen ohne Aktivität seit so vielen Tagen gelten als veraltet.",
              "Planung", kind="integer", minimum=1, maximum=3650),
    # Kapazität
    ParamSpec("arbeitstage", "Arbeitstage", "Arbeitstage pro Jahr", "Tage", 220.0,
              "Werktage abzüglich Wochenenden und Feiertage.", "Kapazität", kind="integer",
              minimum=1, maximum=366),
    ParamSpec("urlaub", "Urlaubstage", "Urlaub", "Tage", 30.0, "Urlaubstage pro Jahr.", "Kapazität",
              kind="integer", minimum=0, maximum=366),
    ParamSpec("krankheit", "Krankheitstage", "Krankheit", "Tage", 8.0,
              "Erfahrungswert Krankheitstage pro Jahr.", "Kapazität", kind="integer", minimum=0,
              maximum=366),
    ParamSpec("messen", "Messetage", "Messen", "Tage", 5.0, "Messetage inkl. Auf- und Abbau.",
              "Kapazität", kind="integer", minimum=0, maximum=366),
    ParamSpec("interne_tage", "Interne_Tage", "Interne Termine und Schulungen", "Tage", 12.0,
              "Tagungen, Weiterbildung, Anreise zu internen Veranstaltungen.", "Kapazität",
              kind="integer", minimum=0, maximum=366),
    ParamSpec("kundentage_woche", "Kundentage_je_Woche", "Kundentage pro Woche", "Tage", 3.5,
              "Tage pro Woche, die tatsächlich beim Kunden verbracht werden (3-4).", "Kapazität",
              minimum=0.5, maximum=5.0),
    ParamSpec("besuche_tag", "Besuche_je_Kundentag", "Besuche je Kundentag", "Besuche", 3.0,
              "Realistische Anzahl Kundenbesuche an einem Kundentag.", "Kapazität", minimum=0.1,
              maximum=20.0),
    ParamSpec("reserve_anteil", "Reserve_Anteil", "Reservezeit je Woche", "%", 0.20,
              "Anteil der Besuchstermine einer Woche, der im Besuchsplan frei bleibt "
              "(Unvorhergesehenes, kurzfristige Angebote, Kundenanfragen).", "Kapazität",
              kind="percent", minimum=0.0, maximum=0.9),
    ParamSpec("bundesland", "Bundesland", "Bundesland (Feiertage)", "", NATIONWIDE,
              "Feiertage dieses Bundeslands bleiben im Besuchsplan frei: " + ", ".join(STATES)
              + " oder bundesweit (nur die bundesweiten Feiertage).", "Kapazität",
              kind="choice", choices=(NATIONWIDE, *STATES),
              synonyms=(*((name.casefold(), code) for code, name in STATES.items()),
                        ("nrw", "NW"), ("deutschland", NATIONWIDE))),
    ParamSpec("is_kunden_tag", "IS_Kunden_je_Tag", "Inside Sales: Kunden je Tag", "Kunden", 12.0,
              "Ein geschulter Inside-Sales-Mitarbeiter bearbeitet 10-15 C-Kunden am Tag.",
              "Kapazität", minimum=1.0, maximum=100.0),
    ParamSpec("is_kosten_jahr", "IS_Kosten_Jahr", "Inside Sales: Kosten je Mitarbeiter und Jahr",
              "EUR", 65000.0, "Vollkosten einer Inside-Sales-Stelle (für den Kostenvergleich).",
              "Kapazität", minimum=0.0),
    # Preise und Betreuungskosten (C-Kunden-Preispolitik)
    ParamSpec("kosten_je_auftrag", "Kosten_je_Auftrag", "Prozesskosten je Auftrag", "EUR", 40.0,
              "Innendienst-, Kommissionier- und Versandkosten eines Auftrags (vom Controlling).",
              "Preise", minimum=0.0),
    ParamSpec("mindestbestellwert", "Mindestbestellwert", "Mindestbestellwert", "EUR", 250.0,
              "Darunter wird die Bearbeitungspauschale berechnet; 0 = kein Mindestbestellwert.",
              "Preise", minimum=0.0),
    ParamSpec("pauschale", "Bearbeitungspauschale", "Bearbeitungs- oder Versandpauschale", "EUR",
              15.0, "Je Auftrag unter dem Mindestbestellwert berechnet.", "Preise", minimum=0.0),
    # Ansprechpartner (Entscheider beim Kunden)
    ParamSpec("tage_ohne_kontakt", "Tage_ohne_Kontakt", "Risiko: kein Kontakt seit mehr als",
              "Tage", 180.0, "A/B-Kunden, deren aktive Ansprechpartner so lange nicht "
              "kontaktiert wurden, gelten als gefährdet (Blatt „Ansprechpartner“).",
              "Ansprechpartner", kind="integer", minimum=1, maximum=3650),
)

SPEC_BY_KEY: dict[str, ParamSpec] = {s.key: s for s in SPECS}
SPEC_BY_NAME: dict[str, ParamSpec] = {s.name.casefold(): s for s in SPECS}


@dataclass(frozen=True)
class ChannelRule:
    """Recommended treatment of one segment code."""

    channel: str
    visits: float  # field visits per year
    contacts: float  # inside-sales contacts per year


DEFAULT_CHANNELS: dict[str, ChannelRule] = {
    "A-Win": ChannelRule("Außendienst", 12, 0),
    "A-Grow": ChannelRule("Außendienst", 12, 0),
    "A-Maintain": ChannelRule("Außendienst", 12, 0),
    "B-Win": ChannelRule("Außendienst", 6, 0),
    "B-Grow": ChannelRule("Außendienst", 4, 0),
    "B-Maintain": ChannelRule("Hybrid (Außendienst + Inside Sales)", 2, 6),
    "C-Win": ChannelRule("Hybrid (Außendienst + Inside Sales)", 2, 12),
    "C-Grow": ChannelRule("Inside Sales", 0, 12),
    "C-Maintain": ChannelRule("Inside Sales / Webshop", 0, 6),
}


def channel_names(code: str) -> tuple[str, str, str]:
    """Defined names of the channel-matrix cells of one code (channel, visits, contacts)."""
    suffix = code.replace("-", "_")
    return f"Kanal_{suffix}", f"Besuche_{suffix}", f"Kontakte_{suffix}"


@dataclass(frozen=True)
class ParamIssue:
    """A parameter value that was rejected or corrected (German message)."""

    name: str
    message: str


class _Derived:
    """What :class:`Parameters` computes from its values (a base class: the fields come from
    :data:`SPECS`)."""

    __slots__ = ()

    @property
    def cost_per_visit(self) -> float:
        """Cost of one field visit: explicit, or yearly cost per rep / visits per rep."""
        if self.ad_kosten_jahr and self.ad_besuche_jahr:
            return self.ad_kosten_jahr / self.ad_besuche_jahr
        return self.kosten_je_besuch

    @property
    def c_threshold(self) -> float:
        """The C-customer threshold: the revenue a customer needs to carry the B visit
        frequency (below it a customer is C)."""
        return revenue_threshold(self.besuche_b, self.cost_per_visit, self.max_kostenanteil)

    @property
    def a_threshold(self) -> float:
        """Revenue a customer needs to carry the A visit frequency."""
        return revenue_threshold(self.besuche_a, self.cost_per_visit, self.max_kostenanteil)

    def with_values(self, **values: Any) -> "Parameters":
        return replace(self, **values)

    def as_names(self) -> dict[str, Any]:
        """Values keyed by defined name (scalars and the channel matrix)."""
        out: dict[str, Any] = {s.name: getattr(self, s.key) for s in SPECS}
        for code, rule in self.kanalmatrix.items():
            n_channel, n_visits, n_contacts = channel_names(code)
            out[n_channel], out[n_visits], out[n_contacts] = rule.channel, rule.visits, rule.contacts
        return out


def _field_type(spec: ParamSpec) -> Any:
    kind = str if spec.kind == "choice" else float
    return kind | None if spec.optional else kind


# All controller inputs, one field per spec with the spec's default (the method's seed
# figures), and the channel matrix. Written as ``Parameters(besuche_b=4.0, ...)``.
Parameters = make_dataclass(
    "Parameters",
    [(s.key, _field_type(s), field(default=s.default)) for s in SPECS]
    + [("kanalmatrix", Mapping[str, ChannelRule],
        field(default_factory=lambda: dict(DEFAULT_CHANNELS)))],
    bases=(_Derived,), frozen=True,
    namespace={"__module__": __name__,
               "__doc__": "All controller inputs; defaults from :data:`SPECS` (seed figures)."})


def with_month_default(params: Parameters, today: _dt.date) -> Parameters:
    """``monate_lfd_jahr`` left blank: the current year counts as recorded up to last month
    (in January: one month)."""
    if params.monate_lfd_jahr is not None:
        return params
    return params.with_values(monate_lfd_jahr=float(max(today.month - 1, 1)))


def revenue_threshold(visits_per_year: float, cost_per_visit: float, max_cost_share: float) -> float:
    """Rule of thumb: yearly field-sales cost of a customer / highest acceptable cost share.

    4 visits x 350 EUR / 10 % = 14,000 EUR. Computed as (visits x cost) / share with the share
    given as a fraction; rounded to cents so that binary fractions do not leak into thresholds.
    """
    return round(visits_per_year * cost_per_visit / max_cost_share, 2)



def _coerce(spec: ParamSpec, raw: Any) -> tuple[Any, str | None]:
    """Convert one raw value; return (value, German error or None)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if spec.optional:
            return None, None
        return spec.default, f"leer, Standardwert {format_value(spec, spec.default)} verwendet"
    if spec.kind == "choice":
        text = str(raw).strip().casefold()
        for choice in spec.choices:
            if text == choice.casefold():
                return choice, None
        synonym = dict(spec.synonyms).get(text)
        if synonym is not None:
            return synonym, None
        allowed = ", ".join(spec.choices)
        return spec.default, f'„{raw}“ ist keine gültige Auswahl ({allowed}); ' \
                             f"Standardwert {spec.default} verwendet"


    value, error = parse_number(raw)
    if error:
        return spec.default, f"{error}; Standardwert {format_value(spec, spec.default)} verwendet"
    if spec.kind == "percent" and value is not None and (spec.maximum or 1) <= 1:
        value = percent_points(value)
    if spec.minimum is not None and value < spec.minimum or \
            spec.maximum is not None and value > spec.maximum:
        lo = format_value(spec, spec.minimum) if spec.minimum is not None else "-∞"
        hi = format_value(spec, spec.maximum) if spec.maximum is not None else "∞"
        return spec.default, (f"{format_value(spec, value)} liegt außerhalb {lo} bis {hi}; "
                              f"Standardwert {format_value(spec, spec.default)} verwendet")
    if spec.kind == "integer" and value != int(value):
        return spec.default, f"{german.number(value, 4)} ist keine ganze Zahl; Standardwert verwendet"
    return value, None


def format_value(spec: ParamSpec, value: Any) -> str:
    """German display of a parameter value (for messages)."""
    if value is None:
        return "leer"
    if isinstance(value, str):
        return value
    if spec.kind == "percent":
        return german.percent(value, 2)
    return german.amount(value) if spec.unit == "EUR" else german.number(value, 2)


def parameters_from_names(values: Mapping[str, Any]) -> tuple[Parameters, list[ParamIssue]]:
    """Build parameters from values keyed by defined name (case-insensitive); validate them.

    Missing names keep their defaults silently; present but invalid values fall back to the
    default with an issue. Cross checks (Win below Maintain, Pareto shares, A above B) follow.
    """
    by_name = {str(k).casefold(): v for k, v in values.items()}
    issues: list[ParamIssue] = []
    kwargs: dict[str, Any] = {}
    for spec in SPECS:
        if spec.name.casefold() not in by_name:
            continue
        value, error = _coerce(spec, by_name[spec.name.casefold()])
        if error:
            issues.append(ParamIssue(spec.name, error))
        kwargs[spec.key] = value
    matrix = dict(DEFAULT_CHANNELS)
    for code, rule in DEFAULT_CHANNELS.items():
        n_channel, n_visits, n_contacts = channel_names(code)
        channel, visits, contacts = rule.channel, rule.visits, rule.contacts
        raw = by_name.get(n_channel.casefold())
        if raw is not None and str(raw).strip():
            channel = str(raw).strip()
        for name, current in ((n_visits, visits), (n_contacts, contacts)):
            raw = by_name.get(name.casefold())
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            number, error = parse_number(raw)
            if error or number is None or number < 0:
                issues.append(ParamIssue(name, f"{error or 'negativ'}; Standardwert {german.number(current, 2)} "
                                               "verwendet"))
                continue
            if name == n_visits:
                visits = number
            else:
                contacts = number
        matrix[code] = ChannelRule(channel, visits, contacts)
    params = Parameters(**kwargs, kanalmatrix=matrix)
    return check_consistency(params, issues)


def check_consistency(params: Parameters, issues: list[ParamIssue] | None = None
                      ) -> tuple[Parameters, list[ParamIssue]]:
    """Cross-parameter checks; inconsistent pairs fall back to their defaults."""
    issues = list(issues or [])
    defaults = Parameters()
    if params.grenze_win >= params.grenze_maintain:
        issues.append(ParamIssue("Grenze_Win", "Win-Grenze muss unter der Maintain-Grenze liegen; "
                                               "Standardwerte 30 % / 70 % verwendet"))
        params = replace(params, grenze_win=defaults.grenze_win,
                         grenze_maintain=defaults.grenze_maintain)
    if params.pareto_a + params.pareto_b >= 1:
        issues.append(ParamIssue("Pareto_B", "Pareto-Anteile A + B müssen unter 100 % liegen; "
                                             "Standardwerte 80 % / 15 % verwendet"))
        params = replace(params, pareto_a=defaults.pareto_a, pareto_b=defaults.pareto_b)
    if params.besuche_a <= params.besuche_b:
        issues.append(ParamIssue("Besuche_A", "A-Kunden brauchen mehr Besuche als B-Kunden; "
                                              "Standardwerte 12 / 4 verwendet"))
        params = replace(params, besuche_a=defaults.besuche_a, besuche_b=defaults.besuche_b)
    if bool(params.ad_kosten_jahr) != bool(params.ad_besuche_jahr):
        issues.append(ParamIssue("AD_Kosten_Jahr", "Außendienstkosten und Besuche je Mitarbeiter "
                                                   "nur gemeinsam nutzbar; Kosten je Besuch verwendet"))
    absent = params.urlaub + params.krankheit + params.messen + params.interne_tage
    if absent >= params.arbeitstage:
        issues.append(ParamIssue("Arbeitstage", f"Abwesenheiten ({german.number(absent, 2)} Tage) übersteigen die "
                                                f"Arbeitstage ({german.number(params.arbeitstage, 2)}); Standardwerte "
                                                "verwendet"))
        params = replace(params, **{k: getattr(defaults, k) for k in
                                    ("arbeitstage", "urlaub", "krankheit", "messen", "interne_tage")})
    return params, issues
