"""Coverage-guided fuzzing of `sim.load` with atheris: any exception but ScenarioError is a bug.

Run by hand (not part of the suite), from the repository root:

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python tests/fuzz/atheris_load.py -atheris_runs=100000

Inputs are either raw bytes (to reach the YAML reader) or, for half of them, a bundled scenario
mutated from the input's seed (to reach validation). A crash stops the run and writes the input
to crash-<hash>; replay it with `.venv/bin/python tests/fuzz/atheris_load.py crash-<hash>`.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import sim
    from sim.errors import ScenarioError

sys.path.insert(0, str(Path(__file__).parent))
from mutate import mutated

FOLDER = tempfile.mkdtemp(prefix="lunarsim-fuzz-")
PATH = os.path.join(FOLDER, "input.yaml")


def one_input(data: bytes) -> None:
    if data[:1] == b"M" and len(data) >= 5:
        data = mutated(int.from_bytes(data[1:5], "little")).encode("utf-8", "surrogatepass")
    with open(PATH, "wb") as handle:
        handle.write(data)
    with contextlib.suppress(ScenarioError):
        sim.load(PATH)


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
