"""Loading a scenario file: read it (and what it extends), check it, and resolve it to days and ids."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.scenario import schema
from sim.scenario.extends import read_levels
from sim.scenario.model import (
    Branch,
    Condition,
    Correlation,
    Effect,
    Milestone,
    Predecessor,
    Resource,
    Retry,
    Risk,
    Scenario,
    Use,
    Window,
)
from sim.scenario.units import default_horizon
from sim.scenario.validation import check
from sim.scenario.yamlsource import Source


def load(path: str | Path) -> Scenario:
    """Read, check and resolve a scenario file.

    Reads and checks only: no engine runs. A scenario without a `headline` keeps it empty here;
    `sim.simulate` (or `sim.validate`) picks the milestone the deterministic plan finishes last.
    Raises ScenarioError listing every problem found, each with file, line, column and key path.
    """
    return from_levels(read_levels(Path(path)))


def from_levels(levels: list[tuple[Source, list[Path]]]) -> Scenario:
    """The scenario of `read_levels`' first document, keeping its bases' copulas (read there)."""
    source, chain = levels[0]
    return keep_base_copulas(from_source(source, chain), levels)


def keep_base_copulas(scenario: Scenario, levels: list[tuple[Source, list[Path]]]) -> Scenario:
    """A scenario that extends another keeps the base's copula for each correlation group it
    does not change (sim.scenario.copula.keep_base), so a variant draws the base's numbers there too.
    `levels` is `read_levels` of the scenario's file: the base is loaded from what it read."""
    if len(levels) < 2 or not scenario.correlations:
        return scenario
    from sim.scenario.copula import keep_base

    try:
        base = from_levels(levels[1:])
    except ScenarioError:  # a base that is not a whole scenario on its own: nothing to keep
        return scenario
    return keep_base(scenario, base)


def from_source(source: Source, chain: list[Path]) -> Scenario:
    """Check and resolve an already read (and overlaid) document, such as one a sweep changed."""
    from sim.scenario.reference import EXTRA_ROWS

    token = EXTRA_ROWS.set(_reference_rows(source))
    try:
        spec = check(source)
        return _resolve(spec, source, chain)
    finally:
        EXTRA_ROWS.reset(token)


def _reference_rows(source: Source) -> tuple[Any, ...]:
    """The rows of the scenario's `reference_data` CSV (relative to the file that names it)."""
    from sim.errors import Problem, ScenarioError
    from sim.scenario.reference import ReferenceDataError, read_forecasts

    data = source.data if isinstance(source.data, dict) else {}
    name = data.get("reference_data")
    if not isinstance(name, str) or not name.strip():
        return ()  # absent, or not text: the schema check says so
    mark = source.marks.get(("reference_data",))
    base = mark.file if mark is not None else source.path
    path = (Path(base).parent / name.strip()) if base is not None else Path(name.strip())
    try:
        return read_forecasts(path, extra_classes=True)
    except ReferenceDataError as exc:
        raise ScenarioError(Problem(f"{exc.column}: {exc.why}", exc.file, exc.line)) from None
    except (OSError, UnicodeDecodeError) as exc:
        where = Problem(
            f"cannot read {path} ({getattr(exc, 'strerror', None) or exc})",
            mark.file if mark else source.path,
            mark.line if mark else None,
            mark.column if mark else None,
            "reference_data",
        )
        raise ScenarioError(where) from None


def _effects(specs: list[schema.EffectSpec]) -> tuple[Effect, ...]:
    out = []
    for e in specs:
        ids = tuple(e.milestones)
        if e.scale is not None:
            out.append(Effect(ids, "scale", amount=e.scale))
        elif e.add is not None:
            out.append(Effect(ids, "add", amount=e.add))
        elif e.cancel:
            out.append(Effect(ids, "cancel"))
        else:
            out.append(Effect(ids, "success", probability=e.success))
    return tuple(out)


def _condition(spec: schema.ConditionSpec) -> Condition:
    if spec.done is not None:
        return Condition("done", spec.done)
    if spec.not_done is not None:
        return Condition("not_done", spec.not_done)
    if spec.risk is not None:
        return Condition("risk", spec.risk)
    if spec.failed is not None:
        return Condition("failed", spec.failed, spec.at_least or 1)
    if spec.not_ is not None:
        return Condition("not", parts=(_condition(spec.not_),))
    if spec.all is not None:
        return Condition("all", parts=tuple(_condition(c) for c in spec.all))
    return Condition("any", parts=tuple(_condition(c) for c in spec.any or ()))


def _resolve(spec: schema.ScenarioSpec, source: Source, chain: list[Path]) -> Scenario:
    from sim.scenario.grammar import parse_distribution

    start = spec.start
    zero = parse_distribution(0, "days")

    def days(d: Any) -> float | None:
        return None if d is None else float((d - start).days)

    milestones: dict[str, Milestone] = {}
    for mid, m in spec.milestones.items():
        milestones[mid] = Milestone(
            id=mid,
            title=m.title or mid,
            duration=m.duration or zero,
            after=tuple(Predecessor(a.id, a.lag) for a in m.after),
            not_before=days(m.not_before),
            target=days(m.target),
            branches=tuple(
                Branch(
                    bid,
                    1.0 if b.probability is None else b.probability,
                    _effects(b.effects),
                    b.title,
                    None if b.when is None else _condition(b.when),
                )
                for bid, b in (m.branches or {}).items()
            ),
            success=m.success,
            retry=Retry(m.retry.after, m.retry.max) if m.retry else None,
            window=Window(m.window.every.mean, m.window.open.mean, days(m.window.first) or 0.0)
            if m.window
            else None,
            uses=tuple(
                Use(rid, u.amount if u else 1, u.hold if u else None) for rid, u in sorted(m.uses.items())
            ),
            actual=days(m.actual),
            source=m.source,
        )
    risks = {
        rid: Risk(rid, r.title or rid, r.probability, _effects(r.effects), r.source)
        for rid, r in spec.risks.items()
    }
    resources = {rid: Resource(rid, r.title or rid, r.capacity) for rid, r in spec.resources.items()}
    return Scenario(
        name=spec.name,
        description=spec.description,
        start=start,
        horizon=spec.horizon or default_horizon(start) or dt.date.max,  # validated above
        as_of=spec.as_of,
        iterations=spec.iterations,
        seed=spec.seed,
        headline=spec.headline or "",
        milestones=milestones,
        risks=risks,
        resources=resources,
        correlations=tuple(
            Correlation(tuple(c.milestones), c.rho, tuple(c.risks)) for c in spec.correlations
        ),
        path=source.path,
        sha256=hashlib.sha256(source.text).hexdigest(),
        files=tuple(chain),
        warnings=tuple(_warnings(spec, source)),
    )


def _warnings(spec: schema.ScenarioSpec, source: Source) -> list[str]:
    """Things a file may mean but probably does not: they run, with a one-line note each."""
    horizon = spec.horizon or default_horizon(spec.start) or dt.date.max
    out = []

    def where(key: tuple[str, ...]) -> str:
        mark = source.key_marks.get(key) or source.marks.get(key)
        if mark is None:
            return ".".join(key)
        of = "" if mark.file == source.path else f" of {mark.file.name}"
        return f"{'.'.join(key)} (line {mark.line}{of})"

    for mid, m in spec.milestones.items():
        if m.target is not None and m.target > horizon:
            out.append(
                f"{where(('milestones', mid, 'target'))}: target {m.target} is after the horizon "
                f"{horizon}; the simulation stops at the horizon, so P(target) is the share done by "
                "then (move the horizon past the target?)"
            )
        if m.duration is None and not m.branches and m.actual is None:
            out.append(
                f"{where(('milestones', mid))}: no duration, so it takes no time once its "
                "predecessors are done (write duration: 0d if that is meant)"
            )
    return out
