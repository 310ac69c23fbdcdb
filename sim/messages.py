"""How error messages show a user's value and suggest a fix: one display, one "did you mean"."""

from __future__ import annotations

import datetime
import numbers
from collections.abc import Mapping, Sequence

# Similarity (0-100, rapidfuzz's normalised Indel ratio, the same as difflib's ratio * 100)
# a known name needs to be suggested.
CUTOFF = 60.0
# Names compared per file, summed over all its unknown names. A real file has a few typos
# against a few hundred ids; a file with thousands of unknown ids gets suggestions for the first
# ones only, so checking it stays linear in its size.
BUDGET = 1_000_000
# A message stays one readable line however long the value it quotes.
SHOWN_CHARS = 40


def show(value: object) -> str:
    """A value as a user wrote it in YAML, for messages: never a Python repr of a container.

    Strings are quoted and cut to `SHOWN_CHARS` characters (ending in "...").
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "an empty value"
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."
    if isinstance(value, float):
        return f"{value:.12g}"
    if isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    return f"a {type(value).__name__}"


def and_list(names: Sequence[str]) -> str:
    """Names joined for a sentence: "a", "a and b", "a, b and c"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Suggestions:
    """Suggests the closest known name, while the file's comparison budget lasts."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.left = budget

    def closest(self, word: str, choices: Sequence[str]) -> str | None:
        """The known name most like `word` if one is close enough, else None."""
        if not choices or len(choices) > self.left:
            return None
        self.left -= len(choices)
        from rapidfuzz import fuzz, process

        # rapidfuzz compares in compiled code and skips a name whose length alone rules it out.
        found = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=CUTOFF)
        return None if found is None else str(found[0])


def did_you_mean(word: str, choices: Sequence[str], suggestions: Suggestions | None = None) -> str | None:
    """ "did you mean 'x'?" for the known name closest to `word`, or None when none is close.

    `suggestions` carries a file's comparison budget; without one, a fresh budget is used (for
    a single value checked on its own, against a short list such as a form's keys).
    """
    close = (suggestions or Suggestions()).closest(word, list(choices))
    return None if close is None else f"did you mean {close!r}?"
