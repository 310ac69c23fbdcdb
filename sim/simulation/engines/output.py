"""What an engine returns: finish days and driving predecessors per milestone and iteration, and
the inputs as the run realised them (`Realised`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.simulation.sampling import Draws


class Realised:
    """One engine run's inputs: the chunk's `Draws` (read-only) and what the run decides of them.

    The run writes here, never into the draws: the durations of milestones conditioned on the
    status date (drawn when the engine reaches them), their retry times and the attempts the status
    date forced to fail, and the scale, add, cancel and success that conditional outcomes change
    when they are chosen. Only what a run writes is copied (the conditioned rows' arrays and the
    effects' arrays that conditional outcomes reach); every other input is read from the draws.
    """

    def __init__(self, draws: Draws) -> None:
        self.draws = draws
        self.n = draws.n
        # Every decision's outcome as the run took them (`with_outcome`); until then the drawn ones.
        self.outcome: dict[str, np.ndarray] = draws.outcome
        conditioned = draws.duration_u
        # Conditioned rows are written per iteration: a copy of the durations only when there are some.
        self.duration: np.ndarray = draws.duration.copy() if conditioned else draws.duration
        self.retry_after: dict[int, np.ndarray] = {
            row: a.copy() if row in conditioned else a for row, a in draws.retry_after.items()
        }
        self.forced_fails: dict[int, np.ndarray] = {
            row: np.zeros(self.n, dtype=np.int64) for row in draws.attempt_u if row in conditioned
        }
        self.scale = dict(draws.scale)
        self.add = dict(draws.add)
        self.cancel = dict(draws.cancel)
        self.success = dict(draws.success)
        self.replaced = dict(draws.replaced)
        for (kind, row), values in draws.folded.items():
            self._store(kind)[row] = values.copy()

    def __getattr__(self, name: str) -> Any:
        # Everything a run does not write is the draws' own (read-only) input.
        if name.startswith("__") or name == "draws":
            raise AttributeError(name)
        return getattr(self.draws, name)

    def with_outcome(self, outcome: dict[str, np.ndarray]) -> Realised:
        """These inputs with every decision's outcome as the run took them (the engine chooses
        conditional decisions' outcomes; the others were drawn)."""
        got = object.__new__(Realised)
        got.__dict__.update(self.__dict__)
        got.outcome = outcome
        return got

    def _store(self, kind: str) -> dict[int, np.ndarray]:
        stores = {
            "scale": self.scale,
            "add": self.add,
            "cancel": self.cancel,
            "success": self.success,
            "replaced": self.replaced,
        }
        return stores[kind]

    def reset_effects(self, i: int) -> None:
        """Iteration `i`'s arrays that conditional outcomes change, as before any was chosen."""
        for (kind, row), values in self.draws.folded.items():
            self._store(kind)[row][i] = values[i]

    def scale_of(self, row: int) -> np.ndarray | float:
        return self.scale.get(row, 1.0)

    def add_of(self, row: int) -> np.ndarray | float:
        return self.add.get(row, 0.0)


@dataclass
class EngineOutput:
    """finish (M, n) days, `inf` for never; driver (M, n) row of the driving predecessor or -1;
    outcome: for each conditional decision not forced, the outcome taken per iteration (its
    index; -1 where the decision was never made); realised: the run's inputs (`Realised`), set
    by `run_engine`."""

    finish: np.ndarray
    driver: np.ndarray
    outcome: dict[str, np.ndarray] = field(default_factory=dict)
    realised: Realised | None = None
