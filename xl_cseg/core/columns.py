"""The customer and measure tables' fields: canonical keys and the German headers users see."""

from __future__ import annotations

from dataclasses import dataclass


# Excel number format codes of the figures this project writes (shown the German way by Excel)
EUR_FORMAT = '#,##0 "€"'
PERCENT_FORMAT = "0.0 %"
TREND_FORMAT = "+0.0 %;-0.0 %;0.0 %"
PROBABILITY_FORMAT = "0 %"


@dataclass(frozen=True)
class Field:
    key: str
    header: str
    required: bool = False
    numeric: bool = False
    number_format: str | None = None  # output columns: how their numbers are shown


INPUT_FIELDS: tuple[Field, ...] = (
    Field("customer_id", "Kunden-Nr", required=True),
    Field("name", "Kunde", required=True),
    Field("revenue", "Umsatz Vorjahr", required=True, numeric=True),
    Field("potential", "Potenzial", required=True, numeric=True),
    Field("revenue_prev", "Umsatz Vorvorjahr", numeric=True),
    Field("revenue_ytd", "Umsatz lfd. Jahr", numeric=True),
    Field("loyalty", "Verbundenheit", numeric=True),
    Field("territory", "Gebiet"),
)

# optional inputs of further analyses (read when present, not part of the segmentation's inputs):
# orders a year and individual discount for cost to serve and pricing (core.pricing)
EXTRA_INPUT_FIELDS: tuple[Field, ...] = (
    Field("orders", "Aufträge/Jahr", numeric=True),
    Field("discount", "Rabatt", numeric=True),
    # a rep's deliberate choice of segment for a customer: wins over the computed code
    # downstream (core.segment)
    Field("code_override", "Segment manuell"),
    # where the customer is: tells companies of one name in different places apart (the
    # consolidation's duplicate search, core.identity)
    Field("postcode", "PLZ"),
    Field("city", "Ort"),
)

OUTPUT_FIELDS: tuple[Field, ...] = (
    Field("trend", "Umsatzentwicklung", number_format=TREND_FORMAT),
    Field("abc", "ABC"),
    Field("share", "Ausschöpfung", number_format=PERCENT_FORMAT),
    Field("potential_class", "Potenzialklasse"),
    Field("code", "Segment"),
    Field("channel", "Kanal"),
    Field("visits", "Besuche/Jahr"),
    Field("risk", "Risiko"),
    Field("notes", "Prüfhinweis"),
)

# the measures table (pipeline): what reps enter per customer measure, what this tool adds
MEASURE_FIELDS: tuple[Field, ...] = (
    Field("customer_id", "Kunden-Nr", required=True),
    Field("measure", "Maßnahme", required=True),
    Field("status", "Status", required=True),
    Field("phase", "Phase"),
    Field("expected_revenue", "Erwarteter Umsatz", required=True, numeric=True),
    Field("probability", "Wahrscheinlichkeit manuell", numeric=True),
    Field("next_step", "Nächster Schritt"),
    Field("due_date", "Fällig am"),
    Field("last_activity", "Letzte Aktivität"),
)
MEASURE_OUTPUT_FIELDS: tuple[Field, ...] = (
    Field("probability", "Wahrscheinlichkeit", number_format=PROBABILITY_FORMAT),
    Field("weighted", "Gewichteter Umsatz", number_format=EUR_FORMAT),
    Field("code", "Segment"),
    Field("overdue", "Überfällig"),
    Field("stale", "Veraltet"),
    Field("notes", "Prüfhinweis"),
)
# output columns that only lists with three or more revenue years get (core.history)
HISTORY_OUTPUT_FIELDS: tuple[Field, ...] = (
    Field("growth", "Ø Wachstum p. a.", number_format="0.0%"),
    Field("declining", "Rückläufig seit (Jahren)", number_format="0"),
)
HISTORY_PREFIX = "revenue_y"  # keys of the older revenue years: revenue_y2021 = "Umsatz 2021"
FIELD_BY_KEY: dict[str, Field] = {f.key: f for f in INPUT_FIELDS + EXTRA_INPUT_FIELDS
                                   + OUTPUT_FIELDS + HISTORY_OUTPUT_FIELDS}
NUMERIC_INPUTS: tuple[str, ...] = tuple(f.key for f in INPUT_FIELDS if f.numeric)
INPUT_KEYS: tuple[str, ...] = tuple(f.key for f in INPUT_FIELDS)
OUTPUT_KEYS: tuple[str, ...] = tuple(f.key for f in OUTPUT_FIELDS)


def header(key: str) -> str:
    """German header of a field key (the key itself for fields of other tables)."""
    field = FIELD_BY_KEY.get(key)
    if field is None and key.startswith(HISTORY_PREFIX) and key[len(HISTORY_PREFIX):].isdigit():
        return f"Umsatz {key[len(HISTORY_PREFIX):]}"
    return field.header if field else key
