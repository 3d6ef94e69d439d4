"""Tests for the ribbon (xl_cseg.build.ribbon): schema validity, callbacks, entry points."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from xl_cseg.build import ribbon
from xl_cseg.build.ribbon import (
    CUSTOMUI_NS, RIBBON, RibbonError, check_callbacks, ribbon_vba_source, ribbon_xml, validate_ribbon,
)

ENTRY_POINTS = {
    "segment", "validate", "freeze_values", "update_pipeline", "compute_plan", "pricing", "whatif",
    "visits", "consolidate", "push_params", "check_setup", "open_help",
}
NS = {"c": CUSTOMUI_NS}
BUTTONS = [button for group in RIBBON for button in group.buttons]


def test_ribbon_xml_is_valid_customui14():
    xml = ribbon_xml()
    validate_ribbon(xml)
    root = ET.fromstring(xml)
    [tab] = root.findall("c:ribbon/c:tabs/c:tab", NS)
    assert (tab.get("id"), tab.get("label")) == ("tabCseg", "Kundensegmentierung")
    assert [g.get("label") for g in tab.findall("c:group", NS)] == [
        "Segmentierung", "Pipeline && Planung", "Gebiete", "Hilfe"]
    assert [b.get("onAction") for b in tab.iter(f"{{{CUSTOMUI_NS}}}button")] == [
        "CsegSegment", "CsegValidate", "CsegFreezeValues", "CsegUpdatePipeline", "CsegComputePlan",
        "CsegPricing", "CsegWhatIf", "CsegVisits", "CsegConsolidate", "CsegPushParams", "CsegCheckSetup", "CsegOpenHelp"]


def test_ribbon_xml_is_deterministic():
    assert ribbon_xml() == ribbon_xml()
    assert ribbon_vba_source() == ribbon_vba_source()


def test_broken_ribbon_fails_schema():
    xml = ribbon_xml().replace(b"<button ", b"<knopf ", 1).replace(b"</group>", b"<knopf/></group>", 1)
    with pytest.raises(RibbonError, match="Schema customUI14"):
        validate_ribbon(ribbon_xml().replace(b'size="large"', b'size="riesig"', 1))
    with pytest.raises(RibbonError, match="Schema customUI14"):
        validate_ribbon(xml)
    with pytest.raises(RibbonError, match="nicht wohlgeformt"):
        validate_ribbon(b"<customUI")


def test_missing_schema_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("XL_CSEG_SHARED", str(tmp_path))
    with pytest.raises(RibbonError, match="Ribbon-Schema nicht gefunden"):
        validate_ribbon(ribbon_xml())


def test_callbacks_have_procedures():
    check_callbacks(ribbon_xml(), {"Ribbon": ribbon_vba_source()})
    # VBA names are case-insensitive
    check_callbacks(ribbon_xml(), {"Ribbon": ribbon_vba_source().lower()})


def test_callback_without_procedure_fails():
    source = ribbon_vba_source().replace("Sub CsegConsolidate(", "Sub CsegConsolidateX(")
    with pytest.raises(RibbonError, match="CsegConsolidate: keine Prozedur"):
        check_callbacks(ribbon_xml(), {"Ribbon": source})
    commented = ribbon_vba_source().replace("Public Sub CsegOpenHelp(", "' Public Sub CsegOpenHelp(")
    with pytest.raises(RibbonError, match="CsegOpenHelp"):
        check_callbacks(ribbon_xml(), {"Ribbon": commented})
    private = ribbon_vba_source().replace("Public Sub CsegSegment(", "Private Sub CsegSegment(")
    with pytest.raises(RibbonError, match="CsegSegment"):
        check_callbacks(ribbon_xml(), {"Ribbon": private})
    with pytest.raises(RibbonError, match="mehrfach definiert"):
        check_callbacks(ribbon_xml(), {"Ribbon": ribbon_vba_source(), "Kopie": ribbon_vba_source()})


def test_buttons_run_fixed_entry_points():
    assert {b.entry_point for b in BUTTONS} == ENTRY_POINTS
    assert len({b.id for b in BUTTONS}) == len({b.callback for b in BUTTONS}) == len(BUTTONS)
    calls = re.findall(r'RunPython "([^"]*)"', ribbon_vba_source())
    assert calls == [f"import xl_cseg.macros as m; m.{b.entry_point}()" for b in BUTTONS]
    assert 'Attribute VB_Name = "Ribbon"' in ribbon_vba_source()
    assert re.search(r'Public Function CsegProbe\(\) As String\n    CsegProbe = "Ribbon ok"', ribbon_vba_source())


def test_buttons_have_icons_and_tips():
    for button in BUTTONS:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]+", button.image_mso), button.id
        assert button.label and button.screentip and button.supertip, button.id


def test_schema_dir_default_and_override(monkeypatch):
    monkeypatch.delenv("XL_CSEG_SHARED", raising=False)
    assert ribbon.schema_dir().parts[-2:] == ("shared", "schemas")
    monkeypatch.setenv("XL_CSEG_SHARED", "/anderswo")
    assert str(ribbon.schema_dir()) == "/anderswo/schemas"
