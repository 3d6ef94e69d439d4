"""Account planning: the gap from last year's revenue to the target, and the field capacity.

Gap: last year's revenue, minus the expected loss at risk customers, against the target; the
pipeline of measures has to cover the gap, unweighted by the over-planning factor (not every
project succeeds). Capacity: working days less absences give the customer days and the visits a
field rep can make, against the visits the channel matrix asks for; inside-sales staff and cost
for the contacts. Both give German rows (label, value, unit, explanation) for the ``Planung`` sheet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from . import german, rules
from .params import CODES, SPECS, ParamIssue, Parameters, check_consistency
from .pipeline import WON, PipelineResult

ROW_COLUMNS = ("Kennzahl", "Wert", "Einheit", "Erläuterung")  # a PlanRow's fields as headed
CANDIDATE_COLUMNS = ("Kunden-Nr", "Kunde", "Segment", "Umsatz Vorjahr", "Potenzial",
                     "Offenes Potenzial", "Verbundenheit", "Offene Maßnahmen",
                     "Gewichtete Pipeline")
CODE_COLUMNS = ("Kunden", "Besuche je Kunde", "Besuche", "Kontakte je Kunde", "Kontakte", "Umsatz",
                "Umsatz je Besuch", "Inside-Sales-FTE", "Besuche streichen")
THIN_OUT_COLUMNS = ("Kunden", "Besuche", "Umsatz je Besuch", "Besuche streichen",
                    "Besuche je Kunde danach")
C_CODES = tuple(c for c in CODES if c.startswith("C-"))
_CAPACITY_NAMES = {s.name for s in SPECS if s.group == "Kapazität"}


class PlanRow(NamedTuple):
    """One line of the ``Planung`` sheet; values with unit "%" are fractions."""

    label: str
    value: Any
    unit: str
    explanation: str


# -- the planning formulas: each written once; the tables below and the worksheet functions
# (``CSEG_LUECKE``, ``CSEG_KUNDENTAGE``, ``CSEG_IS_FTE``) use them ---------------------------
def target_revenue(revenue: float, params: Parameters) -> float:
    """Next year's target: ``ziel_umsatz`` when set, else last year's revenue x (1 + growth)."""
    if params.ziel_umsatz is None:
        return revenue * (1.0 + params.ziel_wachstum)
    return float(params.ziel_umsatz)


def expected_base(revenue: float, at_risk_revenue: float, loss_rate: float) -> float:
    """Last year's revenue less the expected loss at risk customers."""
    return revenue - at_risk_revenue * loss_rate


def revenue_gap(revenue: float, target: float, at_risk_revenue: float, loss_rate: float) -> float:
    """Target minus the expected base (negative: the target is already covered)."""
    return target - expected_base(revenue, at_risk_revenue, loss_rate)


def absence_days(params: Parameters) -> float:
    """Holidays, sick days, trade fairs, internal days: a field rep's year away from customers."""
    return params.urlaub + params.krankheit + params.messen + params.interne_tage


def customer_days(params: Parameters) -> float:
    """Days at customers per year: working days less absences, x customer days per week / 5."""
    return (params.arbeitstage - absence_days(params)) * params.kundentage_woche / 5.0


def inside_sales_days(params: Parameters) -> float:
    """Working days of an inside-sales post: working days less holidays and sick days."""
    return params.arbeitstage - params.urlaub - params.krankheit


def inside_sales_capacity(days: float, customers_per_day: float) -> float:
    """Contacts one inside-sales post makes per year."""
    return days * customers_per_day


def inside_sales_fte(contacts: float, capacity_per_post: float) -> float:
    """Inside-sales posts (FTE) the contacts per year need; NaN without capacity."""
    return _ratio(contacts, capacity_per_post)


# -- gap to target ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Gap:
    """Gap from last year's revenue to the target and how far the pipeline covers it (EUR)."""

    revenue: float  # last year, all customers
    target: float
    target_from_growth: bool  # True: revenue x (1 + ziel_wachstum); False: ziel_umsatz
    secured: float  # Maintain, loyalty >= sicher_verbundenheit, no risk flag
    risk_revenue: float  # revenue of risk-flagged customers
    at_risk: float  # risk_revenue x verlustquote_risiko
    expected_base: float  # revenue - at_risk
    gap: float  # target - expected_base (negative: target already covered)
    won: float  # expected revenue of won measures
    open_pipeline: float  # expected revenue of open measures, unweighted
    weighted_pipeline: float  # open measures x probability + won measures
    coverage: float | None  # weighted_pipeline / gap; None when gap <= 0
    required_pipeline: float  # max(gap, 0) x ueberplanung
    missing_pipeline: float  # unweighted pipeline still to plan (0 when enough)
    params: Parameters = field(repr=False)  # the inputs the explanations quote
    # segment output, parsed inputs, open measures per customer: the candidates' sources
    candidates_from: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] = field(repr=False)

    @cached_property
    def growth_candidates(self) -> pd.DataFrame:
        """Win/Grow customers with revenue, by open potential (made when first asked for)."""
        return _candidates(*self.candidates_from, prospects=False)

    @cached_property
    def prospects(self) -> pd.DataFrame:
        """Customers without revenue yet, with potential, by open potential."""
        return _candidates(*self.candidates_from, prospects=True)

    @property
    def overplanning_ok(self) -> bool:
        return self.missing_pipeline == 0

    def as_rows(self) -> list[PlanRow]:
        target_note = (f"Vorjahr x (1 + {german.percent(self.params.ziel_wachstum)} Wachstum)."
                       if self.target_from_growth else "Absolutes Umsatzziel (Ziel_Umsatz).")
        coverage_note = ("Gewichtete Pipeline / Lücke." if self.coverage is not None
                         else "Keine Lücke: das Ziel ist durch die erwartete Basis gedeckt.")
        if self.overplanning_ok:
            plan_note = "Die ungewichtete Pipeline deckt die Lücke ausreichend oft."
        else:
            plan_note = (f"Es fehlen {german.amount(self.missing_pipeline)} ungewichtete Pipeline: "
                         "weitere Maßnahmen bei Wachstums- und Potenzialkunden planen.")
        return [
            PlanRow("Umsatz Vorjahr", self.revenue, "EUR",
                    "Summe der Vorjahresumsätze aller Kunden."),
            PlanRow("Umsatzziel", self.target, "EUR", target_note),
            PlanRow("Gesicherte Basis", self.secured, "EUR",
                    f"Maintain-Kunden mit Verbundenheit ab "
                    f"{german.number(self.params.sicher_verbundenheit, 1)} ohne Risiko."),
            PlanRow("Umsatz gefährdeter Kunden", self.risk_revenue, "EUR",
                    "Vorjahresumsatz der Kunden mit Risiko-Hinweis."),
            PlanRow("Erwarteter Verlust", self.at_risk, "EUR",
                    f"{german.percent(self.params.verlustquote_risiko)} des Umsatzes gefährdeter Kunden."),
            PlanRow("Erwartete Basis", self.expected_base, "EUR",
                    "Umsatz Vorjahr abzüglich erwarteter Verlust."),
            PlanRow("Lücke zum Ziel", self.gap, "EUR", "Umsatzziel abzüglich erwartete Basis."),
            PlanRow("Gewonnene Maßnahmen", self.won, "EUR", "Zählen voll zur Pipeline."),
            PlanRow("Offene Pipeline (ungewichtet)", self.open_pipeline, "EUR",
                    "Erwarteter Umsatz aller offenen Maßnahmen."),
            PlanRow("Gewichtete Pipeline", self.weighted_pipeline, "EUR",
                    "Offene Maßnahmen x Wahrscheinlichkeit plus gewonnene Maßnahmen."),
            PlanRow("Deckungsgrad", self.coverage, "%", coverage_note),
            PlanRow("Benötigte Pipeline (ungewichtet)", self.required_pipeline, "EUR",
                    f"Lücke x Überplanungsfaktor {german.number(self.params.ueberplanung, 1)}."),
            PlanRow("Überplanung erreicht", "ja" if self.overplanning_ok else "nein", "", plan_note),
            PlanRow("Noch zu planen", self.missing_pipeline, "EUR",
                    "Benötigte abzüglich offene Pipeline (ungewichtet)."),
        ]

def gap_to_target(segment_output: pd.DataFrame, inputs: pd.DataFrame,
                  pipeline_result: PipelineResult | None, params: Parameters) -> Gap:
    """Gap to the revenue target from a segmentation (output and parsed inputs, same index)."""
    revenue = inputs["revenue"]
    total = float(revenue.sum())
    from_growth = params.ziel_umsatz is None
    target = target_revenue(total, params)
    risky = segment_output["risk"].notna()
    secured_mask = (segment_output["potential_class"] == rules.MAINTAIN) \
        & (inputs["loyalty"] >= params.sicher_verbundenheit) & ~risky
    risk_revenue = float(revenue[risky].sum())
    at_risk = risk_revenue * params.verlustquote_risiko
    base = expected_base(total, risk_revenue, params.verlustquote_risiko)
    gap = revenue_gap(total, target, risk_revenue, params.verlustquote_risiko)

    won = open_pipeline = weighted_open = 0.0
    per_customer = pd.DataFrame(columns=["count", "weighted"], dtype=float)
    if pipeline_result is not None:
        measures, counted = pipeline_result.inputs, pipeline_result.counted
        is_open = pipeline_result.open & counted
        expected = measures["expected_revenue"]
        won = float(expected[(measures["status"] == WON) & counted].sum())
        open_pipeline = float(expected[is_open].sum())
        weighted_open = float(pipeline_result.output["weighted"][is_open].sum())
        per_customer = pd.DataFrame({"id": measures["customer_id"][is_open], "count": 1.0,
                                     "weighted": pipeline_result.output["weighted"][is_open]}) \
            .groupby("id")[["count", "weighted"]].sum()
    weighted = weighted_open + won
    required = max(gap, 0.0) * params.ueberplanung
    return Gap(
        revenue=total, target=target, target_from_growth=from_growth,
        secured=float(revenue[secured_mask].sum()), risk_revenue=risk_revenue, at_risk=at_risk,
        expected_base=base, gap=gap, won=won, open_pipeline=open_pipeline,
        weighted_pipeline=weighted, coverage=weighted / gap if gap > 0 else None,
        required_pipeline=required, missing_pipeline=max(required - open_pipeline, 0.0),
        params=params, candidates_from=(segment_output, inputs, per_customer))


def territory_gaps(territory: np.ndarray, source: np.ndarray, revenue: np.ndarray,
                   risky: np.ndarray, targets: np.ndarray, territories: int, params: Parameters
                   ) -> pd.DataFrame:
    """Revenue at risk, target and gap to it per territory (integer codes ``0 .. territories -
    1``) for customers of files ``source`` (integer codes into ``targets``: each file's
    absolute target, NaN where the file sets none). A file's absolute target is shared among
    its territories by revenue; without one, a territory's part of the file aims at its
    revenue x (1 + growth) (:func:`target_revenue`). Gap: :func:`revenue_gap`, as
    :func:`gap_to_target` computes it for one workbook."""
    files = len(targets)
    pairs = territory.astype(np.int64) * max(files, 1) + source
    by_pair = np.bincount(pairs, weights=revenue, minlength=territories * max(files, 1))
    by_file = np.bincount(source, weights=revenue, minlength=files)
    pair_territory, pair_file = np.divmod(np.arange(len(by_pair)), max(files, 1))
    absolute = targets[pair_file] if files else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(by_file[pair_file] > 0, by_pair / by_file[pair_file],
                         0.0) if files else np.zeros(0)
    growth = target_revenue(by_pair, replace(params, ziel_umsatz=None))
    part = np.where(np.isnan(absolute), growth, absolute * share)
    target = np.bincount(pair_territory, weights=part, minlength=territories)
    total = np.bincount(territory, weights=revenue, minlength=territories)
    at_risk = np.bincount(territory[risky], weights=revenue[risky], minlength=territories)
    gap = revenue_gap(total, target, at_risk, params.verlustquote_risiko)
    return pd.DataFrame({"Umsatz gefährdet": at_risk, "Umsatzziel": target,
                         "Lücke zum Ziel": gap})


def _candidates(output: pd.DataFrame, inputs: pd.DataFrame, per_customer: pd.DataFrame,
                prospects: bool) -> pd.DataFrame:
    """Growth customers (Win/Grow with revenue) or prospects (no revenue, with potential)."""
    revenue, potential = inputs["revenue"], inputs["potential"]
    if prospects:
        mask = (revenue == 0) & (potential > 0)
    else:
        mask = output["potential_class"].isin([rules.WIN, rules.GROW]) & (revenue > 0)
    ids = inputs["customer_id"][mask]
    table = pd.DataFrame({
        "Kunden-Nr": ids, "Kunde": inputs["name"][mask], "Segment": output["code"][mask],
        "Umsatz Vorjahr": revenue[mask], "Potenzial": potential[mask],
        "Offenes Potenzial": (potential - revenue)[mask], "Verbundenheit": inputs["loyalty"][mask],
        "Offene Maßnahmen": ids.map(per_customer["count"]).fillna(0).astype(int),
        "Gewichtete Pipeline": ids.map(per_customer["weighted"]).fillna(0.0).astype(float),
    }, columns=list(CANDIDATE_COLUMNS))
    return table.sort_values("Offenes Potenzial", ascending=False, kind="stable")


# -- capacity ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Capacity:
    """Field capacity of one rep against the visit demand; inside-sales staff and cost."""

    working_days: float
    absence_days: float  # urlaub + krankheit + messen + interne_tage
    available_days: float  # working_days - absence_days
    customer_days: float  # available_days x kundentage_woche / 5
    field_capacity: float  # customer_days x besuche_tag (visits per year)
    visit_demand: float  # visits per year over all customers, by code from the channel matrix
    utilisation: float  # visit_demand / field_capacity
    free_visits: float  # field_capacity - visit_demand (negative: over capacity)
    is_days: float  # working_days - urlaub - krankheit
    is_capacity: float  # contacts per inside-sales FTE and year: is_days x is_kunden_tag
    contact_demand: float  # inside-sales contacts per year over all customers
    is_fte: float  # contact_demand / is_capacity
    c_fte: float  # the C-customers' share of is_fte
    cost_per_visit: float
    cost_per_contact: float  # is_kosten_jahr / is_capacity
    c_customers: int
    c_field_cost: float  # C-customers x besuche_b x cost_per_visit (all served in the field)
    c_plan_cost: float  # C-customers as the channel matrix plans them (visits + contacts)
    c_saving: float  # c_field_cost - c_plan_cost, per year
    params: Parameters = field(repr=False)  # effective inputs (after the consistency check)
    by_code: pd.DataFrame = field(repr=False)  # CODE_COLUMNS per code, with total row
    thin_out: pd.DataFrame = field(repr=False)  # THIN_OUT_COLUMNS, lowest revenue per visit first
    issues: list[ParamIssue] = field(default_factory=list)

    @property
    def over_capacity(self) -> bool:
        return self.free_visits < 0

    def as_rows(self) -> list[PlanRow]:
        if self.over_capacity:
            verdict = (f"Überlastet: {german.number(-self.free_visits, 1)} Besuche pro Jahr zu viel; "
                       "Segmente mit dem geringsten Umsatz je Besuch ausdünnen.")
        else:
            verdict = f"Kapazität reicht: {german.number(self.free_visits, 1)} Besuche pro Jahr frei."
        rows = [
            PlanRow("Arbeitstage", self.working_days, "Tage",
                    "Werktage abzüglich Wochenenden und Feiertage."),
            PlanRow("Abwesenheiten", self.absence_days, "Tage",
                    "Urlaub, Krankheit, Messen, interne Termine und Schulungen."),
            PlanRow("Verfügbare Tage", self.available_days, "Tage",
                    "Arbeitstage abzüglich Abwesenheiten."),
            PlanRow("Kundentage", self.customer_days, "Tage",
                    f"Verfügbare Tage x {german.number(self.params.kundentage_woche, 1)} von 5 Tagen "
                    "pro Woche beim Kunden."),
            PlanRow("Besuchskapazität", self.field_capacity, "Besuche/Jahr",
                    f"Kundentage x {german.number(self.params.besuche_tag, 1)} Besuche je Kundentag."),
            PlanRow("Besuchsbedarf", self.visit_demand, "Besuche/Jahr",
                    "Besuche laut Kanalmatrix über alle Kunden."),
            PlanRow("Auslastung", self.utilisation, "%", "Besuchsbedarf / Besuchskapazität."),
            PlanRow("Freie Besuche", self.free_visits, "Besuche/Jahr", verdict),
        ]
        for code, row in self.thin_out.iterrows():
            rows.append(PlanRow(f"Ausdünnen {code}", -row["Besuche streichen"], "Besuche/Jahr",
                                f"Umsatz je Besuch {german.amount(row['Umsatz je Besuch'])}; danach "
                                f"{german.number(row['Besuche je Kunde danach'], 1)} Besuche je Kunde."))
        uncovered = -self.free_visits - float(self.thin_out["Besuche streichen"].sum())
        if self.over_capacity and uncovered > 1e-9:
            rows.append(PlanRow("Trotz Ausdünnen zu viel", uncovered, "Besuche/Jahr",
                                "A-Kunden behalten mindestens die Hälfte, B-Kunden ein Viertel "
                                "ihrer Besuche: mehr Kundentage, Inside Sales oder Aufteilung "
                                "des Gebiets nötig."))
        rows += [
            PlanRow("Inside-Sales-Tage", self.is_days, "Tage", "Arbeitstage abzüglich Urlaub und "
                                                               "Krankheit."),
            PlanRow("Kontakte je Inside-Sales-Stelle", self.is_capacity, "Kontakte/Jahr",
                    f"Inside-Sales-Tage x {german.number(self.params.is_kunden_tag, 1)} Kunden je Tag."),
            PlanRow("Kontaktbedarf Inside Sales", self.contact_demand, "Kontakte/Jahr",
                    "Kontakte laut Kanalmatrix über alle Kunden."),
            PlanRow("Inside Sales benötigt", self.is_fte, "FTE",
                    "Kontaktbedarf / Kontakte je Inside-Sales-Stelle."),
            PlanRow("davon für C-Kunden", self.c_fte, "FTE", "Kontakte der C-Kunden."),
            PlanRow("Kosten je Besuch", self.cost_per_visit, "EUR", "Außendienst."),
            PlanRow("Kosten je Inside-Sales-Kontakt", self.cost_per_contact, "EUR",
                    "Kosten je Inside-Sales-Stelle / Kontakte je Stelle."),
            PlanRow("C-Kunden", self.c_customers, "Kunden", ""),
            PlanRow("C-Kunden im Außendienst", self.c_field_cost, "EUR",
                    f"Je C-Kunde {german.number(self.params.besuche_b, 1)} Besuche x "
                    f"{german.amount(self.cost_per_visit)} pro Jahr."),
            PlanRow("C-Kunden laut Kanalmatrix", self.c_plan_cost, "EUR",
                    "Verbleibende Besuche plus Inside-Sales-Kontakte pro Jahr."),
            PlanRow("Einsparung pro Jahr", self.c_saving, "EUR",
                    "C-Kunden im Außendienst abzüglich Betreuung laut Kanalmatrix."),
        ]
        return rows

def capacity(segment_output: pd.DataFrame, params: Parameters,
             inputs: pd.DataFrame | None = None) -> Capacity:
    """Capacity against demand for the customers of a segmentation.

    The revenue per visit (which codes to thin out) needs the revenue: from ``inputs`` (the
    segmentation's parsed inputs, same index) or a ``revenue`` column of ``segment_output``.
    Absences that exceed the working days fall back to the defaults with an issue.
    """
    if inputs is not None:
        revenue = inputs["revenue"]
    elif "revenue" in segment_output:
        revenue = segment_output["revenue"]
    else:
        raise ValueError("capacity() needs the revenue: pass the segmentation inputs")
    params, found = check_consistency(params)
    issues = [i for i in found if i.name in _CAPACITY_NAMES]

    absence = absence_days(params)
    days = customer_days(params)
    field_capacity = days * params.besuche_tag
    code = segment_output["code"]
    _channel, visits, contacts = rules.channel_plan(code.to_numpy(dtype=object), params)
    visits, contacts = (pd.Series(v, index=code.index).fillna(0.0) for v in (visits, contacts))
    demand = float(visits.sum())
    is_days = inside_sales_days(params)
    is_capacity = inside_sales_capacity(is_days, params.is_kunden_tag)
    contact_demand = float(contacts.sum())
    cost_per_contact = _ratio(params.is_kosten_jahr, is_capacity)
    cost_per_visit = params.cost_per_visit

    by_code = _by_code(code, visits, contacts, revenue.fillna(0.0), params, is_capacity)
    thin_out = thin_out_visits(by_code, demand - field_capacity)
    by_code.loc[thin_out.index, "Besuche streichen"] = thin_out["Besuche streichen"]
    by_code.loc["Gesamt"] = by_code.loc[list(CODES)].sum()
    by_code.loc["Gesamt", ["Besuche je Kunde", "Kontakte je Kunde"]] = np.nan
    by_code.loc["Gesamt", "Umsatz je Besuch"] = _ratio(by_code.at["Gesamt", "Umsatz"],
                                                       by_code.at["Gesamt", "Besuche"])
    by_code["Kunden"] = by_code["Kunden"].astype(int)

    is_c = code.isin(C_CODES)
    c_count = int(is_c.sum())
    c_field = c_count * params.besuche_b * cost_per_visit
    c_plan = float(visits[is_c].sum()) * cost_per_visit + float(contacts[is_c].sum()) \
        * cost_per_contact
    return Capacity(
        working_days=params.arbeitstage, absence_days=absence,
        available_days=params.arbeitstage - absence, customer_days=days, field_capacity=field_capacity, visit_demand=demand,
        utilisation=_ratio(demand, field_capacity), free_visits=field_capacity - demand,
        is_days=is_days, is_capacity=is_capacity, contact_demand=contact_demand,
        is_fte=inside_sales_fte(contact_demand, is_capacity),
        c_fte=inside_sales_fte(float(contacts[is_c].sum()), is_capacity),
        cost_per_visit=cost_per_visit, cost_per_contact=cost_per_contact, c_customers=c_count,
        c_field_cost=c_field, c_plan_cost=c_plan, c_saving=c_field - c_plan,
        params=params,
        by_code=by_code, thin_out=thin_out, issues=issues)


GROUP_CAPACITY_COLUMNS = ("Besuchsbedarf", "Besuchskapazität", "Kontaktbedarf", "Inside-Sales-FTE")


def capacity_by_group(counts: pd.DataFrame, params: Parameters) -> pd.DataFrame:
    """Capacity of groups of customers served by one field rep each (the territories of a
    consolidation): from the customers per segment code (``counts``, columns :data:`CODES`)
    the visit and contact demand by the channel matrix, the rep's visit capacity and the
    inside-sales posts (:data:`GROUP_CAPACITY_COLUMNS`, same index)."""
    plan = capacity(pd.DataFrame({"code": pd.Series(dtype=object), "revenue": 0.0}), params)
    per_code = plan.by_code.loc[list(CODES)]
    contacts = counts[list(CODES)] @ per_code["Kontakte je Kunde"]
    return pd.DataFrame({
        "Besuchsbedarf": counts[list(CODES)] @ per_code["Besuche je Kunde"],
        "Besuchskapazität": plan.field_capacity,
        "Kontaktbedarf": contacts,
        "Inside-Sales-FTE": contacts / plan.is_capacity,
    }, index=counts.index, columns=list(GROUP_CAPACITY_COLUMNS))


def _by_code(code: pd.Series, visits: pd.Series, contacts: pd.Series, revenue: pd.Series,
             params: Parameters, is_capacity: float) -> pd.DataFrame:
    frame = pd.DataFrame({"code": code, "Kunden": 1, "Besuche": visits, "Kontakte": contacts,
                          "Umsatz": revenue}).dropna(subset=["code"])
    table = frame.groupby("code")[["Kunden", "Besuche", "Kontakte", "Umsatz"]].sum() \
        .reindex(list(CODES), fill_value=0).astype(float)
    matrix = params.kanalmatrix
    table["Besuche je Kunde"] = [float(matrix[c].visits) if c in matrix else 0.0 for c in CODES]
    table["Kontakte je Kunde"] = [float(matrix[c].contacts) if c in matrix else 0.0 for c in CODES]
    table["Umsatz je Besuch"] = (table["Umsatz"] / table["Besuche"].where(table["Besuche"] > 0))
    table["Inside-Sales-FTE"] = table["Kontakte"] / is_capacity if is_capacity else np.nan
    table["Besuche streichen"] = 0.0
    table.index.name = None
    return table[list(CODE_COLUMNS)]


# share of a code's planned visits that thinning keeps: A customers keep at least half (hold and
# don't lose them), B a quarter, C customers can be served by inside sales alone
MIN_VISIT_SHARE = {"A": 0.5, "B": 0.25, "C": 0.0}


def thin_out_visits(by_code: pd.DataFrame, excess: float) -> pd.DataFrame:
    """Visits to cut per code, lowest revenue per visit first, until demand fits capacity; no
    code goes below its floor (:data:`MIN_VISIT_SHARE`), so a remainder may stay uncovered.
    ``by_code``: columns Kunden, Besuche, Umsatz je Besuch, indexed by code (the capacity check
    and the visit plan both thin out with this rule)."""
    remaining = math.ceil(excess - 1e-9) if excess > 0 else 0
    order = by_code[by_code["Besuche"] > 0].sort_values("Umsatz je Besuch", kind="stable")
    cuts: dict[str, float] = {}
    for code, visits in order["Besuche"].items():
        if remaining <= 0:
            break
        cuttable = math.floor(visits * (1 - MIN_VISIT_SHARE[code[0]]) + 1e-9)
        if cuttable <= 0:
            continue
        cuts[code] = float(min(cuttable, remaining))
        remaining -= cuts[code]
    table = order.loc[list(cuts), ["Kunden", "Besuche", "Umsatz je Besuch"]].astype(float)
    table["Besuche streichen"] = pd.Series(cuts, dtype=float)
    table["Besuche je Kunde danach"] = (table["Besuche"] - table["Besuche streichen"]) \
        / table["Kunden"]
    return table[list(THIN_OUT_COLUMNS)]


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")
