"""German texts of the command line: what typer and the Click inside it print by themselves
(usage line, section headings, the help option, error messages), from the gettext catalogue
``locale/de/LC_MESSAGES/xl_cseg.mo`` (its source ``xl_cseg.po`` lies beside it; ``python -m
xl_cseg.german_cli`` compiles it).

typer 0.28 carries its own copy of Click (``typer._click``) with English texts written into the
code, so :func:`install` puts the catalogue in at the few places they come out: typer's ``_``,
the usage prefix, the help option, the messages of Click's exceptions (English messages are
matched against the catalogue's patterns, so ``Missing argument 'MAPPE'.`` becomes
``Argument „MAPPE“ fehlt.``), the metavars of the usage line, and the command list, which shows
each command's first paragraph whole instead of cutting it off with "...".
"""

from __future__ import annotations

import ast
import functools
import gettext
import re
import struct
import sys
from pathlib import Path
from typing import Any

DOMAIN = "xl_cseg"
LOCALE_DIR = Path(__file__).with_name("locale")
PO_FILE = LOCALE_DIR / "de" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO_FILE = PO_FILE.with_suffix(".mo")
CONTEXT = {"help_option_names": ["-h", "--help"]}  # the context settings of every command
# pieces of usage lines and help pages, replaced wherever they stand
TOKENS = ("COMMAND [ARGS]...", "[OPTIONS]", "<path>", "<text>", "<integer>", "<float>")


@functools.cache
def catalogue() -> gettext.NullTranslations:
    """The German catalogue (no translation at all if the file is missing)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=["de"], fallback=True)


def text(msgid: str) -> str:
    """The German text for one of typer's or Click's own messages."""
    return catalogue().gettext(msgid)


def _messages() -> dict[str, str]:
    return dict(getattr(catalogue(), "_catalog", {}))


_PLACEHOLDER = re.compile(r"'?\{(\w+)(?:![rs])?\}'?")


@functools.cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """(English message as a pattern, German template) for each entry with placeholders;
    the entries with more fixed text first, so that a specific message wins over a general one."""
    found = []
    for msgid, msgstr in _messages().items():
        if not isinstance(msgid, str) or "{" not in msgid:
            continue
        parts, pos = [], 0
        for m in _PLACEHOLDER.finditer(msgid):
            parts.append(re.escape(msgid[pos:m.start()]))
            quoted = m[0].startswith("'") or "!r" in m[0]
            group = f"(?P<{m[1]}>.+?)"
            parts.append(f"'{group}'" if quoted else group)
            pos = m.end()
        parts.append(re.escape(msgid[pos:]))
        literal = len(_PLACEHOLDER.sub("", msgid))
        found.append((literal, re.compile("".join(parts), re.S), msgstr))
    found.sort(key=lambda item: -item[0])  # the most specific entry first
    return [(pattern, msgstr) for _literal, pattern, msgstr in found]


def german(message: str) -> str:
    """An English message of typer/Click in German (unchanged when the catalogue has none)."""
    plain = _messages().get(message)
    if isinstance(plain, str) and plain:
        return plain
    for pattern, template in _patterns():
        found = pattern.fullmatch(message)
        if found:
            return template.format(**{k: _quoted(k, german(v))
                                      for k, v in found.groupdict().items()})
    return message


def _quoted(group: str, value: str) -> str:
    """Click's quotes ('x') inside a captured value in the German style („x“)."""
    if group == "name":
        return value.replace("' / '", "“ / „")
    if group in ("suggestions", "options"):
        return re.sub(r"'([^']*)'", "„\\1“", value)
    return value


def german_tokens(page: str) -> str:
    """A usage line or help page with its English pieces (``[OPTIONS]``, ``<path>``) in German."""
    for token in TOKENS:
        if token in page:
            page = page.replace(token, text(token))
    return page


def first_paragraph(help_text: str, max_length: int = 45) -> str:
    """A command's short help for the command list: its first paragraph, whole (the list wraps
    it; Click would cut it at ``max_length`` with "...")."""
    del max_length
    paragraph = help_text.split("\n\n", 1)[0]
    words = [w for w in paragraph.split() if w != "\b"]
    return " ".join(words)


_installed = False


def install() -> None:
    """Put the German texts into typer and its Click (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    import typer.core as typer_core

    click = getattr(sys.modules.get("typer"), "_click", None)
    if click is None:  # pragma: no cover - a typer that uses the real Click (gettext)
        _install_gettext_click()
        return
    from typer._click import core, decorators, exceptions, formatting, utils

    typer_core._ = text
    core.make_default_short_help = first_paragraph
    utils.make_default_short_help = first_paragraph

    write_usage = formatting.HelpFormatter.write_usage

    def german_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, german_tokens(args), text("Usage: ") if prefix is None
                    else prefix)

    formatting.HelpFormatter.write_usage = german_usage

    get_help = core.Command.get_help
    core.Command.get_help = lambda self, ctx: german_tokens(get_help(self, ctx))

    help_option = decorators.help_option

    def german_help_option(param_decls: list[str]):
        decorate = help_option(param_decls)

        def apply(command):
            command = decorate(command)
            command.params[-1].help = text("Show this message and exit.")
            return command

        return apply

    decorators.help_option = german_help_option

    def show_click_exception(self: Any, file: Any = None) -> None:
        if file is None:
            file = exceptions.get_text_stderr()
        exceptions.echo(text("Error: {message}").format(message=german(self.format_message())),
                        file=file, color=self.show_color)

    def show_usage_error(self: Any, file: Any = None) -> None:
        if file is None:
            file = exceptions.get_text_stderr()
        color = None
        ctx = self.ctx
        if ctx is not None:
            color = ctx.color
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = text("Try '{command} {option}' for help.").format(
                    command=ctx.command_path, option=ctx.help_option_names[0]) + "\n"
            exceptions.echo(f"{ctx.get_usage()}\n{hint}", file=file, color=color)
        exceptions.echo(text("Error: {message}").format(message=german(self.format_message())),
                        file=file, color=color)

    exceptions.ClickException.show = show_click_exception
    exceptions.UsageError.show = show_usage_error


def _install_gettext_click() -> None:  # pragma: no cover - older typer versions
    import click

    for name in ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui"):
        module = sys.modules.get(f"click.{name}")
        if module is not None and hasattr(module, "_"):
            module._ = text
        if module is not None and hasattr(module, "ngettext"):
            module.ngettext = catalogue().ngettext
    del click


# --- the catalogue ----------------------------------------------------------------------

def read_po(po_text: str) -> dict[str, str]:
    """msgid -> msgstr of a .po file (plain entries: no contexts, no plural forms)."""
    entries: dict[str, str] = {}
    key: str | None = None
    current: dict[str, list[str]] = {}
    for line in [*po_text.splitlines(), ""]:
        line = line.strip()
        if line.startswith("#"):
            continue
        if not line:
            if "msgid" in current:
                entries["".join(current["msgid"])] = "".join(current.get("msgstr", []))
            current, key = {}, None
            continue
        if line.startswith(("msgid ", "msgstr ")):
            key, _sp, rest = line.partition(" ")
            current[key] = [ast.literal_eval(rest)]
        elif line.startswith('"') and key is not None:
            current[key].append(ast.literal_eval(line))
    return entries


def compile_mo(entries: dict[str, str]) -> bytes:
    """The GNU .mo file of ``entries`` (the header entry "" included), keys sorted."""
    keys = sorted(entries)
    ids = [k.encode("utf-8") for k in keys]
    strs = [entries[k].encode("utf-8") for k in keys]
    start = 7 * 4 + 16 * len(keys)
    offsets, blob = [], b""
    for data in ids:
        offsets.append((len(data), start + len(blob)))
        blob += data + b"\0"
    for data in strs:
        offsets.append((len(data), start + len(blob)))
        blob += data + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    table = b"".join(struct.pack("<2I", *pair) for pair in offsets)
    return head + table + blob


if __name__ == "__main__":  # pragma: no cover - regenerates the .mo from the .po
    MO_FILE.write_bytes(compile_mo(read_po(PO_FILE.read_text(encoding="utf-8"))))
    print(f"{MO_FILE} geschrieben")
