"""Every bundled scenario's summary JSON at a fixed seed matches its golden copy exactly.

The golden files pin behaviour across refactoring: the same scenario, seed and iteration count
must give the same document (but for `run.seconds`, `run.engine` and `run.workers`, which the
format allows to differ). Exact floats are tied to the NumPy build, as every exact-float golden
test is. When a bundled scenario changes on purpose, refresh the copies with
`LUNARSIM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import sim
from sim.analysis.summary import summary

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SEED = 20260401
ITERATIONS = 2_000
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def golden_summary(path: Path) -> dict[str, Any]:
    """The summary a run of the bundled scenario gives, without the fields allowed to vary."""
    result = sim.simulate(sim.load(path), ITERATIONS, SEED, workers=1)
    doc = summary(result, f"scenarios/{path.name}")
    for key in ("seconds", "engine", "workers"):
        del doc["run"][key]
    # Round-trip through JSON so that the comparison is of what a reader of the file sees.
    return json.loads(json.dumps(doc))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_bundled_summary_matches_its_golden_copy(path: Path) -> None:
    target = GOLDEN / f"{path.stem}.json"
    got = golden_summary(path)
    if os.environ.get("LUNARSIM_UPDATE_GOLDEN") == "1":
        target.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert target.exists(), f"no golden copy {target.name}; run with LUNARSIM_UPDATE_GOLDEN=1"
    assert got == json.loads(target.read_text(encoding="utf-8"))


def test_every_golden_copy_has_a_bundled_scenario() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == [p.stem for p in SCENARIOS]
