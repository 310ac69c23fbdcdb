"""Making user text inert for display: bidirectional overrides and control characters shown, not obeyed."""

from __future__ import annotations

import re

# Explicit embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) can make text read
# in an order other than the one it is stored in ("Trojan Source"); they are shown as code points.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# C0 and C1 controls (escape sequences start with ESC or CSI) and DEL, plus the bidi controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _code_point(match: re.Match[str]) -> str:
    char = match.group(0)
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def without_bidi(text: str) -> str:
    """`text` with each bidirectional control replaced by its visible code point, e.g. `\\u202e`."""
    return BIDI.sub(_code_point, text)


def terminal(text: str, newlines: bool = False) -> str:
    """`text` safe to print: control characters, escape sequences and bidi controls shown escaped.

    Newlines and tabs are escaped too unless `newlines` (for multi-line messages the tool composes).
    """
    return (_CONTROL if newlines else _CONTROL_OR_NEWLINE).sub(_code_point, text)


def spreadsheet_cell(text: str) -> str:
    """CSV text a spreadsheet shows as text: a leading = + - @ (or tab, carriage return) would
    make it evaluate the cell as a formula, so such a cell is quoted with a leading '."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
