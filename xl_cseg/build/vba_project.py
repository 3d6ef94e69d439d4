"""Build an Excel VBA project (``xl/vbaProject.bin``) from module source code only.

The project follows MS-OVBA: a compound file with the root streams
``PROJECT`` and ``PROJECTwm`` and the storage ``VBA`` holding ``_VBA_PROJECT``,
the compressed ``dir`` stream and one compressed source stream per module.
No p-code (performance cache) is written: ``_VBA_PROJECT`` has version 0xFFFF
and every MODULEOFFSET is 0, so Excel compiles the modules from source when
the workbook is opened.

The layout mirrors what Excel 2016+ (64-bit) writes for a project without
p-code, e.g. xlwings' ``xlwings.xlam``: PROJECTSYSKIND 3 (Win64), LCID 0x409,
references to stdole and the Office 16 object library (for IRibbonControl).

Document modules must match the workbook: ``ThisWorkbook`` (or the name in
``workbookPr/@codeName``) and one module per sheet ``codeName``.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from xl_cseg.build.cfb import write_cfb
from xl_cseg.build.ovba import compress

__all__ = ["VbaModule", "VbaSourceError", "build_vba_project", "normalize_source"]

MODULE_KINDS = ("standard", "class", "document")

_SYSKIND_WIN64 = 3
_LCID_EN_US = 0x409
# Reserved1 0x61CC, Version 0xFFFF (no performance cache), Reserved2 0x00,
# Reserved3 0x0001 (as in the source-only projects xlwings ships and Excel opens).
_VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"
_REFERENCES = (
    ("stdole", r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation"),
    (
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared"
        r"\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)
_HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"
_PROJECT_ID_NAMESPACE = uuid.UUID("5b0f3c1e-2f4a-4d7e-9c1a-7a3e0d6b8f21")

_CLASS_BASE = '"0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"'
_WORKBOOK_BASE = '"0{00020819-0000-0000-C000-000000000046}"'
_WORKSHEET_BASE = '"0{00020820-0000-0000-C000-000000000046}"'
_WORKBOOK_CODENAMES = frozenset({"thisworkbook", "diesearbeitsmappe"})

# Header attributes the VBE stores for class and document modules, in its order,
# with the defaults used when the source does not set them.
_CLASS_ATTRIBUTES = (
    ("VB_GlobalNameSpace", "False"),
    ("VB_Creatable", "False"),
    ("VB_PredeclaredId", "False"),
    ("VB_Exposed", "False"),
    ("VB_TemplateDerived", "False"),
    ("VB_Customizable", "False"),
)
_DOCUMENT_ATTRIBUTES = (
    ("VB_GlobalNameSpace", "False"),
    ("VB_Creatable", "False"),
    ("VB_PredeclaredId", "True"),
    ("VB_Exposed", "True"),
    ("VB_TemplateDerived", "False"),
    ("VB_Customizable", "True"),
)
_CANONICAL_ATTRIBUTE = {name.lower(): name for name, _ in _CLASS_ATTRIBUTES} | {
    "vb_name": "VB_Name",
    "vb_base": "VB_Base",
}

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ATTRIBUTE_LINE = re.compile(r"^Attribute\s+(VB_\w+)\s*=\s*(.*?)\s*$", re.IGNORECASE)


class VbaSourceError(ValueError):
    """Invalid VBA module (name, kind or characters outside the project code page)."""


@dataclass(frozen=True)
class VbaModule:
    """One VBA module.

    name: VBA identifier (e.g. "xlwings", "Dictionary", "ThisWorkbook", "Tabelle1").
    kind: "standard" (.bas), "class" (.cls) or "document" (workbook/sheet module).
    source: module text as exported by the VBE; it may start with the
        ``VERSION 1.0 CLASS``/``BEGIN``/``END`` header and ``Attribute`` lines.
    """

    name: str
    kind: str
    source: str


def _split_lines(text: str) -> list[str]:
    lines = _LINE_BREAK.split(text.removeprefix("\ufeff"))
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _strip_class_header(lines: list[str]) -> list[str]:
    """Drop a leading ``VERSION 1.0 CLASS`` / ``BEGIN`` ... ``END`` block."""
    if not lines or not re.fullmatch(r"VERSION\s+[\d.]+\s+CLASS\s*", lines[0], re.IGNORECASE):
        return lines
    if len(lines) > 1 and lines[1].strip().upper() == "BEGIN":
        for index in range(2, len(lines)):
            if lines[index].strip().upper() == "END":
                return lines[index + 1 :]
    return lines[1:]


def normalize_source(module: VbaModule) -> str:
    """Return the exact module text stored in the project (before encoding).

    - Line breaks become CRLF and the text ends with CRLF.
    - A leading ``VERSION 1.0 CLASS``/``BEGIN``/``END`` block is removed (the
      VBE strips it on import).
    - The leading ``Attribute`` block is rewritten the way the VBE stores it:
      ``VB_Name`` first (added if missing; a different name is an error);
      class and document modules then get ``VB_Base`` and the six flags
      ``VB_GlobalNameSpace``, ``VB_Creatable``, ``VB_PredeclaredId``,
      ``VB_Exposed``, ``VB_TemplateDerived``, ``VB_Customizable`` (values from
      the source if present, else the VBE defaults; document modules default
      to the workbook base for "ThisWorkbook"/"DieseArbeitsmappe" and to the
      worksheet base otherwise). Other leading attributes such as
      ``VB_Description`` follow in their original order.
    - Everything after the leading attribute block is kept unchanged.
    """
    _check_kind(module)
    lines = _strip_class_header(_split_lines(module.source))
    attributes: dict[str, tuple[str, str]] = {}
    body_start = 0
    while body_start < len(lines) and (match := _ATTRIBUTE_LINE.match(lines[body_start])):
        key = match.group(1).lower()
        attributes[key] = (_CANONICAL_ATTRIBUTE.get(key, match.group(1)), match.group(2))
        body_start += 1

    expected_name = f'"{module.name}"'
    _, given_name = attributes.pop("vb_name", ("VB_Name", expected_name))
    if given_name != expected_name:
        raise VbaSourceError(
            f"Modul {module.name}: Attribute VB_Name = {given_name} passt nicht zum Modulnamen {expected_name}"
        )
    header = [("VB_Name", expected_name)]
    if module.kind != "standard":
        if module.kind == "class":
            base, flags = _CLASS_BASE, _CLASS_ATTRIBUTES
        else:
            is_workbook = module.name.lower() in _WORKBOOK_CODENAMES
            base, flags = (_WORKBOOK_BASE if is_workbook else _WORKSHEET_BASE), _DOCUMENT_ATTRIBUTES
        header.append(("VB_Base", attributes.pop("vb_base", ("VB_Base", base))[1]))
        for name, default in flags:
            header.append((name, attributes.pop(name.lower(), (name, default))[1]))
    header.extend(attributes.values())

    out = [f"Attribute {name} = {value}" for name, value in header] + lines[body_start:]
    return "".join(line + "\r\n" for line in out)


def _check_kind(module: VbaModule) -> None:
    if module.kind not in MODULE_KINDS:
        raise VbaSourceError(
            f"Modul {module.name}: unbekannte Modulart {module.kind!r} (erlaubt: {', '.join(MODULE_KINDS)})"
        )


def _codec(codepage: int) -> str:
    try:
        return codecs.lookup(f"cp{codepage}").name
    except LookupError:
        raise ValueError(f"unsupported code page {codepage}") from None


def _check_identifier(name: str, what: str, codec: str) -> None:
    valid = (
        isinstance(name, str)
        and 0 < len(name) <= 31
        and name[0].isalpha()
        and all(c.isalnum() or c == "_" for c in name)
    )
    if valid:
        try:
            name.encode(codec)
        except UnicodeEncodeError:
            valid = False
    if not valid:
        raise VbaSourceError(
            f"{what} {name!r} ist kein gültiger VBA-Bezeichner "
            "(höchstens 31 Zeichen, Buchstabe am Anfang, dann nur Buchstaben, Ziffern und _)"
        )


def _encode_source(module: VbaModule, codec: str, codepage: int) -> bytes:
    """Encode the normalized source; report the first unencodable character by source line."""
    for number, line in enumerate(_split_lines(module.source), start=1):
        try:
            line.encode(codec)
        except UnicodeEncodeError as error:
            char = line[error.start]
            raise VbaSourceError(
                f'Modul {module.name}, Zeile {number}: Zeichen "{char}" ist in VBA '
                f"(Codepage {codepage}) nicht darstellbar"
            ) from None
    return normalize_source(module).encode(codec)


def _record(record_id: int, data: bytes = b"") -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _u16(value: int) -> bytes:
    return struct.pack("<H", value)


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


def _dir_stream(modules: Sequence[VbaModule], project_name: str, codepage: int, codec: str) -> bytes:
    """The decompressed ``dir`` stream (MS-OVBA 2.3.4.2)."""
    parts = [
        _record(0x0001, _u32(_SYSKIND_WIN64)),  # PROJECTSYSKIND
        _record(0x0002, _u32(_LCID_EN_US)),  # PROJECTLCID
        _record(0x0014, _u32(_LCID_EN_US)),  # PROJECTLCIDINVOKE
        _record(0x0003, _u16(codepage)),  # PROJECTCODEPAGE
        _record(0x0004, project_name.encode(codec)),  # PROJECTNAME
        _record(0x0005) + _record(0x0040),  # PROJECTDOCSTRING (+ Unicode)
        _record(0x0006) + _record(0x003D),  # PROJECTHELPFILEPATH (+ second copy)
        _record(0x0007, _u32(0)),  # PROJECTHELPCONTEXT
        _record(0x0008, _u32(0)),  # PROJECTLIBFLAGS
        # PROJECTVERSION: its Reserved field (always 4) sits where a size would be.
        struct.pack("<HIIH", 0x0009, 4, 1, 0),
        _record(0x000C) + _record(0x003C),  # PROJECTCONSTANTS (+ Unicode)
    ]
    for name, libid in _REFERENCES:
        encoded = libid.encode(codec)
        parts.append(_record(0x0016, name.encode(codec)))  # REFERENCENAME
        parts.append(_record(0x003E, name.encode("utf-16-le")))
        # REFERENCEREGISTERED: SizeOfLibid, Libid, Reserved1 (u32 0), Reserved2 (u16 0)
        parts.append(_record(0x000D, _u32(len(encoded)) + encoded + _u32(0) + _u16(0)))
    parts.append(_record(0x000F, _u16(len(modules))))  # PROJECTMODULES
    parts.append(_record(0x0013, _u16(0xFFFF)))  # PROJECTCOOKIE
    for module in modules:
        mbcs, unicode = module.name.encode(codec), module.name.encode("utf-16-le")
        parts += [
            _record(0x0019, mbcs),  # MODULENAME
            _record(0x0047, unicode),  # MODULENAMEUNICODE
            _record(0x001A, mbcs) + _record(0x0032, unicode),  # MODULESTREAMNAME
            _record(0x001C) + _record(0x0048),  # MODULEDOCSTRING (+ Unicode)
            _record(0x0031, _u32(0)),  # MODULEOFFSET: source starts the stream
            _record(0x001E, _u32(0)),  # MODULEHELPCONTEXT
            _record(0x002C, _u16(0xFFFF)),  # MODULECOOKIE
            _record(0x0021 if module.kind == "standard" else 0x0022),  # MODULETYPE
            _record(0x002B),  # module terminator
        ]
    parts.append(_record(0x0010))  # dir terminator
    return b"".join(parts)


def _project_id(project_name: str) -> str:
    return "{" + str(uuid.uuid5(_PROJECT_ID_NAMESPACE, project_name)).upper() + "}"


def _encrypt(project_id: str, data: bytes) -> str:
    """MS-OVBA 2.4.3.2 data encryption, with seed and filler derived from the inputs."""
    digest = hashlib.sha256(project_id.encode("ascii") + data).digest()
    seed = digest[0]
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    version_enc = seed ^ 2
    proj_key_enc = seed ^ proj_key
    out = bytearray([seed, version_enc, proj_key_enc])
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    ignored = digest[1 : 1 + (seed & 6) // 2]
    for byte in ignored + struct.pack("<I", len(data)) + data:
        encrypted = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(encrypted)
        encrypted2, encrypted1, unencrypted1 = encrypted1, encrypted, byte
    return out.hex().upper()


def _project_stream(modules: Sequence[VbaModule], project_name: str, codec: str) -> bytes:
    """The ``PROJECT`` stream text (MS-OVBA 2.3.1) for an unprotected, visible project."""
    project_id = _project_id(project_name)
    lines = [f'ID="{project_id}"']
    for module in modules:
        if module.kind == "document":
            lines.append(f"Document={module.name}/&H00000000")
        elif module.kind == "class":
            lines.append(f"Class={module.name}")
        else:
            lines.append(f"Module={module.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{_encrypt(project_id, bytes(4))}"',  # ProjectProtectionState: none
        f'DPB="{_encrypt(project_id, bytes(1))}"',  # ProjectPassword: none
        f'GC="{_encrypt(project_id, bytes([0xFF]))}"',  # ProjectVisibilityState: visible
        "",
        "[Host Extender Info]",
        _HOST_EXTENDER,
        "",
        "[Workspace]",
    ]
    lines += [f"{module.name}=0, 0, 0, 0, C" for module in modules]
    return "".join(line + "\r\n" for line in lines).encode(codec)


def _project_wm_stream(modules: Sequence[VbaModule], codec: str) -> bytes:
    """The ``PROJECTwm`` stream: MBCS and UTF-16 name of each module."""
    parts = [m.name.encode(codec) + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in modules]
    return b"".join(parts) + b"\0\0"


def build_vba_project(
    modules: Sequence[VbaModule], *, project_name: str = "VBAProject", codepage: int = 1252
) -> bytes:
    """Build the bytes of ``xl/vbaProject.bin`` holding ``modules`` as source code.

    Modules keep their order. The output is deterministic. Raises
    VbaSourceError for invalid or duplicate (case-insensitive) names, unknown
    module kinds and characters that the code page cannot represent.
    """
    codec = _codec(codepage)
    _check_identifier(project_name, "Projektname", codec)
    seen: dict[str, str] = {}
    for module in modules:
        _check_identifier(module.name, "Modulname", codec)
        _check_kind(module)
        key = module.name.lower()
        if key in seen:
            raise VbaSourceError(f'Modulname "{module.name}" ist mehrfach vergeben (schon als "{seen[key]}")')
        if key == "dir":
            raise VbaSourceError('Modulname "dir" ist reserviert (Name des dir-Streams im VBA-Projekt)')
        seen[key] = module.name

    vba_storage: dict[str, bytes] = {
        "_VBA_PROJECT": _VBA_PROJECT_STREAM,
        "dir": compress(_dir_stream(modules, project_name, codepage, codec)),
    }
    for module in modules:
        vba_storage[module.name] = compress(_encode_source(module, codec, codepage))
    return write_cfb(
        {
            "PROJECT": _project_stream(modules, project_name, codec),
            "PROJECTwm": _project_wm_stream(modules, codec),
            "VBA": vba_storage,
        }
    )
