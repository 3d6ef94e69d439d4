"""The central parameter set, read from a workbook's named cells, and how another workbook's
parameter cells differ from it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.params import CODES, SPECS, Parameters, channel_names
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
    params: Parameters
    probabilities: dict[str, float]  # status label -> probability
    source: Path | None  # None: the template's defaults
    errors: tuple[str, ...] = ()  # cell-addressed, German

    @property
    def label(self) -> str:
        if self.source is None:
            return "Standardwerte der Vorlage (keine Parameterdatei angegeben)"
        return f"aus {self.source.name}"

    def by_name(self) -> dict[str, Any]:
        """Effective value per parameter name (casefolded keys)."""
        values = self.params.as_names()
        values.update({s.name: self.probabilities[s.label] for s in STATUSES})
        return {name.casefold(): value for name, value in values.items()}


def workbook_parameters(source: SheetSource) -> tuple[ParameterSet, dict[str, NamedCell]]:
    """The parameters a workbook's named cells give (defaults where absent) and the cells."""
    params, errors = read_parameters(source)
    values, cells = named_values(source)
    probabilities, issues = status_probabilities_from_names(values)
    by_name = {n.casefold(): c for n, c in cells.items()}
    errors += [f"{by_name[i.name.casefold()].address}: {i.message}" for i in issues]
    return ParameterSet(params, probabilities, source.path, tuple(errors)), cells


def central_parameters(path: Path | None) -> ParameterSet:
    """The controller's parameter workbook, or the template's defaults when none is given."""
    found, _cells = workbook_parameters(FileSource(path or template_workbook()))
    return found if path is not None else ParameterSet(found.params, found.probabilities, None)


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def deviations(found: ParameterSet, cells: dict[str, NamedCell], central: ParameterSet
               ) -> list[tuple[str, Any, Any]]:
    """(name, value in the workbook, central value) for the parameter cells that differ."""
    present = {name.casefold() for name in cells}
    mine, theirs = found.by_name(), central.by_name()
    return [(name, mine[name.casefold()], theirs[name.casefold()]) for name in PARAMETER_NAMES
            if name.casefold() in present
            and not same_value(mine[name.casefold()], theirs[name.casefold()])]
