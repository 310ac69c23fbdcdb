""""Did you mean" for unknown ids and keys, with the total work of one file's suggestions bounded."""

from __future__ import annotations

from collections.abc import Sequence

# Similarity (0-100, rapidfuzz's normalised Indel ratio, the same as difflib's ratio * 100)
# a known name needs to be suggested.
CUTOFF = 60.0
# Names compared per file, summed over all its unknown names. A real file has a few typos
# against a few hundred ids; a file with thousands of unknown ids gets suggestions for the first
# ones only, so checking it stays linear in its size.
BUDGET = 1_000_000


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
