"""Resources of several units that claims of any size take in the order of their keys, no overtaking."""

from __future__ import annotations

import heapq
import itertools

import simpy

from sim.simulation.engines.clock import Clock


class Pools:
    """Every resource of one iteration; a claim waits until its units are free and every claim
    ordered before it on that resource has been served.

    Claims are ordered by key (request time, plan row): first come, first served, ties in plan
    order. The claim at the head of a queue blocks those behind it even when they would fit (no
    overtaking), so a large claim is never starved by a stream of small ones. Grants happen once
    the moment's other events are over (releases and requests due then included), one at a time,
    the smallest key first across all resources: whatever a grant sets off at the same moment (a
    zero-length attempt's release, a successor's request) happens before the next grant, so the
    claims on each resource are served exactly in the order of their keys.
    """

    def __init__(self, env: Clock, capacities: dict[str, int]) -> None:
        self.env = env
        self.free = dict(capacities)
        self._queue: dict[str, list[tuple[tuple[float, int], int, int, simpy.Event]]] = {
            rid: [] for rid in capacities
        }
        self._served = dict.fromkeys(capacities, 0)
        # Per resource: (time, grant number, row) of the latest release, ties to the later grant.
        self._last: dict[str, tuple[float, int, int]] = {}
        self._order = itertools.count()
        self._due = False

    def request(self, resource: str, amount: int, key: tuple[float, int]) -> simpy.Event:
        """An event that fires, with the claim's grant number on the resource, when it is served."""
        event = self.env.event()
        heapq.heappush(self._queue[resource], (key, next(self._order), amount, event))
        self._serve_later()
        return event

    def release(self, resource: str, amount: int, grant: int, row: int) -> None:
        """Give back the units of the `grant`-th claim served on `resource` (milestone `row`)."""
        self.free[resource] += amount
        mark = (self.env.now, grant, row)
        last = self._last.get(resource)
        if last is None or mark[:2] > last[:2]:
            self._last[resource] = mark
        self._serve_later()

    def released_by(self, resource: str) -> int:
        """The row whose release of `resource` came last (the later grant at equal times); -1: none."""
        last = self._last.get(resource)
        return -1 if last is None else last[2]

    def _serve_later(self) -> None:
        if not self._due:
            self._due = True
            self.env.after_the_moment(self._serve)

    def _serve(self, _trigger: simpy.Event) -> None:
        self._due = False
        best: str | None = None
        for rid, queue in self._queue.items():
            if not queue or queue[0][2] > self.free[rid]:
                continue
            if best is None or queue[0][0] < self._queue[best][0][0]:
                best = rid
        if best is None:
            return
        _, _, amount, granted = heapq.heappop(self._queue[best])
        self.free[best] -= amount
        grant = self._served[best]
        self._served[best] += 1
        granted.succeed(grant)
        self._serve_later()
