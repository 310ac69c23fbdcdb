"""One check shared by the engine tests: two engine outputs agree on every iteration."""

from __future__ import annotations

import numpy as np

from sim.engines import EngineOutput


def assert_same_finish(a: EngineOutput, b: EngineOutput, drivers: bool = True) -> None:
    """Never-done in the same iterations; finish days equal to float rounding (1e-12 relative);
    the same driving predecessors where the milestone completed (when `drivers`)."""
    assert np.array_equal(np.isinf(a.finish), np.isinf(b.finish))
    done = np.isfinite(a.finish)
    np.testing.assert_allclose(a.finish[done], b.finish[done], rtol=1e-12)
    if drivers:
        assert np.array_equal(a.driver[done], b.driver[done])
