"""Number formats for the cells a job writes, appended to ``styles.xml`` where they are missing.

:class:`StyleSheet` reads the cell formats (``cellXfs``) and number formats (``numFmts``) of a
styles part. :meth:`StyleSheet.with_format` gives the index of a cell format that looks like a
given one but shows a number format code; an existing identical one is reused, else a copy of the
base format is appended (and, if the code is new, a ``<numFmt>`` with a fresh id). Existing
entries never change: :meth:`StyleSheet.patched` returns the part with the new entries inserted
byte for byte before ``</cellXfs>`` / ``</numFmts>`` and the ``count`` attributes updated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .safexml import check_prolog, parse_xml
from .xmltext import escape, unescape

# builtin number formats (ECMA-376 18.8.30) this project writes, by format code
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9,
                   "0.00%": 10}
FIRST_CUSTOM_ID = 164
# quoted literals, escaped characters, [colour/condition] sections: a "%" there is no percentage
FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_WRAP = re.compile(rb'<(?:\w+:)?alignment\b[^>]*\swrapText="(?:1|true)"')


def is_percent(code: str) -> bool:
    """Whether a number format code shows a percentage (a "%" outside quotes and escapes)."""
    return "%" in FORMAT_LITERALS.sub("", code)


class StylesError(ValueError):
    """The styles part cannot take new entries (no ``cellXfs``)."""


@dataclass(frozen=True)
class _Xf:
    raw: bytes  # the element as written (``<xf .../>`` or ``<xf ...>...</xf>``)
    num_fmt: int


class StyleSheet:
    def __init__(self, xml: bytes, part: str = "xl/styles.xml") -> None:
        check_prolog(xml, part)
        parse_xml(xml, part)  # well-formed, no DTD: the byte edits below can trust the tags
        self.xml, self.part = xml, part
        root = re.search(rb"<(?:(\w+):)?styleSheet\b[^>]*>", xml)
        if root is None:
            raise StylesError(f"{part}: kein styleSheet")
        self._root_end = root.end()
        self.prefix = root[1] + b":" if root[1] else b""
        p = re.escape(self.prefix)
        self._xfs = re.compile(rb"<%scellXfs\b([^>]*?)(/?)>" % p).search(xml)
        self._fmts = re.compile(rb"<%snumFmts\b([^>]*?)(/?)>" % p).search(xml)
        self.formats: dict[int, str] = {}
        if self._fmts is not None and not self._fmts[2]:
            end = xml.index(b"</%snumFmts>" % self.prefix, self._fmts.end())
            for tag in re.finditer(rb"<%snumFmt\b[^>]*>" % p, xml[self._fmts.end():end]):
                fmt_id = re.search(rb'\snumFmtId="(\d+)"', tag[0])
                code = re.search(rb'\sformatCode="([^"]*)"', tag[0])
                if fmt_id and code:
                    self.formats[int(fmt_id[1])] = unescape(code[1].decode("utf-8"))
        self.xfs: list[_Xf] = []
        if self._xfs is not None and not self._xfs[2]:
            end = xml.index(b"</%scellXfs>" % self.prefix, self._xfs.end())
            body = xml[self._xfs.end():end]
            self._xfs_end = end
            for found in re.finditer(rb"<%sxf\b[^>]*?(?:/>|>.*?</%sxf>)" % (p, p), body, re.S):
                fmt = re.search(rb'\snumFmtId="(\d+)"', found[0].split(b">", 1)[0])
                self.xfs.append(_Xf(found[0], int(fmt[1]) if fmt else 0))
        self._fonts = re.compile(rb"<%sfonts\b([^>]*?)(/?)>" % p).search(xml)
        self.fonts: list[bytes] = []
        if self._fonts is not None and not self._fonts[2]:
            end = xml.index(b"</%sfonts>" % self.prefix, self._fonts.end())
            self._fonts_end = end
            body = xml[self._fonts.end():end]
            self.fonts = [m[0] for m in re.finditer(
                rb"<%sfont\b[^>]*?(?:/>|>.*?</%sfont>)" % (p, p), body, re.S)]
        self.new_formats: list[tuple[int, str]] = []
        self.new_xfs: list[bytes] = []
        self.new_fonts: list[bytes] = []

    # --- questions ----------------------------------------------------------------------

    def format_code(self, index: int) -> str:
        """The number format code of cell format ``index`` ("General" for builtin 0)."""
        fmt = self._xf(index).num_fmt if self._has(index) else 0
        code = dict(self.new_formats).get(fmt, self.formats.get(fmt))
        if code is not None:
            return code
        return next((c for c, i in BUILTIN_FORMATS.items() if i == fmt), "")

    def wraps(self, index: int | None) -> bool:
        """Whether cell format ``index`` wraps text."""
        return index is not None and self._has(index) and \
            _WRAP.search(self._xf(index).raw) is not None

    # --- additions ----------------------------------------------------------------------

    def with_format(self, base: int | None, code: str, *, keep_kind: bool = False) -> int:
        """Index of a cell format like ``base`` (None or unknown: the default format 0) that
        shows numbers with format ``code``; appended when there is none. With ``keep_kind``,
        ``base`` itself when it already shows numbers the same kind of way (a percentage as
        some percentage, an amount with some number format other than General)."""
        if self._xfs is None or self._xfs[2]:
            raise StylesError(f"{self.part}: keine Zellformate (cellXfs)")
        base = base if base is not None and self._has(base) else 0
        if keep_kind and self._xf(base).num_fmt != 0 and \
                is_percent(self.format_code(base)) == is_percent(code):
            return base
        fmt_id = self._format_id(code)
        source = self._xf(base) if self._has(base) else _Xf(b'<%sxf numFmtId="0" fontId="0" '
                                                          b'fillId="0" borderId="0" xfId="0"/>'
                                                          % self.prefix, 0)
        if source.num_fmt == fmt_id:
            return base
        return self._xf_index(_with_num_fmt(source.raw, fmt_id))

    def with_look(self, code: str | None = None, *, bold: bool = False,
                  wrap: bool = False) -> int:
        """Index of a cell format like the default format 0 with number format ``code`` (None:
        General), a bold font and/or wrapped, top-aligned text; an identical existing format
        (and font) is reused, else appended. Existing fonts and formats never change."""
        if self._xfs is None or self._xfs[2]:
            raise StylesError(f"{self.part}: keine Zellformate (cellXfs)")
        raw = self._xf(0).raw if self._has(0) else \
            b'<%sxf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' % self.prefix
        wanted = raw
        if code is not None and self._format_id(code) != (self._xf(0).num_fmt if self._has(0)
                                                          else 0):
            wanted = _with_num_fmt(wanted, self._format_id(code))
        if bold:
            font = self._bold_font(_attr(raw, b"fontId"))
            if font is not None:  # None: no fonts part to append to, the font stays
                wanted = _with_attr(_with_attr(wanted, b"fontId", b"%d" % font),
                                    b"applyFont", b"1")
        if wrap:
            wanted = _with_wrap(_with_attr(wanted, b"applyAlignment", b"1"), self.prefix)
        return 0 if wanted == raw else self._xf_index(wanted)

    def _xf_index(self, wanted: bytes) -> int:
        for i in range(len(self.xfs) + len(self.new_xfs)):
            if self._xf(i).raw == wanted:
                return i
        self.new_xfs.append(wanted)
        return len(self.xfs) + len(self.new_xfs) - 1

    def _bold_font(self, base: int) -> int | None:
        """Index of a font like ``base`` but bold (``base`` itself when it is bold)."""
        fonts = [*self.fonts, *self.new_fonts]
        if not fonts:
            return None
        raw = fonts[base] if 0 <= base < len(fonts) else fonts[0]
        if re.search(rb"<(?:\w+:)?b(?:\s+val=\"(?:1|true)\")?\s*/>", raw):
            return fonts.index(raw)
        p = self.prefix
        if raw.endswith(b"/>") and b"</" not in raw:
            wanted = raw[:-2].rstrip() + b"><%sb/></%sfont>" % (p, p)
        else:
            head_end = raw.index(b">") + 1
            wanted = raw[:head_end] + b"<%sb/>" % p + re.sub(
                rb"<(?:\w+:)?b\s+val=\"(?:0|false)\"\s*/>", b"", raw[head_end:])
        if wanted in fonts:
            return fonts.index(wanted)
        self.new_fonts.append(wanted)
        return len(fonts)

    def _format_id(self, code: str) -> int:
        """The id of format ``code``: a format of the workbook with this code (writers such as
        XlsxWriter declare builtin codes too), else the builtin id, else a new one."""
        for fmt_id, existing in [*self.formats.items(), *self.new_formats]:
            if existing == code:
                return fmt_id
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        fmt_id = max([FIRST_CUSTOM_ID - 1, *self.formats, *(i for i, _c in self.new_formats)]) + 1
        self.new_formats.append((fmt_id, code))
        return fmt_id

    def _has(self, index: int) -> bool:
        return 0 <= index < len(self.xfs) + len(self.new_xfs)

    def _xf(self, index: int) -> _Xf:
        if index < len(self.xfs):
            return self.xfs[index]
        raw = self.new_xfs[index - len(self.xfs)]
        return _Xf(raw, int(re.search(rb'\snumFmtId="(\d+)"', raw)[1]))

    # --- result -------------------------------------------------------------------------

    @property
    def changed(self) -> bool:
        return bool(self.new_xfs or self.new_formats or self.new_fonts)

    def patched(self) -> bytes:
        """The styles part with the appended entries (the original bytes if there are none)."""
        if not self.changed:
            return self.xml
        xml = self.xml
        edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement), ascending
        p = self.prefix
        if self.new_formats:
            entries = b"".join(b'<%snumFmt numFmtId="%d" formatCode="%s"/>'
                               % (p, i, escape(c).replace('"', "&quot;").encode("utf-8"))
                               for i, c in self.new_formats)
            if self._fmts is None:
                edits.append((self._root_end, self._root_end,
                              b'<%snumFmts count="%d">%s</%snumFmts>'
                              % (p, len(self.new_formats), entries, p)))
            else:
                count = len(self.formats) + len(self.new_formats)
                head = _with_count(self._fmts[0], count)
                if self._fmts[2]:  # <numFmts count="0"/>
                    edits.append((self._fmts.start(), self._fmts.end(),
                                  head.replace(b"/>", b">") + entries + b"</%snumFmts>" % p))
                else:
                    close = xml.index(b"</%snumFmts>" % p, self._fmts.end())
                    edits.append((self._fmts.start(), self._fmts.end(), head))
                    edits.append((close, close, entries))
        if self.new_fonts:
            count = len(self.fonts) + len(self.new_fonts)
            edits.append((self._fonts.start(), self._fonts.end(),
                          _with_count(self._fonts[0], count)))
            edits.append((self._fonts_end, self._fonts_end, b"".join(self.new_fonts)))
        if self.new_xfs:
            count = len(self.xfs) + len(self.new_xfs)
            edits.append((self._xfs.start(), self._xfs.end(), _with_count(self._xfs[0], count)))
            edits.append((self._xfs_end, self._xfs_end, b"".join(self.new_xfs)))
        out, pos = [], 0
        for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
            out += [xml[pos:start], text]
            pos = end
        out.append(xml[pos:])
        return b"".join(out)


def _with_count(tag: bytes, count: int) -> bytes:
    if re.search(rb'\scount="\d*"', tag):
        return re.sub(rb'(\scount=")\d*(")', rb"\g<1>%d\g<2>" % count, tag, count=1)
    return re.sub(rb"(/?>)$", rb' count="%d"\1' % count, tag, count=1)


def _attr(raw: bytes, name: bytes) -> int:
    found = re.search(rb'\s%s="(\d+)"' % name, raw.split(b">", 1)[0])
    return int(found[1]) if found else 0


def _with_attr(raw: bytes, name: bytes, value: bytes) -> bytes:
    """An element's bytes with attribute ``name`` set to ``value`` on its start tag."""
    head, sep, rest = raw.partition(b">")
    pattern = rb'(\s%s=")[^"]*(")' % name
    if re.search(pattern, head):
        head = re.sub(pattern, rb"\g<1>" + value + rb"\g<2>", head, count=1)
    else:
        slash = head.endswith(b"/")
        head = (head[:-1] if slash else head) + b' %s="%s"' % (name, value) + (b"/" if slash
                                                                               else b"")
    return head + sep + rest


def _with_wrap(raw: bytes, prefix: bytes) -> bytes:
    """An ``<xf>`` element's bytes with wrapped, top-aligned text."""
    found = re.search(rb"<(?:\w+:)?alignment\b[^>]*?/?>", raw)
    if found:
        tag = _with_attr(_with_attr(found[0], b"wrapText", b"1"), b"vertical", b"top")
        return raw[:found.start()] + tag + raw[found.end():]
    alignment = b'<%salignment vertical="top" wrapText="1"/>' % prefix
    if raw.endswith(b"/>") and raw.count(b">") == 1:
        return raw[:-2].rstrip() + b">" + alignment + b"</%sxf>" % prefix
    head_end = raw.index(b">") + 1  # alignment is the first child of xf
    return raw[:head_end] + alignment + raw[head_end:]


def _with_num_fmt(raw: bytes, fmt_id: int) -> bytes:
    """An ``<xf>`` element's bytes with ``numFmtId`` set and ``applyNumberFormat="1"``."""
    head, sep, rest = raw.partition(b">")
    if re.search(rb'\snumFmtId="\d*"', head):
        head = re.sub(rb'(\snumFmtId=")\d*(")', rb"\g<1>%d\g<2>" % fmt_id, head, count=1)
    else:
        head = re.sub(rb"(<(?:\w+:)?xf)\b", rb'\1 numFmtId="%d"' % fmt_id, head, count=1)
    if re.search(rb'\sapplyNumberFormat="[^"]*"', head):
        head = re.sub(rb'(\sapplyNumberFormat=")[^"]*(")', rb"\g<1>1\g<2>", head, count=1)
    else:
        slash = head.endswith(b"/")
        head = (head[:-1] if slash else head) + b' applyNumberFormat="1"' + (b"/" if slash
                                                                             else b"")
    return head + sep + rest
