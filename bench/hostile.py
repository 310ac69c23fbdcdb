"""Benchmark: checking and rendering hostile files stays linear (unknown ids, long descriptions)."""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path

import sim
from sim.report.markdown import linkify, render


def unknown_ids(count: int) -> str:
    lines = ["name: many", "start: 2022", "milestones:"]
    lines += [f"  m{i:05d}-task: {{duration: 10d, after: [unknown-{i:05d}]}}" for i in range(count)]
    return "\n".join(lines) + "\n"


def cpu_seconds(action) -> float:
    began = time.process_time()
    action()
    return time.process_time() - began


def validate_seconds(text: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.yaml"
        path.write_text(text, encoding="utf-8")

        def check() -> None:
            with contextlib.suppress(sim.ScenarioError):
                sim.load(path)

        return cpu_seconds(check)


def main() -> None:
    for count in (1500, 3000, 6000):
        print(f"validate {count:>5} unknown ids: {validate_seconds(unknown_ids(count)):6.2f} s CPU")
    texts = {
        "prose": "Some *text* with [a link](https://e.org/x), **bold**, `code` and http://b.example/p. ",
        "open brackets": "[a",
        "image openers": "![",
        "emphasis runs": "_a",
    }
    for size in (60_000, 120_000):
        for label, unit in texts.items():
            text = (unit * (size // len(unit) + 1))[:size]
            spent = cpu_seconds(lambda: (render(text), linkify(text)))  # noqa: B023
            print(f"render {size // 1000:>4} KB of {label:<14}: {spent:6.2f} s CPU (description + source)")


if __name__ == "__main__":
    main()
