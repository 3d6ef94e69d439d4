"""Which files to read: folders expanded (recursively, or one level); Excel lock files, backups
and outputs left out; every file read once (same path, a symlink or the same content)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from ..xlsx.errors import os_reason

SUFFIXES = (".xlsx", ".xlsm")
OTHER_FORMATS = (".xls", ".xlsb", ".ods", ".csv")
LOCK_PREFIX = "~$"
BACKUP_TAG = ".bak"  # the single backup of earlier versions: Nord.bak.xlsm
BACKUP_WORD = "Sicherung"
_DATED_BACKUP = re.compile(rf"\.{BACKUP_WORD}-\d{{4}}-\d{{2}}-\d{{2}}-\d{{6}}(-\d+)?$", re.I)

SKIPPED, FAILED = "übersprungen", "Fehler"


@dataclass(frozen=True)
class Skipped:
    path: Path
    status: str  # SKIPPED or FAILED
    reason: str  # German


@dataclass
class Sources:
    files: list[Path]
    skipped: list[Skipped] = field(default_factory=list)
    root: Path = Path(".")

    def display(self, path: Path) -> str:
        """``path`` relative to the common folder of all inputs (``Nord/Kunden.xlsx``)."""
        try:
            return path.absolute().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def backup_path(path: Path) -> Path:
    """``Nord.xlsm`` -> ``Nord.bak.xlsm``: the single backup earlier versions kept."""
    return path.with_name(f"{path.stem}{BACKUP_TAG}{path.suffix}")


def dated_backup_path(path: Path, when: _dt.datetime, attempt: int = 0) -> Path:
    """``Nord.xlsm`` -> ``Nord.Sicherung-2026-12-04-184712.xlsm`` (``-2``, ``-3``, ... for
    further attempts): one new backup per push, never an existing file's name."""
    extra = f"-{attempt + 1}" if attempt else ""
    return path.with_name(f"{path.stem}.{BACKUP_WORD}-{when:%Y-%m-%d-%H%M%S}{extra}{path.suffix}")


def is_backup(path: Path) -> bool:
    stem = path.stem
    return stem.casefold().endswith(BACKUP_TAG) or _DATED_BACKUP.search(stem) is not None


def _candidates(paths: Iterable[Path], skipped: list[Skipped], recursive: bool = True
                ) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*") if recursive else path.iterdir()):
                suffix = child.suffix.casefold()
                if not recursive and child.is_dir():
                    skipped.append(Skipped(child, SKIPPED, "Unterordner, nicht gelesen (nur mit "
                                                           "--rekursiv)"))
                    continue
                if not child.is_file():
                    continue
                if suffix in SUFFIXES:
                    found.append(child)
                elif suffix in OTHER_FORMATS and not child.name.startswith(LOCK_PREFIX):
                    skipped.append(Skipped(child, SKIPPED, f"Format {suffix} wird nicht gelesen "
                                                           "– bitte als .xlsx speichern"))
        elif path.exists():
            found.append(path)
        else:
            skipped.append(Skipped(path, FAILED, "nicht gefunden"))
    return found


def collect(paths: Iterable[str | os.PathLike[str]], exclude: Mapping[Path, str] | None = None,
            by_content: bool = True, recursive: bool = True) -> Sources:
    """The files to read, in the given order; ``exclude`` maps this run's own files (output,
    parameter source) to the reason they are left out.

    With ``by_content`` a file whose bytes equal an earlier file's is skipped as a duplicate;
    without ``recursive`` a folder's subfolders are not read.
    """
    skipped: list[Skipped] = []
    excluded = {p.resolve(): reason for p, reason in (exclude or {}).items()}
    seen: set[Path] = set()
    digests: dict[str, Path] = {}
    files: list[Path] = []
    for path in _candidates([Path(p) for p in paths], skipped, recursive):
        resolved = path.resolve()
        if resolved in seen:
            continue  # the same file again (also via a folder or a symlink)
        seen.add(resolved)
        if path.name.startswith(LOCK_PREFIX):
            skipped.append(Skipped(path, SKIPPED, "Excel-Sperrdatei"))
        elif resolved in excluded:
            skipped.append(Skipped(path, SKIPPED, excluded[resolved]))
        elif is_backup(path):
            skipped.append(Skipped(path, SKIPPED, "Sicherungskopie von „params push“"))
        elif by_content:
            try:
                with resolved.open("rb") as fh:
                    digest = hashlib.file_digest(fh, "sha256").hexdigest()
            except OSError as exc:
                skipped.append(Skipped(path, FAILED, f"kann nicht gelesen werden ({os_reason(exc)})"))
                continue
            if digest in digests:
                skipped.append(Skipped(path, SKIPPED, f"gleicher Inhalt wie {digests[digest].name} "
                                                      "(Duplikat)"))
                continue
            digests[digest] = path
            files.append(path)
        else:
            files.append(path)
    root = _common_folder(files + [s.path for s in skipped])
    return Sources(files=files, skipped=skipped, root=root)


def _common_folder(paths: list[Path]) -> Path:
    try:
        return Path(os.path.commonpath([str(p.parent.absolute()) for p in paths]))
    except ValueError:  # nothing given, or several drives
        return Path(".").absolute()
