"""`lunarsim history` in the terminal: one plain line per recorded run (no rich, no NumPy, so that
a thousand runs list in a fraction of a second)."""

from __future__ import annotations

from typing import Any


def _percent(p: float | None) -> str:
    if p is None:
        return "–"
    if 0 < p < 0.01:
        return "<1%"
    if 0.99 < p < 1:
        return ">99%"
    return f"{p:.0%}"


def history_lines(entries: list[dict[str, Any]]) -> list[str]:
    """A header and one aligned line per run: when (UTC), scenario, sha256 (12 hex), as_of,
    iterations, seed, headline milestone, its P10/P50/P80 dates and P(target)."""
    header = (
        "recorded (UTC)",
        "scenario",
        "sha256",
        "as_of",
        "iterations",
        "seed",
        "headline",
        "P10",
        "P50",
        "P80",
        "P(target)",
    )
    rows = [header]
    for e in entries:
        h = e["headline"]
        rows.append(
            (
                e["recorded_at"].replace("+00:00", "").replace("T", " "),
                e["scenario"]["name"],
                (e["scenario"]["sha256"] or "")[:12],
                e["as_of"] or "–",
                str(e["iterations"]),
                str(e["seed"]),
                h["milestone"],
                h["p10"] or "never",
                h["p50"] or "never",
                h["p80"] or "never",
                _percent(h["p_target"]) if h["target"] else "–",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
