"""Realistic German demo customers (deterministic): a territory of a B2B field-sales rep."""

from __future__ import annotations

import numpy as np
import pandas as pd

_FAMILY = ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Schulz", "Hoffmann", "Koch", "Richter", "Bauer", "Klein", "Wolf", "Schröder",
           "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
           "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Huber", "Kaiser", "Fuchs", "Peters",
           "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel", "Friedrich", "Keller",
           "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann")
_TRADE = ("Haustechnik", "Metallbau", "Elektrotechnik", "Maschinenbau", "Sanitär und Heizung",
          "Kältetechnik", "Bauunternehmung", "Dachdeckerei", "Fensterbau", "Automation",
          "Werkzeugbau", "Anlagenbau", "Gebäudetechnik", "Schreinerei", "Lackiertechnik",
          "Kunststofftechnik", "Antriebstechnik", "Fördertechnik", "Medizintechnik",
          "Lebensmitteltechnik")
_FORM = ("GmbH", "GmbH & Co. KG", "KG", "AG", "e.K.", "GmbH")
_CITY = {
    "Nord": ("Hamburg", "Bremen", "Kiel", "Lübeck", "Oldenburg", "Hannover"),
    "Süd": ("München", "Augsburg", "Regensburg", "Ingolstadt", "Rosenheim", "Landshut"),
    "West": ("Köln", "Düsseldorf", "Essen", "Dortmund", "Aachen", "Bonn"),
    "Ost": ("Leipzig", "Dresden", "Chemnitz", "Erfurt", "Halle (Saale)", "Magdeburg"),
}


def demo_customers(count: int = 150, seed: int = 2026, territory: str | None = None) -> pd.DataFrame:
    """Customers with German headers: number, name, revenues, potential, loyalty, territory.

    The mix follows the method: few large customers carry most of the revenue, many small ones,
    some prospects without revenue, a few with falling revenue or potential below revenue.
    """
    rng = np.random.default_rng(seed)
    territories = (territory,) if territory else tuple(_CITY)
    rows = []
    used: set[str] = set()
    for i in range(count):
        area = territories[i % len(territories)]
        while True:
            name = (f"{rng.choice(_FAMILY)} {rng.choice(_TRADE)} {rng.choice(_FORM)}")
            if name not in used:
                used.add(name)
                break
        city = rng.choice(_CITY[area])
        prospect = rng.random() < 0.08
        revenue = 0.0 if prospect else float(np.round(rng.lognormal(9.6, 1.1), -1))
        ratio = rng.uniform(0.08, 1.15)
        potential = float(np.round(max(revenue / ratio if revenue else rng.lognormal(10.2, 0.8),
                                       2000), -2))
        growth = rng.normal(0.03, 0.15)
        previous = 0.0 if prospect or rng.random() < 0.05 else \
            float(np.round(revenue / (1 + growth), -1))
        loyalty = int(rng.choice([1, 2, 3, 3, 4, 4, 4, 5, 5])) if not prospect else None
        rows.append({
            "Kunden-Nr": 10000 + i * 7 + int(rng.integers(0, 6)),
            "Kunde": f"{name}, {city}",
            "Gebiet": area,
            "Umsatz Vorvorjahr": previous,
            "Umsatz Vorjahr": revenue,
            "Potenzial": potential,
            "Verbundenheit": loyalty,
        })
    return pd.DataFrame(rows)


def demo_orders(customers: pd.DataFrame, year: int, seed: int = 2026) -> pd.DataFrame:
    """Orders of last year (``year``) for customers with revenue: many small orders for small
    customers, fewer and larger ones for large customers; the values add up to about the
    revenue. Columns ``Kunden-Nr``, ``Datum``, ``Auftragswert``."""
    import datetime as _dt

    rng = np.random.default_rng(seed)
    rows = []
    start = _dt.date(year, 1, 2)
    for cid, revenue in zip(customers["Kunden-Nr"], customers["Umsatz Vorjahr"]):
        if not revenue or revenue <= 0:
            continue
        typical = float(np.clip(rng.lognormal(5.6, 0.6) * (1 + revenue / 40000), 60, 6000))
        count = int(np.clip(round(revenue / typical), 1, 48))
        shares = rng.dirichlet(np.full(count, 3.0))
        days = np.sort(rng.integers(0, 360, size=count))
        for share, day in zip(shares, days):
            rows.append({"Kunden-Nr": int(cid), "Datum": start + _dt.timedelta(days=int(day)),
                         "Auftragswert": float(np.round(revenue * share, 2))})
    return pd.DataFrame(rows)
