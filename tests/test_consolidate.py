"""consolidate: territory workbooks (demo copies, XlsxWriter files with other headers, broken
files) read in parallel into a master workbook whose figures add up."""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import typer
from test_consolidate_support import (HYPERLINK_TEXT, TODAY, VARIANT_HEADERS, broken_files,
                                      customers, demo_copy, read_master, sheet_xml,
                                      xlsx_territory, zip_members)
from typer.testing import CliRunner

from xl_cseg.consolidate import history
from xl_cseg.consolidate.cli import consolidate_command
from xl_cseg.consolidate import run as run_module
from xl_cseg.consolidate.run import consolidate
from tests.lo.harness import probe, requires_lo
from xl_cseg.core.params import CODES, DEFAULT_CHANNELS, Parameters

NORD_NAMES = {0: HYPERLINK_TEXT}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("gebiete")
    folder = root / "Gebiete"
    (folder / "Team Süd").mkdir(parents=True)
    nord = demo_copy(folder / "Nord.xlsm", "Nord", names=NORD_NAMES,
                     params={"Kosten_je_Besuch": 400.0})
    demo_copy(folder / "Team Süd" / "Süd.xlsm", None, id_offset=100_000,
              names={i: f"Süd-Kunde {i} GmbH" for i in range(150)})
    west = customers(40, seed=7, first_id=500_000, territory="West")
    west[0]["customer_id"] = 10001  # Nord's first customer number
    west[1]["name"] = "Guenther Schreinerei KG Augsburg"  # Nord: Günther Schreinerei GmbH, Augsburg
    west[2]["name"] = "Petters Fensterbau GmbH, Essen"  # Nord: Peters Fensterbau KG, Essen
    xlsx_territory(folder / "West.xlsx", west, VARIANT_HEADERS)
    ost = customers(30, seed=9, first_id=700_000, territory="Ost")
    ost[0]["name"] = ('=HYPERLINK("http://example.com","Formel GmbH")', "Formel GmbH")
    ost[1]["name"] = "=SUMME(1;2)"
    measures = [
        {"Kunden-Nr": 700_000, "Maßnahme": "Muster", "Status": "in Erprobung",
         "Erwarteter Umsatz": 10_000},
        {"Kunden-Nr": 700_001, "Maßnahme": "Rahmenvertrag", "Status": "gewonnen",
         "Erwarteter Umsatz": 5_000},
        {"Kunden-Nr": 999_999, "Maßnahme": "Unbekannt", "Status": "Angebot beim Einkauf",
         "Erwarteter Umsatz": 1_000},
    ]
    xlsx_territory(folder / "Ost.xlsx", ost, measures=measures)
    expected = broken_files(folder, folder / "Ost.xlsx")
    shutil.copyfile(nord, folder / "Nord_Kopie.xlsm")
    os.symlink(nord, folder / "Verknüpfung.xlsm")
    out = root / "Ergebnis" / "Gesamt.xlsx"
    run = consolidate([folder, nord], out, today=TODAY, snapshot=True, workers=2)
    return {"folder": folder, "out": out, "run": run, "expected": expected,
            "sheets": read_master(out)}


def test_statuses_per_file(scenario):
    log = scenario["run"].data.log.set_index("Datei")
    status = {Path(name).name: value for name, value in log["Status"].items()}
    for name, expected in scenario["expected"].items():
        assert status[name] == expected, (name, log.loc[[n for n in log.index
                                                        if n.endswith(name)], "Meldung"])
    assert {status[n] for n in ("Nord.xlsm", "Süd.xlsm", "West.xlsx", "Ost.xlsx")} == {"ok"}
    assert status["Nord_Kopie.xlsm"] == "übersprungen"
    assert "Duplikat" in log.loc["Nord_Kopie.xlsm", "Meldung"]
    assert "Verknüpfung.xlsm" not in status  # the symlink is the same file: read once
    assert list(status).count("Nord.xlsm") == 1  # folder and path: read once
    messages = log["Meldung"].to_dict()
    assert "kennwortgeschützt" in messages["verschluesselt.xlsx"]
    assert "zu großen Bestandteil" in messages["riesig.xlsx"]
    assert "keine Kundentabelle" in messages["falsche-spalten.xlsx"]
    assert scenario["run"].exit_code == 1


def test_customers_sheet_has_every_customer_with_source(scenario):
    kunden = scenario["sheets"]["Kunden gesamt"]
    assert len(kunden) == 150 + 150 + 40 + 30
    assert set(kunden["Gebiet"]) == {"Nord", "Süd", "West", "Ost"}  # Süd from the file name
    sued = kunden[kunden["Gebiet"] == "Süd"]
    assert set(sued["Datei"]) == {"Team Süd/Süd.xlsm"}
    assert sued["Zeile"].tolist() == list(range(2, 152))
    assert sued["Kunden-Nr"].min() > 100_000
    west = kunden[kunden["Gebiet"] == "West"]  # headers "Kd.-Nr.", "Umsatz 2025", ...
    assert west["Umsatz Vorjahr"].notna().all() and west["Umsatz Vorvorjahr"].notna().any()
    assert kunden["Segment"].isin(CODES).mean() > 0.9


def test_formulas_and_formula_text_stay_values(scenario):
    kunden = scenario["sheets"]["Kunden gesamt"]
    assert HYPERLINK_TEXT in set(kunden["Kunde"])
    assert {"Formel GmbH", "=SUMME(1;2)"} <= set(kunden["Kunde"])
    for part, xml in sheet_xml(scenario["out"]).items():
        assert b"<f>" not in xml and b"<f " not in xml, part
    members = zip_members(scenario["out"])
    assert not any("externalLink" in name for name in members)
    wb = openpyxl.load_workbook(scenario["out"], read_only=True)
    for row in wb["Kunden gesamt"].iter_rows(min_row=2):
        if row[4].value == HYPERLINK_TEXT:
            assert row[4].data_type == "s"
            break
    else:
        pytest.fail("HYPERLINK text not found")
    wb.close()


def test_territory_figures_equal_sums_over_customers(scenario):
    sheets = scenario["sheets"]
    kunden, gebiete = sheets["Kunden gesamt"], sheets["Gebiete"].set_index("Gebiet")
    pipeline = sheets["Pipeline"]
    by = kunden.groupby("Gebiet")
    total = gebiete.loc["Gesamt"]
    gebiete = gebiete.drop("Gesamt")
    assert sorted(gebiete.index) == sorted(by.groups)
    params = Parameters()
    is_capacity = (params.arbeitstage - params.urlaub - params.krankheit) * params.is_kunden_tag
    for name, group in by:
        row = gebiete.loc[name]
        assert row["Kunden"] == len(group)
        assert row["Umsatz Vorjahr"] == pytest.approx(group["Umsatz Vorjahr"].sum())
        assert row["Potenzial"] == pytest.approx(group["Potenzial"].sum())
        for code in CODES:
            assert row[code] == (group["Segment"] == code).sum(), (name, code)
        assert row["ohne Segment"] == group["Segment"].isna().sum()
        assert row["Besuchsbedarf"] == pytest.approx(group["Besuche/Jahr"].fillna(0).sum())
        contacts = sum(DEFAULT_CHANNELS[c].contacts for c in group["Segment"].dropna())
        assert row["Kontaktbedarf"] == pytest.approx(contacts)
        assert row["Inside-Sales-FTE"] == pytest.approx(contacts / is_capacity)
        weighted = pipeline.loc[pipeline["Gebiet"] == name, "Gewichteter Umsatz"].sum()
        assert row["Gewichtete Pipeline"] == pytest.approx(weighted)
    for col in ("Kunden", "Umsatz Vorjahr", "Potenzial", *CODES, "Gewichtete Pipeline",
                "Besuchsbedarf", "Inside-Sales-FTE"):
        assert total[col] == pytest.approx(gebiete[col].sum()), col
    assert total["Kunden"] == len(kunden)


def test_pipeline_from_the_measures_tables(scenario):
    pipeline = scenario["sheets"]["Pipeline"]
    ost = pipeline[pipeline["Datei"] == "Ost.xlsx"].set_index("Kunden-Nr")
    assert ost.loc[700_000, "Gewichteter Umsatz"] == pytest.approx(4_000)  # 40 %
    assert ost.loc[700_001, "Gewichteter Umsatz"] == pytest.approx(5_000)  # won
    assert set(ost["Gebiet"]) == {"Ost"}  # the unknown customer gets the file's territory
    assert "nicht in der Kundenliste" in ost.loc[999_999, "Prüfhinweis"]
    assert len(pipeline[pipeline["Datei"] == "Nord.xlsm"]) == 30


def test_import_log_lists_deviating_parameters_and_errors(scenario):
    run = scenario["run"]
    nord = next(r for r in run.results if r.path.name == "Nord.xlsm")
    assert ("Kosten_je_Besuch", 400.0, 350.0) in nord.deviations
    assert run.data.deviations.values.tolist() == [["Nord.xlsm", "Kosten_je_Besuch", 400.0, 350.0]]
    ost = next(r for r in run.results if r.path.name == "Ost.xlsx")
    assert any(e.startswith("Maßnahmen!A4:") for e in ost.errors)
    log_sheet = openpyxl.load_workbook(scenario["out"], read_only=True)["Importprotokoll"]
    texts = [str(v) for row in log_sheet.iter_rows(values_only=True) for v in row if v]
    assert "Kosten_je_Besuch" in texts and any("Standardwerte" in t for t in texts)


def test_duplicates_across_territories(scenario):
    dups = scenario["sheets"]["Duplikate"]
    assert dups["Gruppe"].tolist() == list(range(1, len(dups) + 1))  # one row per group
    by_id = dups[dups["Grund"] == "gleiche Kunden-Nr"]
    assert by_id["Gebiete"].tolist() == ["Nord, West"] and by_id["Kunden-Nr"].tolist() == ["10001"]
    assert by_id["Dateien"].tolist() == ["Nord.xlsm, West.xlsx"]
    by_name = dups[dups["Grund"] == "ähnlicher Name"]
    schreinerei = by_name[by_name["Kunde"].str.contains("Schreinerei")].iloc[0]
    assert schreinerei["Gebiete"] == "Nord, West" and schreinerei["Ähnlichkeit"] == 1
    fenster = by_name[by_name["Kunde"].str.contains("Fensterbau")].iloc[0]
    assert fenster["Gebiete"] == "Nord, West" and 0.92 <= fenster["Ähnlichkeit"] < 1
    assert fenster["Kunde"] == "Peters Fensterbau KG, Essen | Petters Fensterbau GmbH, Essen"
    assert not dups["Gebiete"].str.contains("Süd").any()  # "Süd-Kunde 1" is not "Süd-Kunde 2"


def test_overview_and_charts(scenario):
    members = zip_members(scenario["out"])
    assert sum(name.startswith("xl/charts/chart") for name in members) == 3
    assert b'name="xl-cseg"' in members["docProps/custom.xml"]
    rows = openpyxl.load_workbook(scenario["out"], read_only=True)["Übersicht"]
    figures = {r[0]: r[1] for r in rows.iter_rows(values_only=True) if r[0]}
    assert figures["Kunden"] == 370 and figures["Dateien gelesen"] == 4
    assert figures["Gebiete"] == 4


def test_snapshot_stored(scenario):
    run = scenario["run"]
    assert run.history == scenario["out"].with_name("Gesamt.history.sqlite")
    assert history.dates(run.history) == [TODAY]
    stored = history.load(run.history, TODAY)
    assert len(stored) == run.stored == 370
    assert set(stored.columns) == {"customer_id", "territory", "code", "revenue", "potential",
                                   "name"}
    assert stored["name"].notna().all()


def test_migration_totals_equal_the_masters(scenario):
    from xl_cseg.core.migration import TOTAL, migration
    stored = history.load(scenario["run"].history, TODAY)
    assert stored["customer_id"].duplicated().any()  # 10001 is in Nord and in West
    counts = migration(stored, stored).territories
    master = scenario["run"].data.territories
    assert counts.at[TOTAL, "Kunden nachher"] == master.at[TOTAL, "Kunden"] == 370
    for territory in ("Nord", "West"):
        assert counts.at[territory, "Kunden nachher"] == master.at[territory, "Kunden"]
    assert counts.at[TOTAL, "Umsatz nachher"] == pytest.approx(master.at[TOTAL, "Umsatz Vorjahr"])


def test_second_snapshot_of_a_day_needs_ersetzen(scenario, tmp_path):
    west = scenario["folder"] / "West.xlsx"
    out = tmp_path / "Gesamt.xlsx"
    consolidate([west], out, today=TODAY, snapshot=True, workers=1)
    written = out.stat().st_mtime_ns
    with pytest.raises(history.SnapshotExists, match="--ersetzen"):
        consolidate([west], out, today=TODAY, snapshot=True, workers=1, force=True)
    assert out.stat().st_mtime_ns == written  # refused before anything was read or written
    again = consolidate([west], out, today=TODAY, snapshot=True, workers=1, replace=True,
                        force=True)
    assert again.stored == 40 and history.dates(again.history) == [TODAY]


def test_master_is_never_read_back(scenario, tmp_path):
    shutil.copyfile(scenario["out"], scenario["folder"] / "Gesamt alt.xlsx")
    try:
        files = [scenario["folder"] / "Gesamt alt.xlsx", scenario["folder"] / "West.xlsx"]
        run = consolidate(files, tmp_path / "G.xlsx", today=TODAY, workers=1)
    finally:
        (scenario["folder"] / "Gesamt alt.xlsx").unlink()
    status = {r.path.name: (r.status, r.message) for r in run.results}
    assert status["Gesamt alt.xlsx"] == ("übersprungen", "Ausgabe von xl-cseg")
    assert run.exit_code == 0


def test_sequential_and_parallel_agree(scenario, tmp_path):
    files = [scenario["folder"] / n for n in ("Nord.xlsm", "West.xlsx", "Ost.xlsx")]
    one = consolidate(files, tmp_path / "a.xlsx", today=TODAY, workers=1).data
    two = consolidate(files, tmp_path / "b.xlsx", today=TODAY, workers=2).data
    pd.testing.assert_frame_equal(one.customers, two.customers)
    pd.testing.assert_frame_equal(one.territories, two.territories)


def test_parent_objects_are_frozen_while_the_workers_fork(scenario, tmp_path, monkeypatch):
    """The parent's objects stay out of garbage collections while the workers run (no
    copy-on-write of its pages in the workers), and are given back afterwards, also when
    reading fails."""
    frozen_at_fork = []
    real_submit = run_module.ProcessPoolExecutor.submit

    def submit(pool, *args, **kwargs):
        frozen_at_fork.append(gc.get_freeze_count())
        return real_submit(pool, *args, **kwargs)

    monkeypatch.setattr(run_module.ProcessPoolExecutor, "submit", submit)
    files = [scenario["folder"] / n for n in ("Nord.xlsm", "West.xlsx")]
    consolidate(files, tmp_path / "a.xlsx", today=TODAY, workers=2)
    assert frozen_at_fork and min(frozen_at_fork) > 0
    assert gc.get_freeze_count() == 0

    def fail(*_args):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(run_module, "as_completed", fail)
    with pytest.raises(RuntimeError):
        consolidate(files, tmp_path / "b.xlsx", today=TODAY, workers=2)
    assert gc.get_freeze_count() == 0


def test_central_parameters_from_a_workbook(scenario, tmp_path):
    params = scenario["folder"] / "Nord.xlsm"  # Kosten_je_Besuch 400
    run = consolidate([scenario["folder"] / "West.xlsx", params], tmp_path / "c.xlsx",
                      params=params, today=TODAY, workers=1)
    assert run.central.params.kosten_je_besuch == 400.0
    assert run.central.label == "aus Nord.xlsm"
    skipped = {s.path.name: s.reason for s in run.sources.skipped}
    assert skipped == {"Nord.xlsm": "Parameterquelle dieses Laufs"}
    threshold = run.central.params.c_threshold  # 4 x 400 / 10 % = 16,000
    west = run.data.customers
    b_or_a = west["abc"].isin(["A", "B"])
    assert threshold == 16_000
    assert (west.loc[b_or_a, "revenue"] >= threshold).all()
    assert (west.loc[west["abc"] == "C", "revenue"] < threshold).all()


def test_cli_consolidate(scenario, tmp_path):
    app = typer.Typer()
    app.command("consolidate")(consolidate_command)
    app.command("unused")(lambda: None)  # a group, as in xl_cseg.cli
    out = tmp_path / "cli.xlsx"
    result = CliRunner().invoke(app, ["consolidate", str(scenario["folder"] / "West.xlsx"),
                                      str(scenario["folder"] / "zufall.xlsx"), "--out", str(out),
                                      "--date", "2026-03-31", "--jobs", "1"])
    assert result.exit_code == 1, result.output
    assert "Standardwerte" in result.output and "zufall.xlsx" in result.output
    assert "Geschrieben" in result.output and out.exists()
    assert history.dates(out.with_name("cli.history.sqlite")) == [TODAY.replace(month=3, day=31)]
    bad = CliRunner().invoke(app, ["consolidate", str(out), "--out", str(out), "--date", "31.3."])
    assert bad.exit_code == 2 and "ist kein Datum" in bad.output


@requires_lo
def test_master_opens_in_libreoffice(scenario):
    kunden = scenario["sheets"]["Kunden gesamt"]
    last = len(kunden) + 1
    cells = ["Übersicht!A1", "'Kunden gesamt'!A2", "'Kunden gesamt'!E2", f"'Kunden gesamt'!F{last}",
             "Gebiete!A2", "Importprotokoll!A1"]
    [report] = probe([{"path": str(scenario["out"]), "cells": cells, "recalc": False}])
    assert report["ok"], report
    assert report["sheets"] == ["Übersicht", "Kunden gesamt", "Gebiete", "Pipeline", "Duplikate",
                                "Importprotokoll"]
    got = report["cells"]
    assert got["Übersicht!A1"] == "Gesamtauswertung Kundensegmentierung"
    assert got["'Kunden gesamt'!E2"] == kunden.iloc[0]["Kunde"]
    assert got[f"'Kunden gesamt'!F{last}"] == pytest.approx(kunden.iloc[-1]["Umsatz Vorjahr"])
    assert np.isfinite(got[f"'Kunden gesamt'!F{last}"])


def test_no_territory_file_read_writes_no_master_and_no_snapshot(scenario, tmp_path):
    """A typo in the folder name, or a folder of a CSV renamed to .xlsx and an empty file:
    exit 2 meant „nothing written“, yet an empty master replaced the good one (``--force``)
    and an empty snapshot would have made every customer „weggefallen“."""
    app = typer.Typer()
    app.command("consolidate")(consolidate_command)
    app.command("unused")(lambda: None)
    out = tmp_path / "Gesamt.xlsx"
    good = CliRunner().invoke(app, ["consolidate", str(scenario["folder"] / "West.xlsx"),
                                    "--out", str(out), "--date", "2026-03-31", "--jobs", "1"])
    assert good.exit_code == 0, good.output
    before = out.read_bytes()
    db = out.with_name("Gesamt.history.sqlite")
    bad_folder = tmp_path / "Gebeite"
    bad_folder.mkdir()
    (bad_folder / "Nord.xlsx").write_text("Kunden-Nr;Kunde\n1;Müller\n", encoding="utf-8")
    (bad_folder / "Süd.xlsx").write_bytes(b"")
    for args in ([str(tmp_path / "Gebiete-fehlt")], [str(bad_folder)]):
        result = CliRunner().invoke(app, ["consolidate", *args, "--out", str(out), "--force",
                                          "--snapshot", "--ersetzen", "--jobs", "1"])
        said = " ".join(result.output.split())
        assert result.exit_code == 2, said
        assert "Keine Gebietsdatei gelesen, nichts geschrieben" in said
        assert "Traceback" not in said and "Geschrieben" not in said
        assert out.read_bytes() == before
        assert history.dates(db) == [TODAY.replace(month=3, day=31)]
    assert "Nord.xlsx" in said and "Süd.xlsx" in said
