"""What an engine writes: finish days and driving predecessors per milestone and iteration."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class EngineOutput:
    """finish (M, n) days, `inf` for never; driver (M, n) row of the driving predecessor or -1."""

    finish: np.ndarray
    driver: np.ndarray
