"""The workbooks shipped as package data (built by ``xl-cseg build-workbook``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

TEMPLATE_NAME = "Kundensegmentierung.xlsm"
DEMO_NAME = "Kundensegmentierung-Demo.xlsm"


def data_dir() -> Path:
    return Path(str(resources.files("xl_cseg").joinpath("data")))


def template_workbook() -> Path:
    """The empty workbook a rep starts from."""
    return data_dir() / TEMPLATE_NAME


def demo_workbook() -> Path:
    """The workbook with 150 realistic German demo customers and measures."""
    return data_dir() / DEMO_NAME
