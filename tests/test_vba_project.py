"""Tests for the CFB writer (xl_cseg.build.cfb) and the VBA project builder."""

from __future__ import annotations

import random
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, VBA_Project

from xl_cseg.build.cfb import cfb_name_key, write_cfb
from xl_cseg.build.ovba import decompress
from xl_cseg.build.vba_project import VbaModule, VbaSourceError, build_vba_project, normalize_source

XLWINGS_DIR = Path(xlwings.__file__).parent
NOSTREAM = 0xFFFFFFFF

CLASS_SOURCE = """VERSION 1.0 CLASS
BEGIN
  MultiUse = -1  'True
END
Attribute VB_Name = "Zaehler"
Attribute VB_GlobalNameSpace = False
Attribute VB_Creatable = False
Attribute VB_PredeclaredId = False
Attribute VB_Exposed = False
Option Explicit
Private mWert As Long
Public Sub Erhoehen()
    mWert = mWert + 1
End Sub
"""

CLASS_STORED = (
    'Attribute VB_Name = "Zaehler"\r\n'
    'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"\r\n'
    "Attribute VB_GlobalNameSpace = False\r\n"
    "Attribute VB_Creatable = False\r\n"
    "Attribute VB_PredeclaredId = False\r\n"
    "Attribute VB_Exposed = False\r\n"
    "Attribute VB_TemplateDerived = False\r\n"
    "Attribute VB_Customizable = False\r\n"
    "Option Explicit\r\n"
    "Private mWert As Long\r\n"
    "Public Sub Erhoehen()\r\n"
    "    mWert = mWert + 1\r\n"
    "End Sub\r\n"
)


def _document_header(name: str, base: str) -> str:
    return (
        f'Attribute VB_Name = "{name}"\r\n'
        f'Attribute VB_Base = "0{{{base}}}"\r\n'
        "Attribute VB_GlobalNameSpace = False\r\n"
        "Attribute VB_Creatable = False\r\n"
        "Attribute VB_PredeclaredId = True\r\n"
        "Attribute VB_Exposed = True\r\n"
        "Attribute VB_TemplateDerived = False\r\n"
        "Attribute VB_Customizable = True\r\n"
    )


WORKBOOK_BASE = "00020819-0000-0000-C000-000000000046"
WORKSHEET_BASE = "00020820-0000-0000-C000-000000000046"

MODULES = [
    VbaModule("ThisWorkbook", "document", "Private Sub Workbook_Open()\n    Ribbon.Init\nEnd Sub\n"),
    VbaModule("Tabelle1", "document", ""),
    VbaModule("Ribbon", "standard", "Option Explicit\r\nSub Init()\r\n    MsgBox \"Grüße – 5 €\"\r\nEnd Sub"),
    VbaModule("Zaehler", "class", CLASS_SOURCE),
    VbaModule("xlwings", "standard", (XLWINGS_DIR / "xlwings.bas").read_text("cp1252")),
    VbaModule("Dictionary", "class", (XLWINGS_DIR / "addin" / "Dictionary.cls").read_text("cp1252")),
]


@pytest.fixture(scope="module")
def project_bin() -> bytes:
    return build_vba_project(MODULES)


def _strict_ole(data: bytes) -> olefile.OleFileIO:
    # DEFECT_UNSURE is olefile's strictest level; anything below it is recorded in parsing_issues.
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_UNSURE)
    assert ole.parsing_issues == []
    return ole


def _reference_ole(name: str) -> olefile.OleFileIO:
    with zipfile.ZipFile(XLWINGS_DIR / name) as archive:
        return olefile.OleFileIO(archive.read("xl/vbaProject.bin"))


def _parsed_project(ole: olefile.OleFileIO) -> VBA_Project:
    """Parse dir and PROJECT with oletools in strict mode (raises on any unexpected value)."""
    project = VBA_Project(ole, "", "PROJECT", "VBA/dir", relaxed=False)
    project.parse_project_stream()
    list(project.parse_modules())
    return project


def _dir_records(dir_stream: bytes) -> list[tuple[int, bytes]]:
    """Split a decompressed dir stream into (id, payload) records.

    Every record is id (u16), size (u32), payload, except PROJECTVERSION (0x0009)
    whose u32 "size" is a reserved 4 followed by 6 payload bytes.
    """
    records, pos = [], 0
    while pos < len(dir_stream):
        record_id, size = struct.unpack_from("<HI", dir_stream, pos)
        pos += 6
        if record_id == 0x0009:
            assert size == 4
            size = 6
        records.append((record_id, dir_stream[pos : pos + size]))
        pos += size
    assert pos == len(dir_stream)
    return records


def _decrypt(hex_text: str) -> tuple[int, bytes]:
    """MS-OVBA 2.4.3.3 decryption: returns (ProjKey, Data)."""
    raw = bytes.fromhex(hex_text)
    seed, version_enc, proj_key_enc = raw[:3]
    assert seed ^ version_enc == 2
    proj_key = seed ^ proj_key_enc
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    plain = bytearray()
    for byte_enc in raw[3:]:
        byte = byte_enc ^ ((encrypted2 + unencrypted1) & 0xFF)
        encrypted2, encrypted1, unencrypted1 = encrypted1, byte_enc, byte
        plain.append(byte)
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4 :])
    assert len(data) == length
    return proj_key, data


# --- CFB writer -----------------------------------------------------------------------


def _check_siblings(ole: olefile.OleFileIO, root_sid: int) -> int:
    """Check BST order and red-black rules of a sibling tree; return its black height."""
    entries = ole.direntries

    def walk(sid: int, lower: tuple | None, upper: tuple | None, parent_red: bool) -> int:
        if sid == NOSTREAM:
            return 1
        entry = entries[sid]
        key = cfb_name_key(entry.name)
        assert lower is None or lower < key
        assert upper is None or key < upper
        red = entry.color == 0
        assert not (red and parent_red), "red node with red child"
        left = walk(entry.sid_left, lower, key, red)
        right = walk(entry.sid_right, key, upper, red)
        assert left == right, "unequal black height"
        return left + (0 if red else 1)

    assert entries[root_sid].color == 1, "tree root must be black"
    return walk(root_sid, None, None, False)


def _check_tree(ole: olefile.OleFileIO, tree: dict, path: list[str]) -> None:
    listed = {tuple(p) for p in ole.listdir(streams=True, storages=True)}
    for name, value in tree.items():
        full = [*path, name]
        assert tuple(full) in listed
        if isinstance(value, dict):
            assert ole.get_type(full) == olefile.STGTY_STORAGE
            _check_tree(ole, value, full)
        else:
            assert ole.get_type(full) == olefile.STGTY_STREAM
            assert ole.get_size(full) == len(value)
            assert ole.openstream(full).read() == value


def _count(tree: dict) -> int:
    return sum(1 + (_count(v) if isinstance(v, dict) else 0) for v in tree.values())


@pytest.mark.parametrize("size", [0, 1, 63, 64, 4095, 4096, 4097, 100_000])
def test_cfb_stream_sizes_roundtrip_strictly(size: int) -> None:
    payload = bytes(random.Random(size).randrange(256) for _ in range(size))
    tree = {"Daten": payload, "Leer": b"", "Sub": {"Innen": payload[::-1], "Tief": {"x": b"1"}}}
    ole = _strict_ole(write_cfb(tree))
    _check_tree(ole, tree, [])
    assert len(ole.listdir(streams=True, storages=True)) == _count(tree)


def test_cfb_all_sizes_together_and_determinism() -> None:
    tree = {f"s{size}": bytes([size % 251]) * size for size in (0, 4095, 4096, 100_000)}
    tree["Storage"] = {"a": b"A", "B": {}}
    data = write_cfb(tree)
    assert write_cfb(dict(reversed(list(tree.items())))) == data
    ole = _strict_ole(data)
    _check_tree(ole, tree, [])
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    assert len(data) % 512 == 0
    for entry in ole.direntries:
        if entry is not None:
            assert entry.clsid == "" and entry.createTime == 0 and entry.modifyTime == 0


@pytest.mark.parametrize("count", [*range(1, 18), 31, 32, 33, 63, 64, 100])
def test_cfb_sibling_order_and_red_black_tree(count: int) -> None:
    names = [f"{'x' * (i % 5)}{i}" for i in range(count)]
    tree = {name: name.encode() for name in random.Random(count).sample(names, count)}
    ole = _strict_ole(write_cfb(tree))
    root = ole.direntries[0]
    _check_siblings(ole, root.sid_child)
    _check_tree(ole, tree, [])


def test_cfb_name_order_is_length_then_uppercase() -> None:
    names = ["PROJECTwm", "VBA", "PROJECT", "b", "A", "_VBA_PROJECT", "dir", "Zz", "aB"]
    expected = ["A", "b", "aB", "Zz", "dir", "VBA", "PROJECT", "PROJECTwm", "_VBA_PROJECT"]
    assert sorted(names, key=cfb_name_key) == expected


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"x" * 32: b""}, "31 UTF-16"),
        ({"a/b": b""}, "contains"),
        ({"": b""}, "non-empty"),
        ({"Name": b"", "NAME": b""}, "duplicate"),
    ],
)
def test_cfb_rejects_bad_names(tree: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write_cfb(tree)


def test_cfb_rejects_more_than_109_fat_sectors() -> None:
    with pytest.raises(ValueError, match="109"):
        write_cfb({"big": bytes(109 * 128 * 512)})


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet="abcXYZ_1", min_size=1, max_size=6),
        st.one_of(st.binary(max_size=5000), st.dictionaries(st.sampled_from("pqr"), st.binary(max_size=300))),
        max_size=12,
    )
)
def test_cfb_property_roundtrip(tree: dict) -> None:
    if len({cfb_name_key(name) for name in tree}) != len(tree):
        with pytest.raises(ValueError, match="duplicate"):
            write_cfb(tree)
        return
    ole = _strict_ole(write_cfb(tree))
    _check_tree(ole, tree, [])


# --- normalize_source -------------------------------------------------------------------


def test_normalize_class_module_strips_header_and_adds_vbe_attributes() -> None:
    assert normalize_source(MODULES[3]) == CLASS_STORED


def test_normalize_class_module_without_attributes_gets_defaults() -> None:
    module = VbaModule("Zaehler", "class", CLASS_SOURCE.split("Option Explicit\n", 1)[1])
    assert normalize_source(module) == CLASS_STORED.replace("Option Explicit\r\n", "")


def test_normalize_standard_module() -> None:
    module = VbaModule("Ribbon", "standard", "Sub A()\rEnd Sub\n\n")
    assert normalize_source(module) == 'Attribute VB_Name = "Ribbon"\r\nSub A()\r\nEnd Sub\r\n\r\n'
    again = VbaModule("Ribbon", "standard", normalize_source(module))
    assert normalize_source(again) == normalize_source(module)


def test_normalize_document_modules() -> None:
    assert normalize_source(MODULES[1]) == _document_header("Tabelle1", WORKSHEET_BASE)
    body = "Private Sub Workbook_Open()\r\n    Ribbon.Init\r\nEnd Sub\r\n"
    assert normalize_source(MODULES[0]) == _document_header("ThisWorkbook", WORKBOOK_BASE) + body
    exported = "VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\nEND\r\n" + _document_header(
        "DieseArbeitsmappe", WORKBOOK_BASE
    )
    assert normalize_source(VbaModule("DieseArbeitsmappe", "document", exported)) == _document_header(
        "DieseArbeitsmappe", WORKBOOK_BASE
    )


def test_normalize_matches_what_excel_stored_for_xlwings_modules() -> None:
    # Byte-exact: sources exported by the VBE (shipped with xlwings) against the
    # decompressed streams Excel stored in xlwings.xlam / quickstart_standalone.xlsm.
    stored = {m.name: m.code_raw for m in _parsed_project(_reference_ole("addin/xlwings.xlam")).modules}
    stored_qs = {m.name: m.code_raw for m in _parsed_project(_reference_ole("quickstart_standalone.xlsm")).modules}
    cases = [
        (VbaModule(n, "class", (XLWINGS_DIR / "addin" / f"{n}.cls").read_text("cp1252")), stored[n])
        for n in ("Dictionary", "IWebAuthenticator", "WebRequest", "WebResponse")
    ]
    cases += [
        (VbaModule(n, "standard", (XLWINGS_DIR / "addin" / f"{n}.bas").read_text("cp1252")), stored[n])
        for n in ("Config", "License", "WebHelpers")
    ]
    # xlwings injected xlwings.bas into quickstart_standalone.xlsm with LF line ends; we store CRLF.
    cases.append((MODULES[4], stored_qs["xlwings"].replace(b"\n", b"\r\n")))
    for name in ("ThisWorkbook", "Sheet1", "Sheet2"):
        cases.append((VbaModule(name, "document", ""), stored_qs[name]))
    for module, expected in cases:
        assert normalize_source(module).encode("cp1252") == expected, module.name


# --- build_vba_project ------------------------------------------------------------------


def test_project_opens_strictly_in_olefile(project_bin: bytes) -> None:
    ole = olefile.OleFileIO(project_bin, raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.parsing_issues == []
    ole = _strict_ole(project_bin)
    expected = {("PROJECT",), ("PROJECTwm",), ("VBA",), ("VBA", "_VBA_PROJECT"), ("VBA", "dir")}
    expected |= {("VBA", m.name) for m in MODULES}
    assert {tuple(p) for p in ole.listdir(streams=True, storages=True)} == expected
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000100")


def test_olevba_extracts_every_module_exactly(project_bin: bytes) -> None:
    # extract_macros() yields the whole decompressed module text decoded with the
    # project code page, Attribute lines included (olevba only filters them for
    # display), so the full text must equal normalize_source() character by character.
    parser = VBA_Parser("x.xlsm", data=project_bin)
    assert parser.detect_vba_macros()
    extracted = {}
    for _, stream_path, filename, code in parser.extract_macros():
        extracted[stream_path] = (filename, code)
    expected_ext = {"standard": "bas", "class": "cls", "document": "cls"}
    assert set(extracted) == {f"VBA/{m.name}" for m in MODULES}
    for module in MODULES:
        filename, code = extracted[f"VBA/{module.name}"]
        assert filename == f"{module.name}.{expected_ext[module.kind]}"
        assert code == normalize_source(module)


def test_oletools_strict_dir_parse(project_bin: bytes) -> None:
    # relaxed=False: oletools raises on any record value that deviates from MS-OVBA.
    ole = _strict_ole(project_bin)
    project = _parsed_project(ole)
    assert (project.syskind, project.lcid, project.lcidinvoke, project.codepage) == (3, 0x409, 0x409, 1252)
    assert project.projectname == "VBAProject"
    assert [m.name for m in project.modules] == [m.name for m in MODULES]
    for built, module in zip(project.modules, MODULES, strict=True):
        assert built.streamname == module.name
        assert built.textoffset == 0
        assert built.type == (0x21 if module.kind == "standard" else 0x22)
        # Byte-exact: the whole stream is the compressed, cp1252-encoded normalized source.
        assert built.code_raw == normalize_source(module).encode("cp1252")
        assert decompress(ole.openstream(f"VBA/{module.name}").read()) == built.code_raw


def test_project_stream(project_bin: bytes) -> None:
    ole = _strict_ole(project_bin)
    text = ole.openstream("PROJECT").read().decode("cp1252")
    lines = text.split("\r\n")
    assert text.endswith("Dictionary=0, 0, 0, 0, C\r\n")
    project_id = lines[0].removeprefix('ID="').removesuffix('"')
    assert len(project_id) == 38 and project_id.startswith("{") and project_id.endswith("}")
    assert lines[1:7] == [
        "Document=ThisWorkbook/&H00000000",
        "Document=Tabelle1/&H00000000",
        "Module=Ribbon",
        "Class=Zaehler",
        "Module=xlwings",
        "Class=Dictionary",
    ]
    assert lines[7:10] == ['Name="VBAProject"', 'HelpContextID="0"', 'VersionCompatible32="393222000"']
    values = dict(line.split("=", 1) for line in lines[10:13])
    proj_key = sum(project_id.encode()) & 0xFF
    assert _decrypt(values["CMG"].strip('"')) == (proj_key, bytes(4))  # not protected
    assert _decrypt(values["DPB"].strip('"')) == (proj_key, b"\x00")  # no password
    assert _decrypt(values["GC"].strip('"')) == (proj_key, b"\xff")  # visible
    assert lines[13:] == [
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *(f"{m.name}=0, 0, 0, 0, C" for m in MODULES),
        "",
    ]


def test_reference_protection_values_decrypt_like_ours() -> None:
    # Sanity check of the test's decryption against Excel's values (unprotected project).
    text = _reference_ole("quickstart_standalone.xlsm").openstream("PROJECT").read().decode("cp1252")
    values = dict(line.split("=", 1) for line in text.split("\r\n") if "=" in line)
    proj_key = sum(values["ID"].strip('"').encode()) & 0xFF
    assert _decrypt(values["CMG"].strip('"')) == (proj_key, bytes(4))
    assert _decrypt(values["DPB"].strip('"')) == (proj_key, b"\x00")
    assert _decrypt(values["GC"].strip('"')) == (proj_key, b"\xff")


def test_project_wm_stream(project_bin: bytes) -> None:
    data = _strict_ole(project_bin).openstream("PROJECTwm").read()
    expected = b"".join(m.name.encode("cp1252") + b"\0" + m.name.encode("utf-16-le") + b"\0\0" for m in MODULES)
    assert data == expected + b"\0\0"


def test_build_is_deterministic(project_bin: bytes) -> None:
    assert build_vba_project(MODULES) == project_bin
    other = build_vba_project(MODULES, project_name="Segmentierung")
    assert other != project_bin
    assert _parsed_project(_strict_ole(other)).projectname == "Segmentierung"


def test_dir_record_layout_matches_xlwings_xlam() -> None:
    # xlwings.xlam has exactly our two references (stdole, Office). Building a
    # project with its module names and kinds must give the same record id
    # sequence, and the same payloads except for values that are free to differ.
    ole = _reference_ole("addin/xlwings.xlam")
    reference = _dir_records(decompress(ole.openstream("VBA/dir").read()))
    text = ole.openstream("PROJECT").read().decode("cp1252")
    documents = {line[len("Document=") :].split("/")[0] for line in text.split("\r\n") if line.startswith("Document=")}
    kinds = {0x21: "standard", 0x22: "class"}
    modules = [
        VbaModule(m.name, "document" if m.name in documents else kinds[m.type], "")
        for m in _parsed_project(ole).modules
    ]
    built = _strict_ole(build_vba_project(modules, project_name="xlwings"))
    ours = _dir_records(decompress(built.openstream("VBA/dir").read()))
    assert [rid for rid, _ in ours] == [rid for rid, _ in reference]
    # 0x0009 version, 0x0013/0x002C cookies, 0x0031 p-code offsets, 0x001C/0x0048 module docstrings.
    free = {0x0009, 0x0013, 0x002C, 0x0031, 0x001C, 0x0048}
    for (rid, payload), (_, expected) in zip(ours, reference, strict=True):
        if rid not in free:
            assert payload == expected, hex(rid)


def test_dir_record_shape_matches_quickstart_standalone(project_bin: bytes) -> None:
    # quickstart_standalone.xlsm references MSForms and Office (not stdole), so
    # compare the parts separately: project information, the Office reference,
    # the module list and each MODULE record (by module type), and the terminator.
    reference = _dir_records(decompress(_reference_ole("quickstart_standalone.xlsm").openstream("VBA/dir").read()))
    ours = _dir_records(decompress(_strict_ole(project_bin).openstream("VBA/dir").read()))

    def split(records: list[tuple[int, bytes]]) -> tuple[list, list, dict, list]:
        first_ref = next(i for i, (rid, _) in enumerate(records) if rid == 0x0016)
        modules_at = next(i for i, (rid, _) in enumerate(records) if rid == 0x000F)
        references = records[first_ref:modules_at]
        office = next(i for i, (rid, data) in enumerate(references) if rid == 0x0016 and data == b"Office")
        module_shapes: dict[int, list[int]] = {}
        current: list[int] = []
        for rid, _ in records[modules_at + 2 : -1]:
            current.append(rid)
            if rid == 0x002B:
                module_type = next(r for r in current if r in (0x21, 0x22))
                assert module_shapes.setdefault(module_type, current) == current
                current = []
        return [rid for rid, _ in records[:first_ref]], references[office : office + 3], module_shapes, records[-1:]

    ref_info, ref_office, ref_modules, ref_end = split(reference)
    our_info, our_office, our_modules, our_end = split(ours)
    assert our_info == ref_info
    assert our_office == ref_office
    assert our_modules == ref_modules
    assert our_end == ref_end == [(0x0010, b"")]
    assert [rid for rid, _ in ours if rid in (0x000F, 0x0013)] == [0x000F, 0x0013]


def test_class_and_document_modules_roundtrip() -> None:
    modules = [MODULES[0], MODULES[3]]
    data = build_vba_project(modules)
    codes = {path: code for _, path, _, code in VBA_Parser("x.xlsm", data=data).extract_macros()}
    assert codes == {"VBA/ThisWorkbook": normalize_source(MODULES[0]), "VBA/Zaehler": CLASS_STORED}
    project = _parsed_project(_strict_ole(data))
    assert [(m.name, m.type) for m in project.modules] == [("ThisWorkbook", 0x22), ("Zaehler", 0x22)]
    assert project.module_ext == {"thisworkbook": "cls", "zaehler": "cls"}


def test_realistic_xlwings_modules_roundtrip() -> None:
    modules = [MODULES[4], MODULES[5]]
    codes = {
        path: code for _, path, _, code in VBA_Parser("x.xlsm", data=build_vba_project(modules)).extract_macros()
    }
    # The .bas file (CRLF, starts with Attribute VB_Name) is stored unchanged.
    assert codes["VBA/xlwings"] == (XLWINGS_DIR / "xlwings.bas").read_bytes().decode("cp1252")
    dictionary = (XLWINGS_DIR / "addin" / "Dictionary.cls").read_bytes().decode("cp1252")
    assert codes["VBA/Dictionary"].endswith(dictionary.split("Attribute VB_Exposed = True\r\n", 1)[1])
    assert codes["VBA/Dictionary"] == normalize_source(modules[1])


# --- errors -----------------------------------------------------------------------------


def test_unencodable_character_names_module_and_line() -> None:
    source = "\n".join(["' Zeile"] * 11 + ['MsgBox "weiter →"', "End Sub"])
    with pytest.raises(VbaSourceError) as info:
        build_vba_project([VbaModule("Ribbon", "standard", source)])
    assert str(info.value) == 'Modul Ribbon, Zeile 12: Zeichen "→" ist in VBA (Codepage 1252) nicht darstellbar'
    assert isinstance(info.value, ValueError)


def test_cp1252_characters_are_fine() -> None:
    module = VbaModule("Texte", "standard", 'Const A = "Größe: 5 € – „ok“"\n')
    data = build_vba_project([module])
    project = _parsed_project(_strict_ole(data))
    assert project.modules[0].code_raw == normalize_source(module).encode("cp1252")


@pytest.mark.parametrize("name", ["", "1Modul", "_Modul", "Mein Modul", "Modul-1", "M" * 32, "Modul→", "Dir"])
def test_invalid_module_names_are_rejected(name: str) -> None:
    with pytest.raises(VbaSourceError):
        build_vba_project([VbaModule(name, "standard", "")])


def test_valid_module_names() -> None:
    names = ["M" * 31, "Übersicht", "Modul_1", "A"]
    data = build_vba_project([VbaModule(n, "standard", "") for n in names])
    assert [m.name for m in _parsed_project(_strict_ole(data)).modules] == names


def test_duplicate_module_names_are_rejected() -> None:
    with pytest.raises(VbaSourceError, match="mehrfach"):
        build_vba_project([VbaModule("Ribbon", "standard", ""), VbaModule("RIBBON", "class", "")])


def test_other_errors() -> None:
    with pytest.raises(VbaSourceError, match="Modulart"):
        build_vba_project([VbaModule("Ribbon", "form", "")])
    with pytest.raises(VbaSourceError, match="VB_Name"):
        build_vba_project([VbaModule("Ribbon", "standard", 'Attribute VB_Name = "Anders"\n')])
    with pytest.raises(VbaSourceError, match="Projektname"):
        build_vba_project([], project_name="Mein Projekt")
