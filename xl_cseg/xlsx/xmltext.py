"""Text helpers for raw SpreadsheetML: escaping, cleaning and Excel's ``_xHHHH_`` notation."""

from __future__ import annotations

import re

# Characters that XML 1.0 forbids (lone surrogates cannot be encoded either).
ILLEGAL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel decodes "_xHHHH_" in strings; a literal one needs its underscore escaped as "_x005F_".
_XSTRING = re.compile("_(x[0-9A-Fa-f]{4}_)")
_XSTRING_CODE = re.compile("_x([0-9A-Fa-f]{4})_")
_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def clean_text(text: str) -> str:
    """Remove characters illegal in XML 1.0 and protect literal ``_xHHHH_`` sequences."""
    if ILLEGAL_CHARS.search(text):
        text = ILLEGAL_CHARS.sub("", text)
    if "_x" in text:
        text = _XSTRING.sub(r"_x005F_\1", text)
    return text


_CONTROLS = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])  # illegal in XML 1.0
_ESCAPES = ((b"&", b"&amp;"), (b"<", b"&lt;"), (b">", b"&gt;"), (b'"', b"&quot;"),
            (b"\r", b"&#13;"))


def escaped_utf8(text: str) -> bytes:
    """``escape(clean_text(text))`` as UTF-8. Most texts need no cleaning: that is found on the
    encoded bytes, and they are escaped there."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: removed by clean_text
        return escape(clean_text(text)).encode("utf-8")
    if len(data.translate(None, _CONTROLS)) != len(data) or b"_x" in data or \
            b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:  # U+FFFE, U+FFFF
        return escape(clean_text(text)).encode("utf-8")
    for char, entity in _ESCAPES:
        if char in data:
            data = data.replace(char, entity)
    return data


def escape(text: str) -> str:
    """Escape for element content and double-quoted attribute values."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def unescape(text: str) -> str:
    """Resolve the predefined XML entities and character references."""
    if "&" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name[0] == "#":
            return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
        return _NAMED[name]

    return _ENTITY.sub(repl, text)


def decode_xstring(text: str) -> str:
    """Decode Excel's ``_xHHHH_`` escapes (e.g. ``_x000a_`` in table column names); as in
    python-calamine, non-characters (U+FFFE, U+FFFF) and surrogates stay escaped."""
    if "_x" not in text:
        return text
    return _XSTRING_CODE.sub(_decoded, text)


def _decoded(m: re.Match[str]) -> str:
    code = int(m.group(1), 16)
    return m.group(0) if code in (0xFFFE, 0xFFFF) or 0xD800 <= code <= 0xDFFF else chr(code)
