"""A tiny, safe Markdown subset for scenario descriptions and sources, rendered on escaped text.

Supported: paragraphs, `#`-headings, `-`/`*` and `1.` lists, **bold**, *emphasis*, `code`,
[links](https://…) and bare http(s) URLs. Raw HTML is never passed through: every character of
the input is escaped first, and the only tags in the output are the ones made here. Link targets
must be http, https or mailto; anything else (javascript:, data:, relative) stays plain text.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from markupsafe import Markup

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
WEB_SCHEMES = frozenset({"http", "https"})

_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\[\]\n]+)\]\(([^()\s]+)\)")
_BARE_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]]")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_NUMBERED = re.compile(r"^\s*\d{1,9}[.)]\s+")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _href(url: str, allowed: frozenset[str]) -> str | None:
    """The escaped href for `url` if its scheme is allowed, else None."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in allowed:
        return None
    if scheme != "mailto" and not urlsplit(url).netloc:
        return None
    return _escape(url)


def _anchor(href: str, label_html: str) -> str:
    return f'<a href="{href}" rel="noopener noreferrer">{label_html}</a>'


class _Stash:
    """Holds finished HTML fragments behind placeholders so later patterns cannot touch them."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def put(self, fragment: str) -> str:
        self.parts.append(fragment)
        return f"\x00{len(self.parts) - 1}\x00"

    def restore(self, text: str) -> str:
        # Fragments may hold placeholders of their own (a link label with code), so repeat.
        while "\x00" in text:
            text = re.sub(r"\x00(\d+)\x00", lambda m: self.parts[int(m.group(1))], text)
        return text


def _emphasis(escaped: str) -> str:
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _EM.sub(r"<em>\1</em>", escaped)


def inline(text: str) -> Markup:
    """Inline Markdown (code, links, bare URLs, bold, emphasis) of one line or paragraph."""
    stash = _Stash()
    text = text.replace("\x00", "")
    text = _CODE.sub(lambda m: stash.put(f"<code>{_escape(m.group(1))}</code>"), text)

    def link(m: re.Match[str]) -> str:
        href = _href(m.group(2), SAFE_SCHEMES)
        label = _emphasis(_escape(m.group(1)))
        if href is None:
            return stash.put(f"{label} ({_escape(m.group(2))})")
        return stash.put(_anchor(href, label))

    text = _LINK.sub(link, text)
    text = _BARE_URL.sub(
        lambda m: stash.put(_anchor(_href(m.group(0), WEB_SCHEMES) or "", _escape(m.group(0)))),
        text,
    )
    return Markup(stash.restore(_emphasis(_escape(text))))


def linkify(text: str | None) -> Markup:
    """Plain text (a `source`) escaped, with bare http/https URLs made into links."""
    if not text:
        return Markup("")
    stash = _Stash()
    text = text.replace("\x00", "")
    text = _BARE_URL.sub(
        lambda m: stash.put(_anchor(_href(m.group(0), WEB_SCHEMES) or "", _escape(m.group(0)))),
        text,
    )
    return Markup(stash.restore(_escape(text)))


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _list(lines: list[str], marker: re.Pattern[str], tag: str) -> str:
    items: list[str] = []
    for line in lines:
        if marker.match(line):
            items.append(marker.sub("", line, count=1))
        else:  # a continuation line of the previous item
            items[-1] += " " + line.strip()
    body = "".join(f"<li>{inline(item.strip())}</li>" for item in items)
    return f"<{tag}>{body}</{tag}>"


def render(text: str | None) -> Markup:
    """Markdown subset to HTML (see the module docstring); empty Markup for None."""
    if not text:
        return Markup("")
    out: list[str] = []
    for block in _blocks(text):
        heading = _HEADING.match(block[0])
        if heading and len(block) == 1:
            level = min(len(heading.group(1)) + 2, 6)  # the report already uses h1 and h2
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
        elif _BULLET.match(block[0]):
            out.append(_list(block, _BULLET, "ul"))
        elif _NUMBERED.match(block[0]):
            out.append(_list(block, _NUMBERED, "ol"))
        else:
            out.append(f"<p>{inline(' '.join(line.strip() for line in block))}</p>")
    return Markup("\n".join(out))
