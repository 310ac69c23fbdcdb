"""What an engine writes: finish days and driving predecessors per milestone and iteration."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class EngineOutput:
    """finish (M, n) days, `inf` for never; driver (M, n) row of the driving predecessor or -1;
    outcome: for each conditional decision not forced, the outcome taken per iteration (its
    index; -1 where the decision was never made)."""

    finish: np.ndarray
    driver: np.ndarray
    outcome: dict[str, np.ndarray] = field(default_factory=dict)
