"""Read written files back with Apache POI (Debian ``libapache-poi-java``, Java 17).

``PoiRead.java`` opens each file with ``XSSFWorkbook`` and walks every cell; :func:`poi_read`
runs it once for many files and returns what it saw per file.

Debian's ``poi-ooxml-schemas.jar`` lacks the XMLBeans type system (``XSSFWorkbook`` fails with
``POIXMLException: .../TypeSystemHolder``), so the schema classes are compiled here from the same
ECMA-376 schemas POI is built from (``../shared/schemas/ecma-376``, with its ``xsdconfig``) by
XMLBeans' own schema compiler, once, into a cache folder keyed by the schemas' and jars' content
(a few minutes the first time; ``XL_CSEG_TEST_CACHE`` sets the folder).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .schema import SCHEMAS

JAVA_DIR = Path("/usr/share/java")
POI_JARS = ("poi.jar", "poi-ooxml.jar", "xmlbeans.jar", "commons-collections4.jar",
            "commons-compress.jar", "commons-codec.jar", "commons-math3.jar", "curvesapi.jar",
            "commons-logging.jar")
# presentation and word schemas are not needed to read spreadsheets; of WordprocessingML, VML
# and math refer to one element and four groups: a stub with just those saves a quarter of the
# classes to compile
SCHEMA_FILES = ("sml-", "dml-", "shared-", "vml-", "markup-compatibility")
WML_STUB = """<?xml version="1.0" encoding="utf-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified"
    targetNamespace="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <xsd:element name="txbxContent">
    <xsd:complexType><xsd:sequence>
      <xsd:any minOccurs="0" maxOccurs="unbounded" processContents="lax"/>
    </xsd:sequence></xsd:complexType>
  </xsd:element>
  <xsd:group name="EG_RunLevelElts">
    <xsd:sequence>
      <xsd:any namespace="##other" minOccurs="0" maxOccurs="unbounded" processContents="lax"/>
    </xsd:sequence>
  </xsd:group>
  <xsd:group name="EG_RPr">
    <xsd:sequence>
      <xsd:any namespace="##other" minOccurs="0" maxOccurs="unbounded" processContents="lax"/>
    </xsd:sequence>
  </xsd:group>
  <xsd:group name="EG_RPrMath">
    <xsd:sequence>
      <xsd:any namespace="##other" minOccurs="0" maxOccurs="unbounded" processContents="lax"/>
    </xsd:sequence>
  </xsd:group>
  <xsd:group name="EG_RunInnerContent">
    <xsd:sequence>
      <xsd:any namespace="##other" minOccurs="0" maxOccurs="unbounded" processContents="lax"/>
    </xsd:sequence>
  </xsd:group>
</xsd:schema>
"""
READER = Path(__file__).with_name("PoiRead.java")


def _available() -> bool:
    return bool(shutil.which("java") and shutil.which("javac") and SCHEMAS.is_dir()
                and all((JAVA_DIR / jar).is_file() for jar in POI_JARS))


needs_poi = pytest.mark.skipif(not _available(),
                               reason="Java 17, Apache POI (libapache-poi-java) or the ECMA-376 "
                                      "schemas not available")


def _cache_root() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "xl-cseg-tests"
    return Path(os.environ.get("XL_CSEG_TEST_CACHE", default))


def _schema_sources() -> list[Path]:
    return sorted(p for p in SCHEMAS.iterdir()
                  if p.suffix == ".xsd" and p.name.startswith(SCHEMA_FILES))


@functools.cache
def _classpath() -> str:
    """Classpath with the compiled schemas first (built on first use, shared by processes)."""
    digest = hashlib.sha256()
    for path in [*_schema_sources(), SCHEMAS / "ooxmlSchemas.xsdconfig", READER,
                 *(JAVA_DIR / jar for jar in POI_JARS)]:
        digest.update(path.name.encode() + path.resolve().read_bytes())
    digest.update(WML_STUB.encode())
    folder = _cache_root() / digest.hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    jars = [str(JAVA_DIR / jar) for jar in POI_JARS]
    schemas_jar = folder / "ooxml-schemas.jar"
    classes = folder / "classes"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not schemas_jar.is_file():
            work = folder / "work"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            for path in [*_schema_sources(), SCHEMAS / "ooxmlSchemas.xsdconfig"]:
                shutil.copy(path, work / path.name)
            (work / "wml.xsd").write_text(WML_STUB, encoding="utf-8")
            tmp = folder / "ooxml-schemas.jar.tmp"
            run = subprocess.run(
                ["java", "-cp", f"{JAVA_DIR / 'xmlbeans.jar'}:{JAVA_DIR / 'commons-io.jar'}",
                 "org.apache.xmlbeans.impl.tool.SchemaCompiler", "-out", str(tmp), "-noupa",
                 "-nopvr", *sorted(p.name for p in work.iterdir())],
                cwd=work, capture_output=True, text=True, timeout=1800)
            if run.returncode != 0 or not tmp.is_file():
                raise RuntimeError(f"XMLBeans schema compiler failed:\n{run.stdout[-3000:]}"
                                   f"{run.stderr[-3000:]}")
            os.replace(tmp, schemas_jar)
            shutil.rmtree(work, ignore_errors=True)
        if not (classes / "PoiRead.class").is_file():
            classes.mkdir(exist_ok=True)
            subprocess.run(["javac", "-d", str(classes), "-cp", ":".join(jars), str(READER)],
                           check=True, capture_output=True, timeout=300)
    return ":".join([str(classes), str(schemas_jar), *jars])


@dataclass
class PoiResult:
    ok: bool
    error: str = ""
    sheets: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (rows, cells)
    cells: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # "S!A1" -> (type,
    # number format, value as German Excel would show it)


def poi_read(paths: list[Path], cells: bool = False) -> dict[Path, PoiResult]:
    """Open each file with POI's XSSFWorkbook and walk all cells (one JVM for all files)."""
    run = subprocess.run(["java", "-cp", _classpath(), "PoiRead", *(["-cells"] if cells else []),
                          *map(str, paths)], capture_output=True, text=True, timeout=600)
    results: dict[Path, PoiResult] = {}
    current: PoiResult | None = None
    for line in run.stdout.splitlines():
        kind, _tab, rest = line.partition("\t")
        if kind == "FILE":
            current = results[Path(rest)] = PoiResult(ok=False)
        elif current is None:
            continue
        elif kind == "SHEET":
            name, rows, count = rest.rsplit("\t", 2)
            current.sheets[name] = (int(rows), int(count))
        elif kind == "CELL":
            ref, cell_type, fmt, shown = (rest.split("\t") + [""] * 4)[:4]
            current.cells[ref] = (cell_type, fmt, shown)
        elif kind == "OK":
            current.ok = True
        elif kind == "ERROR":
            current.error = rest
    missing = [p for p in paths if Path(p) not in results]
    if missing:
        raise RuntimeError(f"POI did not report {missing}: {run.stderr[-2000:]}")
    return results


def assert_poi_reads(paths: list[Path], cells: bool = False) -> dict[Path, PoiResult]:
    """Every file opens in POI and every sheet has cells; the results per file."""
    results = poi_read(paths, cells)
    bad = {p.name: r.error for p, r in results.items() if not r.ok}
    assert not bad, f"POI kann nicht lesen: {bad}"
    return results
