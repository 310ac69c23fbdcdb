"""Checks shared by the engine tests: two engine runs agree on every iteration, inputs included."""

from __future__ import annotations

import numpy as np

from sim.simulation.engines import EngineOutput
from sim.simulation.plan import Plan
from sim.simulation.sampling import input_values


def assert_same_finish(a: EngineOutput, b: EngineOutput, drivers: bool = True) -> None:
    """Never-done in the same iterations; finish days equal to float rounding (1e-12 relative);
    the same driving predecessors where the milestone completed (when `drivers`)."""
    assert np.array_equal(np.isinf(a.finish), np.isinf(b.finish))
    done = np.isfinite(a.finish)
    np.testing.assert_allclose(a.finish[done], b.finish[done], rtol=1e-12)
    if drivers:
        assert np.array_equal(a.driver[done], b.driver[done])


def assert_identical(a: EngineOutput, b: EngineOutput) -> None:
    """The same finish days to the last bit, and the same driving predecessors wherever the
    milestone completed (elsewhere no reader ever sees a driver)."""
    np.testing.assert_array_equal(a.finish, b.finish)
    done = np.isfinite(a.finish)
    np.testing.assert_array_equal(a.driver[done], b.driver[done])


def assert_same_outcomes(a: EngineOutput, b: EngineOutput) -> None:
    """The same outcome of every conditional decision in every iteration (-1 where never made)."""
    assert a.outcome.keys() == b.outcome.keys()
    for mid in a.outcome:
        np.testing.assert_array_equal(a.outcome[mid], b.outcome[mid], err_msg=mid)


def assert_same_inputs(plan: Plan, out_a: EngineOutput, out_b: EngineOutput) -> None:
    """The inputs two engine runs realised (`EngineOutput.realised`), and the sensitivity inputs
    derived from them, are identical (NaN in the same places): what a reader sees as drivers
    cannot depend on the engine. The outcomes are those the drawn and conditional decisions took."""
    a, b = out_a.realised, out_b.realised
    assert a is not None and b is not None
    np.testing.assert_array_equal(a.duration, b.duration)
    assert a.retry_after.keys() == b.retry_after.keys()
    for row in a.retry_after:
        np.testing.assert_array_equal(a.retry_after[row], b.retry_after[row])
    taken_a = {**a.outcome, **out_a.outcome}
    taken_b = {**b.outcome, **out_b.outcome}
    ia, ib = input_values(plan, a, taken_a), input_values(plan, b, taken_b)
    assert ia.keys() == ib.keys()
    for key in ia:
        np.testing.assert_array_equal(ia[key], ib[key], err_msg=key)
