"""Mutations of the bundled scenarios: the hostile values and edits that broke the loader before.

Shared by the hypothesis fuzzer (tests/test_fuzz.py) and the atheris harness (tests/fuzz/atheris_load.py).
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import yaml

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))

HOSTILE: list[Any] = [
    None, True, 0, -1, 1, 2**31, 2**63, 2**128, -(2**127), 10**400, "9" * 401, 1e308, -1e308,
    float("inf"), float("nan"), 0.5, 1.0000001, -0.0, "", " ", "\x00", "\x1b[31m", "\u202e",
    "9999-12-31", "10000-01-01", "0001-01-01", "2147483648", "1e300d", "9" * 40 + "d", "-3d",
    "1y", "18 months", "2022", "2022-02-30", "a to b", "x" * 5000, "[y](javascript:alert(1))",
    "http://a.example/[y](http://b.example/style=position:fixed)", "<script>alert(1)</script>",
    [], {}, [None], {"": None}, [[[[[]]]]], {"pert": [1, 2]}, {"uniform": ["1d", "0d"]},
    {"lognormal": {"median": "1y", "p90": "1d"}}, {"discrete": {"1y": 2}}, {"id": 5},
    {"after": "1d", "max": 10**6}, {"every": "0d", "open": "1d", "first": 2022},
    "/dev/zero", "/etc/passwd", "nonexistent.yaml", ".",
]
KEYS = [
    "name", "start", "horizon", "as_of", "iterations", "seed", "headline", "milestones", "risks",
    "resources", "correlations", "duration", "after", "lag", "target", "not_before", "success",
    "retry", "max", "branches", "probability", "effects", "scale", "add", "cancel", "window", "uses",
    "capacity", "amount", "hold", "rho", "actual", "extends", "remove", "source", "title", "<<",
    "x" * 300, "\x1b[2J", "",
]

SPLICES = ["&a ", "*a", "<<: *a", ": ", "- ", "{", "[", "'", '"', "\t", "#", "!!python/object ", "!x "]


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*at, i))
    return out


def _get(node: Any, at: tuple[Any, ...]) -> Any:
    for part in at:
        node = node[part]
    return node


def mutate_data(data: Any, rng: random.Random, steps: int) -> Any:
    """Change `steps` random places of a parsed scenario: replace, delete, add or copy values."""
    for _ in range(steps):
        paths = _paths(data)
        at = rng.choice(paths)
        parent = _get(data, at[:-1]) if at else None
        op = rng.random()
        value = copy.deepcopy(rng.choice(HOSTILE) if rng.random() < 0.7 else _get(data, rng.choice(paths)))
        if not at:
            if rng.random() < 0.05:
                return value
            continue
        if op < 0.5:
            parent[at[-1]] = value
        elif op < 0.7:
            del parent[at[-1]]
        elif op < 0.9 and isinstance(parent, dict):
            parent[rng.choice(KEYS)] = value
        elif isinstance(parent, list):
            parent.insert(at[-1], value)
    return data


def mutate_text(text: str, rng: random.Random, steps: int) -> str:
    """Edit YAML text: drop, repeat or swap lines, splice characters, add aliases and merge keys."""
    lines = text.splitlines()
    for _ in range(steps):
        if not lines:
            break
        i = rng.randrange(len(lines))
        op = rng.randrange(8)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            line = lines[i]
            k = rng.randrange(len(line) + 1)
            lines[i] = line[:k] + rng.choice(SPLICES) + line[k:]
        elif op == 4:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif op == 5:
            indent = len(lines[i]) - len(lines[i].lstrip())
            value = yaml.safe_dump(rng.choice(HOSTILE), default_flow_style=True, width=10**6)
            lines.insert(i, " " * indent + f"{rng.choice(KEYS)}: {value.strip().removesuffix('...').strip()}")
        elif op == 6:
            lines[i] = " " + lines[i]
        else:
            lines[i] = lines[i].replace(":", ": &a", 1) if rng.random() < 0.5 else lines[i] + " *a"
    return "\n".join(lines) + "\n"


def mutated(seed: int) -> str:
    """One mutated document, reproducible from `seed`."""
    rng = random.Random(seed)
    text = SCENARIOS[rng.randrange(len(SCENARIOS))].read_text(encoding="utf-8")
    if rng.random() < 0.6:
        data = yaml.safe_load(text)
        data.pop("extends", None)  # a bundled base is found beside the file only in scenarios/
        data = mutate_data(data, rng, rng.randint(1, 4))
        try:
            return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)
        except (yaml.YAMLError, RecursionError, ValueError):
            return text
    return mutate_text(text, rng, rng.randint(1, 5))
