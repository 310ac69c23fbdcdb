"""The compiled plan: milestones in topological order with index arrays, and the deterministic plan."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.scenario.model import Branch, Condition, Correlation, Effect, Milestone, Scenario


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
    # Rows of decisions whose outcome is chosen when they complete (`when`), in row order.
    deciding: tuple[int, ...] = ()
    # Rows whose failed attempts a `failed` condition counts (their times are kept by the engines).
    counted_failures: frozenset[int] = frozenset()
    # Whether every milestone a condition reads comes before its decision in row order (the rows
    # are ordered so wherever the conditions allow): the vector engine needs it.
    reads_in_order: bool = True

    @cached_property
    def milestones(self) -> tuple[Milestone, ...]:
        """The milestones in row order (built once: engines read it per iteration)."""
        return tuple(self.scenario.milestones[i] for i in self.ids)

    @cached_property
    def decision_effects(self) -> dict[str, tuple[tuple[tuple[int, Effect], ...], ...]]:
        """Per decision, per outcome: its effects with their index in `effect_sources`."""
        out: dict[str, list[list[tuple[int, Effect]]]] = {}
        for k, (kind, owner, effect) in enumerate(self.effect_sources):
            if kind == "decision":
                mid, name = owner.split("=", 1)
                names = [b.id for b in self.scenario.milestones[mid].branches]
                out.setdefault(mid, [[] for _ in names])[names.index(name)].append((k, effect))
        return {
            mid: tuple(tuple(effects) for effects in outcomes) for mid, outcomes in out.items()
        } | {m.id: tuple(() for _ in m.branches) for m in self.milestones if m.branches and m.id not in out}


def compile_plan(scenario: Scenario) -> Plan:
    # A conditional decision reads milestones that do not come after it: they are put before it
    # in row order where that makes no cycle, so that a row-at-a-time engine has them settled.
    reads = {
        mid: sorted(set().union(*(b.when.milestones() for b in m.branches if b.when is not None)))
        for mid, m in scenario.milestones.items()
        if m.conditional
    }
    try:
        order, in_order = _topological(scenario, reads), True
    except ValueError:
        order, in_order = _topological(scenario), False
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
        deciding=tuple(index[mid] for mid in order if mid in reads),
        counted_failures=frozenset(
            index[c.id] for m in scenario.milestones.values() for c in _failed(m.branches) if c.id
        ),
        reads_in_order=in_order,
    )


def _failed(branches: tuple[Branch, ...]) -> list[Condition]:
    """The `failed` conditions among these outcomes', nested ones included."""
    out: list[Condition] = []
    stack = [b.when for b in branches if b.when is not None]
    while stack:
        c = stack.pop()
        if c.kind == "failed":
            out.append(c)
        stack.extend(c.parts)
    return out


def _copula_matrix(scenario: Scenario, group: Correlation) -> np.ndarray:
    """The copula parameters that give the group's members rank correlation `rho` (validated)."""
    from sim.scenario import copula

    return copula.matrix(group.rho, copula.of_group(scenario, group))


def _topological(scenario: Scenario, reads: dict[str, list[str]] | None = None) -> list[str]:
    """Milestones after their predecessors (and after what `reads` lists for them), ties in file order."""
    file_order = list(scenario.milestones)
    rank = {m: i for i, m in enumerate(file_order)}
    extra = reads or {}
    before = {m: {p.id for p in scenario.milestones[m].after} | set(extra.get(m, ())) for m in file_order}
    indegree = {m: len(before[m]) for m in file_order}
    children: dict[str, list[str]] = {m: [] for m in file_order}
    for m in file_order:
        for p in sorted(before[m]):
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
