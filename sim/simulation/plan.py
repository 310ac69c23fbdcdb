"""The compiled plan: milestones in topological order with index arrays, and the deterministic plan."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.scenario.model import Correlation, Effect, Milestone, Scenario


@dataclass(frozen=True)
class Link:
    """Predecessor row `pred` with lag slot `lag` (-1: no lag)."""

    pred: int
    lag: int = -1


@dataclass
class Plan:
    """A scenario compiled once for the engines: rows in topological order (ties in file order)."""

    scenario: Scenario
    ids: tuple[str, ...]
    index: dict[str, int]
    links: tuple[tuple[Link, ...], ...]
    lags: tuple[tuple[int, int], ...]  # (row, position in its `after`) for each lag slot
    effect_sources: tuple[tuple[str, str, Effect], ...]  # (kind, owner, effect): decision or risk
    needs_attempts: tuple[bool, ...]
    uses_resources: bool
    conditioned: tuple[bool, ...]  # drawn conditional on not being done by as_of
    copulas: tuple[np.ndarray, ...] = ()  # per correlation group: the Gaussian copula's matrix

    @cached_property
    def milestones(self) -> tuple[Milestone, ...]:
        """The milestones in row order (built once: engines read it per iteration)."""
        return tuple(self.scenario.milestones[i] for i in self.ids)


def compile_plan(scenario: Scenario) -> Plan:
    order = _topological(scenario)
    index = {mid: i for i, mid in enumerate(order)}
    lags: list[tuple[int, int]] = []
    links: list[tuple[Link, ...]] = []
    for mid in order:
        row: list[Link] = []
        for pos, p in enumerate(scenario.milestones[mid].after):
            slot = -1
            if p.lag is not None:
                slot = len(lags)
                lags.append((index[mid], pos))
            row.append(Link(index[p.id], slot))
        links.append(tuple(row))
    sources: list[tuple[str, str, Effect]] = []
    for mid in order:
        for b in scenario.milestones[mid].branches:
            sources.extend(("decision", f"{mid}={b.id}", e) for e in b.effects)
    for rid, risk in scenario.risks.items():
        sources.extend(("risk", rid, e) for e in risk.effects)
    success_targets = {m for _, _, e in sources if e.kind == "success" for m in e.milestones}
    needs = tuple(
        (m.success < 1.0 or m.retry is not None or m.id in success_targets) and m.actual is None
        for m in (scenario.milestones[i] for i in order)
    )
    as_of = scenario.as_of_days
    conditioned = tuple(
        as_of is not None and m.actual is None and (m.not_before is None or m.not_before <= as_of)
        for m in (scenario.milestones[i] for i in order)
    )
    return Plan(
        scenario=scenario,
        ids=tuple(order),
        index=index,
        links=tuple(links),
        lags=tuple(lags),
        effect_sources=tuple(sources),
        needs_attempts=needs,
        uses_resources=any(m.uses for m in scenario.milestones.values()),
        conditioned=conditioned,
        copulas=tuple(_copula_matrix(scenario, g) for g in scenario.correlations),
    )


def _copula_matrix(scenario: Scenario, group: Correlation) -> np.ndarray:
    """The copula parameters that give the group's members rank correlation `rho` (validated)."""
    from sim.scenario import copula

    return copula.matrix(group.rho, copula.of_group(scenario, group))


def _topological(scenario: Scenario) -> list[str]:
    file_order = list(scenario.milestones)
    rank = {m: i for i, m in enumerate(file_order)}
    indegree = {m: len({p.id for p in scenario.milestones[m].after}) for m in file_order}
    children: dict[str, list[str]] = {m: [] for m in file_order}
    for m in file_order:
        for p in {p.id for p in scenario.milestones[m].after}:
            children[p].append(m)
    import heapq

    ready = [(rank[m], m) for m in file_order if indegree[m] == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        _, m = heapq.heappop(ready)
        out.append(m)
        for c in children[m]:
            indegree[c] -= 1
            if indegree[c] == 0:
                heapq.heappush(ready, (rank[c], c))
    if len(out) != len(file_order):  # the loader reports cycles first; this guards library callers
        raise ValueError("dependency cycle among milestones")
    return out
