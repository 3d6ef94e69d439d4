"""The generated VBA wrapper matches the UDF module exactly; the wizard-text macro is valid VBA."""

from __future__ import annotations

import inspect
import re

import pytest

from xl_cseg import udfs
from xl_cseg.build.udf_vba import (DOCS_MACRO, DOCS_MODULE_NAME, MODULE_NAME, udf_docs_vba_source,
                                   udf_functions, udf_vba_source)
from xl_cseg.build.vba_project import VbaModule, build_vba_project, normalize_source
from xl_cseg.doctor import vba_modules

_FUNCTION = re.compile(r"^Function (\w+)\((.*)\)$")
_CALL = re.compile(r'^\s+(\w+) = XLPy\.CallUDF\("([\w.]+)", "(\w+)", Array\((.*)\), ThisWorkbook, '
                   r"Application\.Caller\)$")
VBA_KEYWORDS = set("""and as boolean byref byte byval call case const currency date declare dim do
double each else end enum erase error event exit false for friend function get global gosub goto
if implements in integer is let lib like long loop me mod new next not nothing object on option
optional or paramarray preserve private property public raiseevent redim rem resume return select
set single static step stop string sub then to true type typeof until variant wend while with
xor""".split())


@pytest.fixture(scope="module")
def source() -> str:
    return udf_vba_source()


def _python_functions() -> dict[str, inspect.Signature]:
    return {n: inspect.signature(getattr(udfs, n)) for n in dir(udfs)
            if hasattr(getattr(udfs, n), "__xlfunc__")}


def test_header_and_determinism(source):
    lines = source.splitlines()
    assert MODULE_NAME == "xlwings_udfs"
    assert lines[0] == 'Attribute VB_Name = "xlwings_udfs"'
    assert lines[2] == '#Const App = "Microsoft Excel" \'Adjust when using outside of Excel'
    assert udf_vba_source() == source


def test_every_udf_is_wrapped_with_its_arguments(source):
    functions = {m.group(1): m.group(2) for line in source.splitlines()
                 if (m := _FUNCTION.match(line))}
    python = _python_functions()
    assert set(functions) == set(python)  # no extra and no missing functions
    assert all(name.startswith("CSEG_") for name in functions)
    assert len(functions) == 19
    for name, signature in python.items():
        params = [p for p in signature.parameters.values() if p.name != "caller"]
        expected = ", ".join(("Optional " if p.default is not p.empty else "") + p.name
                             for p in params)
        assert functions[name] == expected, name
        assert list(signature.parameters)[-1] == "caller"
    assert not re.search(r"^\s*(Public |Private )?Sub ", source, re.MULTILINE)


def test_calls_pass_arguments_in_order_and_the_caller_as_nothing(source):
    calls = [m.groups() for line in source.splitlines() if (m := _CALL.match(line))]
    assert len(calls) == 19
    for target, module, name, args in calls:
        assert target == name and module == "xl_cseg.udfs"
        expected = [p for p in inspect.signature(getattr(udfs, name)).parameters]
        assert args.split(", ") == [("Nothing" if p == "caller" else p) for p in expected]


def test_arguments_are_valid_vba_identifiers():
    for name, signature in _python_functions().items():
        for param in signature.parameters:
            assert re.fullmatch(r"[a-z][a-z0-9_]{0,30}", param), (name, param)
            assert param not in VBA_KEYWORDS, (name, param)


def test_wizard_texts_fit():
    for f in udf_functions(udfs):
        info = f.__xlfunc__
        assert 0 < len(info["ret"]["doc"]) <= 255, info["name"]
        for arg in info["args"]:
            if arg["name"] != "caller":
                assert arg["doc"] and not arg["doc"].startswith("Positional"), (info["name"], arg)
                assert len(arg["doc"]) <= 255
                assert arg["options"] == {"convert": "raw"}
        assert info["category"] == udfs.CATEGORY


def test_docs_macro_registers_every_function():
    docs = udf_docs_vba_source()
    assert docs.splitlines()[0] == f'Attribute VB_Name = "{DOCS_MODULE_NAME}"'
    assert f"Public Sub {DOCS_MACRO}()" in docs
    for f in udf_functions(udfs):
        info = f.__xlfunc__
        block = docs.split(f'Macro:=book & "{info["name"]}"')[1]
        block = block.split("Application.MacroOptions")[0]
        assert info["ret"]["doc"].replace('"', '""') in block
        visible = [a for a in info["args"] if a["name"] != "caller"]
        assert block.count('", _\n') + block.count('")\n') >= len(visible)
        assert all(a["doc"] in block for a in visible)
    assert "ThisWorkbook.Saved = wasSaved" in docs


def test_modules_build_into_a_vba_project_and_read_back(source):
    modules = [VbaModule(MODULE_NAME, "standard", source),
               VbaModule(DOCS_MODULE_NAME, "standard", udf_docs_vba_source())]
    for module in modules:
        assert max(len(line) for line in module.source.splitlines()) < 1024
        module.source.encode("cp1252")
    read = vba_modules(build_vba_project(modules))
    assert read == {m.name: normalize_source(m) for m in modules}
