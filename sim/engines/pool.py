"""A resource of several units that claims of any size take first come, first served, no overtaking."""

from __future__ import annotations

import heapq
import itertools

import simpy


class Pool:
    """`capacity` units; a claim waits until its `amount` units are free and every earlier claim is served.

    Claims queue by (request time, plan row): first come, first served, ties in plan order. The
    claim at the head of the queue blocks those behind it even when they would fit (no
    overtaking), so a large claim is never starved by a stream of small ones.
    """

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.free = capacity
        self._queue: list[tuple[tuple[float, int], int, int, simpy.Event]] = []
        self._order = itertools.count()

    def request(self, amount: int, key: tuple[float, int]) -> simpy.Event:
        """An event that fires when `amount` units are granted to the claim ordered by `key`."""
        event = self.env.event()
        heapq.heappush(self._queue, (key, next(self._order), amount, event))
        self._grant()
        return event

    def release(self, amount: int) -> None:
        self.free += amount
        self._grant()

    def _grant(self) -> None:
        while self._queue and self._queue[0][2] <= self.free:
            _, _, amount, event = heapq.heappop(self._queue)
            self.free -= amount
            event.succeed()
