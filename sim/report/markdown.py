"""Scenario descriptions and sources as inert HTML, rendered by markdown-it-py with raw HTML off.

CommonMark plus bare-URL links (linkify-it-py). Only text that names its scheme (`https://…`,
`mailto:…`) becomes a link: a bare file or publication name such as "sources.md" or "memim.com"
is a real domain to linkify-it's fuzzy matching, and a link there would send readers to a
stranger's site. A host written with the DNS root's trailing dot (`https://powershow.com./view/…`,
as some sources print it) is linked whole. Raw HTML in the input is shown as text, images are
not loaded (the `![alt](url)` form becomes a link), and a link is made only for http, https and
mailto targets; everything else (javascript:, data:, relative paths) stays plain text. markdown-it
escapes every attribute it writes, and bidirectional controls are shown as code points.
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup

from sim.display import without_bidi

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Nesting deeper than this is shown as text; it bounds the renderer's work and the page's depth.
MAX_NESTING = 20
# Rendering costs about 20 microseconds per character at worst (a run of "![" openers), so
# longer text is cut, with a note, to keep a report's rendering within seconds: a description
# at 100,000 characters, a source (one citation) at 5,000.
MAX_CHARS = 100_000
MAX_SOURCE_CHARS = 5_000


def _valid_link(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in SAFE_SCHEMES:
        return False
    return scheme == "mailto" or bool(parts.netloc)


def _http_with_root_dot(linkify: Any) -> Callable[[Any, str, int], int]:
    """linkify-it's own http validator, built from its own patterns, that also accepts the
    trailing dot of a fully qualified host name ("example.com./path"); a full stop after a bare
    host ("see https://example.org.") still ends the sentence, not the link."""
    pattern = re.compile(
        "//"
        + linkify.re["src_auth"]
        + linkify.re["src_host"]
        + "(?:\\.(?=[/:?#]))?"  # the root dot, when a path, port, query or fragment follows
        + linkify.re["src_port"]
        + linkify.re["src_host_terminator"]
        + linkify.re["src_path"],
        flags=re.IGNORECASE,
    )

    def validate(_linkify: Any, text: str, pos: int) -> int:
        found = pattern.match(text, pos)
        return len(found.group()) if found else 0

    return validate


def _shift_headings(state: Any) -> None:
    # The report already uses h1 and h2: a description's "# Heading" becomes h3.
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"


def _link_rel(state: Any) -> None:
    for block in state.tokens:
        for token in block.children or ():
            if token.type == "link_open":
                token.attrSet("rel", "noopener noreferrer")


@functools.lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": True, "typographer": False, "maxNesting": MAX_NESTING},
    )
    md.enable("linkify")
    links = md.linkify
    assert links is not None  # linkify-it-py is a dependency
    links.set({"fuzzy_link": False, "fuzzy_email": False})
    # A bound method: linkify-it keeps it as is ("https:" is its alias of "http:").
    links.add("http:", {"validate": types.MethodType(_http_with_root_dot(links), links)})
    md.disable("image")
    md.validateLink = _valid_link  # type: ignore[method-assign]
    md.core.ruler.push("lunarsim_headings", _shift_headings)
    md.core.ruler.push("lunarsim_link_rel", _link_rel)
    return md


def _text(text: str, limit: int, gap: str) -> str:
    text = without_bidi(text.replace("\x00", "\ufffd"))
    if len(text) > limit:
        text = text[:limit] + f"{gap}(cut at {limit:,} characters)"
    return text


# A report renders the same descriptions and sources again and again in watch mode and sweeps.
@functools.lru_cache(maxsize=256)
def render(text: str | None) -> Markup:
    """Markdown (CommonMark, bare URLs linked) to inert HTML; empty Markup for None."""
    if not text:
        return Markup("")
    return Markup(_parser().render(_text(text, MAX_CHARS, "\n\n")).strip())


@functools.lru_cache(maxsize=256)
def linkify(text: str | None) -> Markup:
    """A `source` (plain text with Markdown links and bare URLs) as inline HTML, without a <p>."""
    if not text:
        return Markup("")
    return Markup(_parser().renderInline(_text(text, MAX_SOURCE_CHARS, " ")).strip())
