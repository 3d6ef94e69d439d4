"""The central parameter set, read from a workbook's named cells, and how another workbook's
parameter cells differ from it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.params import CODES, SPECS, Parameters, channel_names, parameters_from_names
from ..core.pipeline import STATUSES, status_probabilities_from_names
from ..io.names import NamedCell
from ..io.source import FileSource, SheetSource, named_values
from ..jobs import read_parameters
from ..resources import template_workbook

PARAMETER_NAMES: tuple[str, ...] = (
    tuple(s.name for s in SPECS)
    + tuple(name for code in CODES for name in channel_names(code))
    + tuple(s.name for s in STATUSES)
)
"""Every defined name the controller sets: scalars, channel matrix, status probabilities."""


@dataclass(frozen=True)
class ParameterSet:
    params: Parameters  # as a segmentation of the workbook uses them (jobs.read_parameters)
    probabilities: dict[str, float]  # status label -> probability
    values: dict[str, Any]  # casefolded name -> value the cell gives (blank optional -> None)
    source: Path | None  # None: the template's defaults
    errors: tuple[str, ...] = field(default=())  # cell-addressed, German

    @property
    def label(self) -> str:
        if self.source is None:
            return "Standardwerte der Vorlage (keine Parameterdatei angegeben)"
        return f"aus {self.source.name}"


def workbook_parameters(source: SheetSource) -> tuple[ParameterSet, dict[str, NamedCell]]:
    """The parameters a workbook's named cells give (defaults where absent) and the cells."""
    params, errors = read_parameters(source)
    raw, cells = named_values(source)
    written, _issues = parameters_from_names(raw)  # read_parameters reported them
    probabilities, issues = status_probabilities_from_names(raw)
    by_name = {n.casefold(): c for n, c in cells.items()}
    errors += [f"{by_name[i.name.casefold()].address}: {i.message}" for i in issues]
    values = {**written.as_names(), **{s.name: probabilities[s.label] for s in STATUSES}}
    return ParameterSet(params, probabilities, {n.casefold(): v for n, v in values.items()},
                        source.path, tuple(errors)), cells


def central_parameters(path: Path | None) -> ParameterSet:
    """The controller's parameter workbook, or the template's defaults when none is given."""
    found, _cells = workbook_parameters(FileSource(path or template_workbook()))
    return found if path is not None else replace(found, source=None)


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def deviations(found: ParameterSet, cells: dict[str, NamedCell], central: ParameterSet
               ) -> list[tuple[str, Any, Any]]:
    """(name, value in the workbook, central value) for the parameter cells that differ."""
    present = {name.casefold() for name in cells}
    return [(name, found.values[key], central.values[key]) for name in PARAMETER_NAMES
            if (key := name.casefold()) in present
            and not same_value(found.values[key], central.values[key])]
