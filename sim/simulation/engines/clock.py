"""SimPy's environment with the two kinds of event the reference engine needs and SimPy lacks.

Every access to SimPy's private state (`_queue`, `_eid`, `_value`, `_ok`) is here, and `simpy`
is pinned below its next major version in pyproject.toml, so that a change of those internals
shows as one failing module rather than as wrong dates.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL

# Grants are made once everything else due at the same moment has happened (SimPy runs events
# of a moment by priority, then in order of scheduling; URGENT is 0 and NORMAL 1).
_AFTER_THE_MOMENT = 2


class Clock(simpy.Environment):
    """A SimPy environment that also schedules events at absolute moments and after a moment."""

    def at(self, when: float, value: Any = None) -> simpy.Event:
        """An event at the absolute moment `when` (now, if `when` has passed).

        SimPy's timeouts are scheduled at `now + delay`, which can differ from the moment meant by
        a unit in the last place; scheduling the moment itself keeps the clock equal to the model's
        times, so that two things due at the same model time happen at the same clock time.
        """
        event = simpy.Event(self)
        event._value = value
        event._ok = True
        heapq.heappush(self._queue, (max(when, self.now), NORMAL, next(self._eid), event))
        return event

    def at_the_end_of_moment(self, callback: Callable[[simpy.Event], None], rank: float) -> None:
        """Call `callback` once every ordinary event due now is over (those it schedules for now
        included), before resource grants; callbacks due at one moment run in order of `rank`
        (0 < rank < 1)."""
        event = simpy.Event(self)
        event._ok = True
        event.callbacks.append(callback)
        self.schedule(event, NORMAL + rank)  # type: ignore[arg-type]

    def after_the_moment(self, callback: Callable[[simpy.Event], None]) -> None:
        """Call `callback` once every other event due now (releases and requests included) is over."""
        event = simpy.Event(self)
        event._ok = True
        event.callbacks.append(callback)
        self.schedule(event, _AFTER_THE_MOMENT)  # type: ignore[arg-type]
