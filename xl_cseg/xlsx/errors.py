"""Exceptions for reading and writing user workbooks; messages are German and user-facing."""

from __future__ import annotations

import os


def _name(path: str | os.PathLike[str] | None) -> str:
    return os.path.basename(os.fspath(path)) if path is not None else "Die Arbeitsmappe"


class WorkbookError(Exception):
    """Base class; ``str(e) == e.message`` (German, names the file, says what to do)."""

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


class WorkbookNotFound(WorkbookError):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(
            f"„{_name(path)}“ wurde nicht gefunden. Bitte Pfad und Dateinamen prüfen.", path=path
        )


class NotAWorkbook(WorkbookError):
    def __init__(self, path: str | os.PathLike[str], hint: str = "") -> None:
        hint = f" ({hint})" if hint else ""
        super().__init__(
            f"„{_name(path)}“ ist keine Excel-Arbeitsmappe (.xlsx/.xlsm){hint}. "
            "Bitte die Datei in Excel öffnen und als „Excel-Arbeitsmappe (.xlsx)“ speichern.",
            path=path,
        )


class EncryptedWorkbook(WorkbookError):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(
            f"„{_name(path)}“ ist kennwortgeschützt/verschlüsselt und kann nicht gelesen werden. "
            "Bitte in Excel unter Datei > Informationen > Arbeitsmappe schützen > "
            "„Mit Kennwort verschlüsseln“ das Kennwort entfernen, speichern und erneut versuchen.",
            path=path,
        )


class CorruptWorkbook(WorkbookError):
    def __init__(self, path: str | os.PathLike[str] | None, detail: str = "") -> None:
        detail = f" ({detail})" if detail else ""
        super().__init__(
            f"„{_name(path)}“ ist beschädigt und kann nicht gelesen werden{detail}. "
            "Bitte die Datei in Excel öffnen (Excel bietet dann eine Reparatur an), "
            "neu speichern und erneut versuchen.",
            path=path,
        )


class PartTooLarge(WorkbookError):
    def __init__(self, path: str | os.PathLike[str] | None, part: str, reason: str) -> None:
        self.part = part
        super().__init__(
            f"„{_name(path)}“ enthält einen zu großen Bestandteil „{part}“ ({reason}). "
            "Aus Sicherheitsgründen wird die Datei nicht verarbeitet. Bitte nicht benötigte "
            "Blätter, Bilder oder Daten entfernen oder die Datei in Excel neu speichern.",
            path=path,
        )


class UnsafeXml(WorkbookError):
    def __init__(self, path: str | os.PathLike[str] | None, part: str, reason: str) -> None:
        self.part = part
        super().__init__(
            f"„{_name(path)}“ enthält im Bestandteil „{part}“ unzulässiges XML ({reason}). "
            "Aus Sicherheitsgründen wird die Datei nicht verarbeitet. Bitte die Datei in Excel "
            "öffnen und neu speichern.",
            path=path,
        )


class WorkbookLocked(WorkbookError):
    def __init__(self, path: str | os.PathLike[str], lock_file: str | None = None) -> None:
        self.lock_file = lock_file
        if lock_file:
            text = (
                f"„{_name(path)}“ ist in Excel geöffnet (Sperrdatei {lock_file}). Bitte die Datei "
                "in Excel schließen und erneut versuchen. Falls Excel nicht mehr läuft, die "
                f"Sperrdatei {lock_file} im selben Ordner löschen."
            )
        else:
            text = (
                f"„{_name(path)}“ kann nicht überschrieben werden, sie ist vermutlich in Excel "
                "oder einem anderen Programm geöffnet. Bitte die Datei schließen und erneut "
                "versuchen."
            )
        super().__init__(text, path=path)


class WorkbookReadOnly(WorkbookError):
    def __init__(self, path: str | os.PathLike[str], *, directory: bool = False) -> None:
        where = "liegt in einem schreibgeschützten Ordner" if directory else "ist schreibgeschützt"
        super().__init__(
            f"„{_name(path)}“ {where} und kann nicht gespeichert werden. Bitte den "
            "Schreibschutz aufheben oder die Datei in einen beschreibbaren Ordner kopieren.",
            path=path,
        )


class SharedFormulaConflict(WorkbookError):
    def __init__(self, cell: str, path: str | os.PathLike[str] | None = None) -> None:
        self.cell = cell
        where = f" in „{_name(path)}“" if path is not None else ""
        super().__init__(
            f"Zelle {cell}{where} enthält eine gemeinsam genutzte Formel, von der andere Zellen "
            "abhängen, und wird nicht überschrieben. Bitte eine leere Zielspalte wählen.",
            path=path,
        )
