"""Decision makers per customer (sheet ``Ansprechpartner``): loyalty derived from the contacts and
the risk that "Ihnen zugewandte Entscheider gehen weg und neue Ansprechpartner bringen neue
Lieferanten mit".

Contacts: customer number, name, role (Anwendung, Einkauf, Teamleitung, Geschäftsführung, ...),
loyalty 1-5, status (aktiv / ausgeschieden) with the date of leaving, last contact.

- **Loyalty rule** (where the customer row has none; the row's own value always wins): the mean
  of the active contacts' loyalty, contacts in purchasing and management (Einkauf,
  Geschäftsführung, Teamleitung) counting double, rounded to a whole grade (halves up);
  no active contact with a loyalty: none.
- **Risk flags** for A and B customers (as the rest of the risk rule): no active contact in
  purchasing; none in the using department (Anwendung); only one active contact; a contact
  with loyalty of at least :data:`LOYAL` who left in the last twelve months; no contact for
  more than ``tage_ohne_kontakt`` days (the latest "letzter Kontakt" of the active contacts).
  They join the ``Risiko`` column.
Pure: pandas in, pandas out; "today" is passed in.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import german
from .numbers import CellError, normalize_id, parse_number
from .pipeline import parse_date
from .segment import ERROR, NOTE, Issue

ACTIVE, LEFT = "aktiv", "ausgeschieden"
PURCHASING, USING = "Einkauf", "Anwendung"
LOYAL = 4  # a contact this loyal who leaves is a risk
WEIGHTED_ROLES = ("einkauf", "geschaeftsfuehrung", "geschäftsführung", "teamleitung",
                  "leitung", "inhaber", "management")
_STATUS = {"aktiv": ACTIVE, "active": ACTIVE, "ja": ACTIVE, "": ACTIVE,
           "ausgeschieden": LEFT, "weg": LEFT, "gegangen": LEFT, "inaktiv": LEFT, "left": LEFT,
           "ehemalig": LEFT, "nein": LEFT}
_USING_WORDS = ("anwendung", "anwender", "nutzer", "technik", "produktion", "fachabteilung",
                "werkstatt", "labor", "betrieb")
_PURCHASING_WORDS = ("einkauf", "beschaffung", "purchasing", "procurement", "disposition")
CONTACT_HEADERS = {"customer_id": "Kunden-Nr", "name": "Name", "role": "Rolle",
                   "loyalty": "Verbundenheit", "status": "Status", "left_on": "Ausgeschieden am",
                   "last_contact": "Letzter Kontakt"}


@dataclass(frozen=True, eq=False)
class ContactSummary:
    """Per customer number (index): contacts, active contacts, derived loyalty, the flags (list
    of German texts), the last contact with an active contact (a date or None); issues tied to a row and field of the contact sheet."""

    per_customer: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)


def role_kind(role: Any) -> str | None:
    """"Einkauf" or "Anwendung" for the roles that count as such, else None."""
    text = str(role or "").strip().casefold()
    if any(w in text for w in _PURCHASING_WORDS):
        return PURCHASING
    if any(w in text for w in _USING_WORDS):
        return USING
    return None


def _weight(role: Any) -> float:
    text = str(role or "").strip().casefold()
    return 2.0 if any(w in text for w in WEIGHTED_ROLES) else 1.0


def derived_loyalty(loyalties: list[float], roles: list[Any]) -> float:
    """The loyalty rule on one customer's active contacts (NaN when none has a loyalty)."""
    pairs = [(v, _weight(r)) for v, r in zip(loyalties, roles) if v == v]
    if not pairs:
        return float("nan")
    mean = sum(v * w for v, w in pairs) / sum(w for _v, w in pairs)
    return float(math.floor(mean + 0.5 + 1e-9))


def summarize(contacts: pd.DataFrame, customer_ids: pd.Series, today: _dt.date,
              days_without_contact: int) -> ContactSummary:
    """Parse the contact rows (raw cells; index = sheet row) and summarize them per customer."""
    known = set(customer_ids.dropna())
    issues: list[Issue] = []
    by_customer: dict[str, list[dict]] = {}
    for label, rec in zip(contacts.index, contacts.to_dict("records")):
        if all(_blank(rec.get(k)) for k in CONTACT_HEADERS):
            continue
        raw_id = rec.get("customer_id")
        cid = None if isinstance(raw_id, CellError) else normalize_id(raw_id)
        if cid is None:
            issues.append(Issue(label, "customer_id", ERROR, "Kunden-Nr fehlt: der "
                                                             "Ansprechpartner gehört zu keinem Kunden"))
            continue
        if cid not in known:
            issues.append(Issue(label, "customer_id", ERROR, f"Kunde {cid} steht nicht in der "
                                                             "Kundentabelle"))
            continue
        loyalty, error = parse_number(rec.get("loyalty"))
        if error:
            issues.append(Issue(label, "loyalty", ERROR, error))
            loyalty = None
        elif loyalty is not None and not 1 <= loyalty <= 5:
            issues.append(Issue(label, "loyalty", ERROR,
                                f"{german.number(loyalty, 2)} liegt außerhalb der Skala 1-5"))
            loyalty = None
        status_text = str(rec.get("status") or "").strip().casefold()
        status = _STATUS.get(status_text)
        if status is None:
            issues.append(Issue(label, "status", ERROR, f'„{rec.get("status")}“ ist kein Status '
                                                        "(aktiv oder ausgeschieden)"))
            status = ACTIVE
        left_on, error = parse_date(rec.get("left_on"))
        if error:
            issues.append(Issue(label, "left_on", ERROR, error))
        if left_on is not None and status == ACTIVE and status_text == "":
            status = LEFT  # a leaving date says it
        last, error = parse_date(rec.get("last_contact"))
        if error:
            issues.append(Issue(label, "last_contact", ERROR, error))
        if status == LEFT and left_on is None:
            issues.append(Issue(label, "left_on", NOTE, "ausgeschieden ohne Datum: nicht als "
                                                        "Abgang der letzten zwölf Monate gewertet"))
        by_customer.setdefault(cid, []).append({
            "loyalty": float("nan") if loyalty is None else loyalty, "role": rec.get("role"),
            "active": status == ACTIVE, "left_on": left_on, "last": last})
    year_ago = _year_before(today)
    rows = []
    for cid, found in by_customer.items():
        active = [c for c in found if c["active"]]
        kinds = {role_kind(c["role"]) for c in active}
        flags: list[str] = []
        if PURCHASING not in kinds:
            flags.append("kein Kontakt im Einkauf")
        if USING not in kinds:
            flags.append("kein Kontakt in der Anwendung")
        if len(active) == 1:
            flags.append("nur ein Ansprechpartner")
        if not active:
            flags.append("kein aktiver Ansprechpartner")
        gone = [c for c in found if not c["active"] and c["left_on"] is not None
                and year_ago <= c["left_on"] <= today and c["loyalty"] >= LOYAL]
        for c in sorted(gone, key=lambda c: c["left_on"]):
            flags.append(f"zugewandter Entscheider ({german.number(c['loyalty'])}) "
                         f"ausgeschieden am {german.date(c['left_on'])}")
        dates = [c["last"] for c in active if c["last"] is not None]
        if dates and (today - max(dates)).days > days_without_contact:
            flags.append(f"kein Kontakt seit {(today - max(dates)).days} Tagen")
        rows.append({"customer_id": cid, "contacts": len(found), "active": len(active),
                     "loyalty": derived_loyalty([c["loyalty"] for c in active],
                                                [c["role"] for c in active]),
                     "flags": flags, "last_contact": max(dates) if dates else None})
    frame = pd.DataFrame(rows, columns=["customer_id", "contacts", "active", "loyalty", "flags",
                                        "last_contact"])
    return ContactSummary(per_customer=frame.set_index("customer_id"), issues=issues)


def loyalty_filled(own: pd.Series, ids: pd.Series, summary: ContactSummary
                   ) -> tuple[pd.Series, pd.Series]:
    """The customer rows' loyalty with the derived one where the row has none (the row's own
    value wins), and which rows got it."""
    derived = ids.map(summary.per_customer["loyalty"]) if len(summary.per_customer) else \
        pd.Series(np.nan, index=ids.index)
    blank = own.map(_blank)
    use = blank & derived.notna()
    return own.where(~use, derived), use


def contact_risk(grade: np.ndarray, ids: np.ndarray, summary: ContactSummary) -> np.ndarray:
    """The contact flags of A and B customers as one risk text per customer (NaN where none);
    customers without any contact on the sheet: "kein Ansprechpartner erfasst"."""
    out = np.full(len(grade), np.nan, dtype=object)
    flags = summary.per_customer["flags"].to_dict() if len(summary.per_customer) else {}
    for pos, (g, cid) in enumerate(zip(grade, ids)):
        if g not in ("A", "B"):
            continue
        found = flags.get(cid)
        texts = ["kein Ansprechpartner erfasst"] if found is None else found
        if texts:
            out[pos] = "; ".join(texts)
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        (isinstance(value, str) and not value.strip())


def _year_before(day: _dt.date) -> _dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def with_contacts(raw: pd.DataFrame, ids: pd.Series, contacts: pd.DataFrame, today: _dt.date,
                  days_without_contact: int
                  ) -> tuple[pd.DataFrame, ContactSummary, pd.Series]:
    """The customer rows (raw cells) with the derived loyalty where a row has none, the
    contacts' summary and which rows got a derived loyalty."""
    summary = summarize(contacts, ids, today, days_without_contact)
    own = raw["loyalty"] if "loyalty" in raw else pd.Series(None, index=raw.index, dtype=object)
    loyalty, used = loyalty_filled(own.astype(object), ids, summary)
    if used.any():
        raw = raw.copy()
        raw["loyalty"] = loyalty.astype(object)
    return raw, summary, used


def add_contact_risk(output: pd.DataFrame, ids: pd.Series, summary: ContactSummary) -> None:
    """The contact flags of A/B customers joined to the output's ``risk`` column (in place)."""
    from .history import joined_risk

    flags = contact_risk(output["abc"].to_numpy(dtype=object),
                         ids.reindex(output.index).to_numpy(dtype=object), summary)
    output["risk"] = joined_risk(output["risk"].to_numpy(dtype=object), flags)
