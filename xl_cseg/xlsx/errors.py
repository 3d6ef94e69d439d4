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


class PackageTooLarge(WorkbookError):
    """The package as a whole is beyond the limits (members, total size): a possible zip bomb."""

    def __init__(self, path: str | os.PathLike[str] | None, reason: str) -> None:
        super().__init__(
            f"„{_name(path)}“ {reason} (mögliche Zip-Bombe). Aus Sicherheitsgründen wird die "
            "Datei nicht verarbeitet. Bitte nicht benötigte Blätter, Bilder oder Daten "
            "entfernen oder die Datei in Excel neu speichern.",
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


class EnvironmentProblem(WorkbookError):
    """The file system refused: disk full, no permission, missing folder, name too long."""


_ENVIRONMENT_TEXTS = {
    "ENOSPC": "Auf dem Datenträger ist kein Platz mehr frei. Bitte Platz schaffen oder einen "
              "anderen Speicherort wählen",
    "EDQUOT": "Das Speicherkontingent auf dem Datenträger ist erschöpft. Bitte Platz schaffen "
              "oder einen anderen Speicherort wählen",
    "EACCES": "Keine Berechtigung. Bitte die Zugriffsrechte prüfen oder einen anderen "
              "Speicherort wählen",
    "EPERM": "Keine Berechtigung. Bitte die Zugriffsrechte prüfen oder einen anderen "
             "Speicherort wählen",
    "EROFS": "Der Datenträger ist schreibgeschützt. Bitte einen anderen Speicherort wählen",
    "ENOENT": "Datei oder Ordner gibt es nicht. Bitte den Pfad prüfen",
    "ENOTDIR": "Ein Teil des Pfads ist kein Ordner. Bitte den Pfad prüfen",
    "EISDIR": "Das ist ein Ordner, keine Datei. Bitte den Pfad prüfen",
    "ENAMETOOLONG": "Dateiname oder Pfad ist zu lang. Bitte einen kürzeren Namen oder einen "
                    "kürzeren Pfad wählen",
    "EEXIST": "Die Datei gibt es schon",
    "EIO": "Lese- oder Schreibfehler des Datenträgers. Bitte den Datenträger prüfen",
    "EMFILE": "Zu viele Dateien gleichzeitig geöffnet. Bitte andere Programme schließen und "
              "erneut versuchen",
    "EFBIG": "Die Datei wird für den Datenträger zu groß. Bitte einen anderen Speicherort "
             "wählen",
    "EBUSY": "Die Datei ist in Benutzung. Bitte das andere Programm schließen und erneut "
             "versuchen",
    "ETXTBSY": "Die Datei ist in Benutzung. Bitte das andere Programm schließen und erneut "
               "versuchen",
    "ELOOP": "Der Pfad enthält eine Schleife symbolischer Verknüpfungen. Bitte den Pfad prüfen",
}


def os_reason(exc: OSError) -> str:
    """The operating system's reason in German, short ("Keine Berechtigung"), never its
    English text."""
    import errno

    text = _ENVIRONMENT_TEXTS.get(errno.errorcode.get(exc.errno or 0, ""))
    if text is None:
        return f"Fehler des Betriebssystems Nr. {exc.errno}" if exc.errno else \
            "Unbekannter Fehler des Betriebssystems"
    return text.split(". Bitte")[0]


def environment_error(exc: OSError, path: str | os.PathLike[str] | None = None,
                      doing: str = "verarbeitet") -> EnvironmentProblem:
    """A German message for an operating-system error (no English OS text), naming the path
    the system names, else ``path``; ``doing``: what could not be done ("gespeichert")."""
    import errno

    code = errno.errorcode.get(exc.errno or 0, "")
    where = exc.filename if exc.filename is not None else path
    if code == "ENOSPC" and path is not None:
        where = path  # the temp file's name means nothing to the user
    shown = os.fspath(where) if where is not None else "die Datei"
    text = _ENVIRONMENT_TEXTS.get(code)
    if text is None:
        text = f"Fehler des Betriebssystems Nr. {exc.errno}" if exc.errno else \
            "Unbekannter Fehler des Betriebssystems"
    return EnvironmentProblem(f"„{shown}“ konnte nicht {doing} werden: {text}.",
                              path=where)
