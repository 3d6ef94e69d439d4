"""Which files a run may write: never an existing file the user did not name as the one to
replace, never one of the run's own inputs, always under an extension that matches the content.

Every check runs before anything is written, so a refusal (exit 2) leaves the disk as it was.
Folders the run creates for a new output are removed again when the write fails.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..xlsx.atomic import target_path
from ..xlsx.errors import WorkbookError, os_reason
from ..xlsx.package import Package

# the main part's content type decides the extension Excel accepts for the file
SUFFIX_BY_TYPE = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": ".xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": ".xltx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": ".xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": ".xltm",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml": ".xlam",
}
_KINDS = {".xlsx": "Arbeitsmappe ohne Makros", ".xlsm": "Arbeitsmappe mit Makros",
          ".xltx": "Vorlage", ".xltm": "Vorlage mit Makros", ".xlam": "Add-in"}
FORCE_OPTION = "--force"


class TargetRefused(WorkbookError):
    """The output file named for a run must not be written (exists, is an input, wrong type)."""


def package_suffix(pkg: Package) -> str:
    """The extension the package's content needs (``.xlsm`` when it holds macros)."""
    return SUFFIX_BY_TYPE.get(pkg._content_type(pkg.workbook_part), ".xlsx")


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (symlinks followed; hard links by inode)."""
    if target_path(a) == target_path(b):
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return False


def check_output(out: Path, inputs: Iterable[Path], suffix: str, *, force: bool = False,
                 in_place: Path | None = None, what: str = "Ergebnis") -> Path:
    """The real file to write for ``--out out`` (a symlink followed), or :class:`TargetRefused`.

    ``in_place``: the input that may be replaced by its own results (``segment --out`` naming
    the workbook itself); every other input is refused even with ``--force``. ``suffix``: the
    extension the content needs.
    """
    out = Path(out)
    if in_place is not None and same_file(out, in_place):
        return target_path(in_place)
    for source in inputs:
        if same_file(out, Path(source)):
            raise TargetRefused(
                f"„{out.name}“ ist eine Eingabedatei dieses Laufs und kann nicht zugleich das "
                f"{what} aufnehmen. Bitte mit --out einen anderen Dateinamen angeben.", path=out)
    real = target_path(out)
    if real.suffix.casefold() != suffix:
        kind = _KINDS.get(suffix, suffix)
        raise TargetRefused(
            f"„{out.name}“: das {what} ist eine {kind} und braucht die Endung {suffix} "
            f"(Excel öffnet sie sonst nicht). Bitte --out {out.with_suffix(suffix).name} "
            "angeben.", path=out)
    if real.is_dir():
        raise TargetRefused(f"„{out}“ ist ein Ordner; bitte mit --out einen Dateinamen angeben.",
                            path=out)
    if real.exists() and not force:
        raise TargetRefused(
            f"„{out.name}“ gibt es schon. Es wird nicht ersetzt, um keine fremde Datei zu "
            f"überschreiben; bitte einen anderen Namen wählen oder {FORCE_OPTION} angeben, "
            "um sie zu ersetzen.", path=out)
    return real


@contextlib.contextmanager
def new_folders(target: Path) -> Iterator[None]:
    """Create the missing folders above ``target``; remove them again if the block fails."""
    missing: list[Path] = []
    folder = target.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    try:
        for folder in reversed(missing):
            folder.mkdir()
    except OSError as exc:
        _remove(missing)
        raise WorkbookError(f"Ordner „{target.parent}“ kann nicht angelegt werden "
                            f"({os_reason(exc)}).", path=target) from exc
    try:
        yield
    except BaseException:
        _remove(missing)
        raise


def _remove(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        with contextlib.suppress(OSError):
            folder.rmdir()
