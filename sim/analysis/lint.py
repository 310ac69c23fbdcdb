"""Schedule-quality rules (`lunarsim lint`): each finding with its rule, severity, key path and line.

Adapted from DCMA 14-point and GAO schedule practice to this format where they mean something;
docs/lint.md documents every rule. The rules read the resolved scenario, its source marks and the
deterministic plan only: no simulation (fixes are costed separately, `sim.analysis.linteffects`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from sim.scenario.model import Scenario
from sim.scenario.yamlsource import Key, Source

Severity = Literal["error", "warning", "note"]

# Judgement thresholds, documented with their rules in docs/lint.md.
# sd / mean of a duration below this (for a bell shape: P10 to P90 spans under 20 % of the
# median, 2.563 sd), for a mean of ...
NARROW_CV = 0.078
NARROW_FROM_DAYS = 180.0  # ... at least half a year
LONG_CHAIN = 5  # uncertain durations upstream of the headline with no correlation group
LONG_LAG_DAYS = 90.0
LONG_DURATION_DAYS = 5 * 365.25


@dataclass(frozen=True)
class Finding:
    """One finding. `key` is the key path in the file (`milestones.launch.duration`); `file` and
    `line` where it is written (None when the file does not say); `p80_effect_days` the change of
    the headline's P80 when it is fixed as the message suggests, where that was computed."""

    rule: str
    name: str
    severity: Severity
    key: str
    message: str
    file: Path | None = None
    line: int | None = None
    p80_effect_days: float | None = None
    fix: tuple[str, str] | None = None  # (kind, subject) a fix `linteffects` can cost

    def record(self) -> dict[str, object]:
        """The JSON record of `outputs.md`: rule, severity, path (file:line key), line, message,
        p80_effect_days."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "path": self.where(),
            "line": self.line,
            "message": self.message,
            "p80_effect_days": self.p80_effect_days,
        }

    def where(self) -> str:
        place = "" if self.file is None else f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{place} {self.key}".strip()


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    check: Callable[[Context], Iterator[tuple[Key, str, tuple[str, str] | None]]]


@dataclass(frozen=True)
class Context:
    scenario: Scenario
    source: Source
    plan: dict[str, float]  # the deterministic plan's finish days, ignoring the status date

    @property
    def successors(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {m: set() for m in self.scenario.milestones}
        for mid, m in self.scenario.milestones.items():
            for p in m.after:
                out[p.id].add(mid)
        return out

    def upstream(self, milestone: str) -> set[str]:
        """The milestone and everything it waits for, directly or not."""
        seen = {milestone}
        todo = [milestone]
        while todo:
            for p in self.scenario.milestones[todo.pop()].after:
                if p.id not in seen:
                    seen.add(p.id)
                    todo.append(p.id)
        return seen


def _day(days: float) -> float:
    """The whole day a time falls on (a date), `inf` kept for never."""
    return float(math.floor(days)) if math.isfinite(days) else math.inf


def _uncertain(ctx: Context, mid: str) -> bool:
    return not ctx.scenario.milestones[mid].duration.is_fixed


def _title(ctx: Context, mid: str) -> str:
    return repr(ctx.scenario.milestones[mid].title)


def open_end(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    succ = ctx.successors
    for mid, m in ctx.scenario.milestones.items():
        if not succ[mid] and mid != ctx.scenario.headline and m.target is None:
            yield (
                ("milestones", mid),
                f"{_title(ctx, mid)} feeds no milestone and has no target, so nothing in the run "
                "depends on it: link it with `after` or give it a target",
                None,
            )


def missing_source(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for mid, m in ctx.scenario.milestones.items():
        if m.source is None and m.actual is None and _uncertain(ctx, mid):
            yield ("milestones", mid), f"{_title(ctx, mid)} has an uncertain duration but no source", None
    for rid, r in ctx.scenario.risks.items():
        if r.source is None:
            yield ("risks", rid), f"risk {r.title!r} has no source for its probability or effect", None


def fixed_among_uncertain(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    timed = [mid for mid, m in ctx.scenario.milestones.items() if m.actual is None and m.duration.high > 0]
    uncertain = [mid for mid in timed if _uncertain(ctx, mid)]
    if len(uncertain) * 2 < len(timed):
        return
    for mid in timed:
        if not _uncertain(ctx, mid):
            yield (
                ("milestones", mid, "duration"),
                f"{_title(ctx, mid)} has a fixed duration among uncertain ones: give it a range, "
                "or say in its source why it cannot vary",
                None,
            )


def narrow_spread(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for mid, m in ctx.scenario.milestones.items():
        if m.actual is not None or not _uncertain(ctx, mid):
            continue
        mean, sd = m.duration.mean, math.sqrt(max(m.duration.var, 0.0))
        if mean >= NARROW_FROM_DAYS and sd / mean < NARROW_CV:
            yield (
                ("milestones", mid, "duration"),
                f"{_title(ctx, mid)}: its standard deviation is {sd / mean:.0%} of its mean; past space "
                "projects of that length slipped far more (optimism?)",
                None,
            )


def uncorrelated_chain(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    grouped = {m for c in ctx.scenario.correlations for m in c.milestones}
    chain = [
        mid
        for mid in ctx.scenario.milestones
        if mid in ctx.upstream(ctx.scenario.headline)
        and _uncertain(ctx, mid)
        and ctx.scenario.milestones[mid].actual is None
    ]
    if len(chain) >= LONG_CHAIN and not grouped & set(chain):
        yield (
            ("milestones", ctx.scenario.headline),
            f"{len(chain)} uncertain durations lead to the headline and none is in a correlation "
            "group: independent errors cancel out, which narrows the spread (add `correlations`)",
            ("correlate", ",".join(chain)),
        )


def risk_without_effect(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    reach = ctx.upstream(ctx.scenario.headline)
    for rid, r in ctx.scenario.risks.items():
        touched = {m for e in r.effects for m in e.milestones}
        if r.probability == 0 or not touched & reach:
            why = "its probability is 0" if r.probability == 0 else "none of its effects reaches the headline"
            yield ("risks", rid), f"risk {r.title!r} cannot move the headline: {why}", ("remove-risk", rid)


def certain_risk(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for rid, r in ctx.scenario.risks.items():
        if r.probability == 1:
            yield (
                ("risks", rid, "probability"),
                f"risk {r.title!r} always occurs: it is part of the plan, not a risk",
                None,
            )


def target_before_plan(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for mid, m in ctx.scenario.milestones.items():
        plan = ctx.plan.get(mid, math.inf)
        if m.target is not None and m.target >= 0 and math.floor(m.target) < _day(plan):
            when = ctx.scenario.date_of(plan) or "never"
            yield (
                ("milestones", mid, "target"),
                f"{_title(ctx, mid)}: the target falls before the plan's own date ({when}), so even "
                "the plan misses it",
                None,
            )


def target_before_start(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for mid, m in ctx.scenario.milestones.items():
        if m.target is not None and m.target < 0:
            yield (
                ("milestones", mid, "target"),
                f"{_title(ctx, mid)}: the target is before the start date, so P(target) is 0 by construction",
                None,
            )


def target_after_horizon(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for mid, m in ctx.scenario.milestones.items():
        if m.target is not None and m.target >= ctx.scenario.horizon_days:
            yield (
                ("milestones", mid, "target"),
                f"{_title(ctx, mid)}: the target is on or after the horizon; the run stops there",
                None,
            )


def over_without_actual(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    as_of = ctx.scenario.as_of_days
    if as_of is None:
        return
    for mid, m in ctx.scenario.milestones.items():
        plan = ctx.plan.get(mid, math.inf)
        if m.actual is None and plan < as_of:
            yield (
                ("milestones", mid),
                f"{_title(ctx, mid)}: the plan has it done by {ctx.scenario.date_of(plan)}, before "
                f"as_of {ctx.scenario.as_of}, but it has no actual; if it happened, add its date",
                ("date", mid),
            )


def headline_never(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    head = ctx.scenario.headline
    if not math.isfinite(ctx.plan.get(head, math.inf)):
        yield (
            ("headline",),
            f"the plan itself (every input at its most likely value) never reaches the headline "
            f"{_title(ctx, head)} by the horizon",
            None,
        )


def hard_constraint(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for mid, m in ctx.scenario.milestones.items():
        if m.not_before is not None and m.after:
            yield (
                ("milestones", mid, "not_before"),
                f"{_title(ctx, mid)} has predecessors and a not_before date: slack the date absorbs "
                "hides delay on its paths; say in its source why the date is fixed",
                None,
            )


def long_lag(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for mid, m in ctx.scenario.milestones.items():
        for pos, p in enumerate(m.after):
            if p.lag is not None and p.lag.mean > LONG_LAG_DAYS:
                yield (
                    ("milestones", mid, "after", pos),
                    f"{_title(ctx, mid)} waits on average {p.lag.mean:.0f} days after {p.id!r}: "
                    "a wait that long is work; model it as a milestone with a source",
                    None,
                )


def long_duration(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for mid, m in ctx.scenario.milestones.items():
        if m.actual is None and m.duration.mean > LONG_DURATION_DAYS:
            yield (
                ("milestones", mid, "duration"),
                f"{_title(ctx, mid)} lasts {m.duration.mean / 365.25:.1f} years on average: split it "
                "into milestones someone can observe",
                None,
            )


def no_retry(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    for mid, m in ctx.scenario.milestones.items():
        if m.success < 1 and m.retry is None and m.actual is None:
            yield (
                ("milestones", mid, "success"),
                f"{_title(ctx, mid)} can fail ({1 - m.success:.0%} a try) and has no retry: a failure "
                "means never; add `retry` if a second try would be made",
                None,
            )


def headline_without_target(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    head = ctx.scenario.headline
    if ctx.scenario.milestones[head].target is None:
        yield ("milestones", head), f"the headline {_title(ctx, head)} has no target, so no P(target)", None


def duplicate_title(ctx: Context) -> Iterator[tuple[Key, str, tuple[str, str] | None]]:
    seen: dict[str, str] = {}
    for mid, m in ctx.scenario.milestones.items():
        if m.title in seen:
            yield (
                ("milestones", mid, "title"),
                f"{_title(ctx, mid)} is also the title of {seen[m.title]!r}: readers cannot tell them apart",
                None,
            )
        seen.setdefault(m.title, mid)


RULES: tuple[Rule, ...] = (
    Rule("LS001", "open-end", "warning", "a milestone feeds nothing and has no target", open_end),
    Rule(
        "LS002",
        "missing-source",
        "warning",
        "an uncertain duration or a risk without a source",
        missing_source,
    ),
    Rule(
        "LS003",
        "fixed-among-uncertain",
        "note",
        "a fixed duration among uncertain ones",
        fixed_among_uncertain,
    ),
    Rule(
        "LS004", "narrow-spread", "warning", "a long duration with a narrow spread (optimism)", narrow_spread
    ),
    Rule(
        "LS005",
        "uncorrelated-chain",
        "note",
        "a long chain of uncertain durations, none correlated",
        uncorrelated_chain,
    ),
    Rule(
        "LS006", "risk-without-effect", "warning", "a risk that cannot move the headline", risk_without_effect
    ),
    Rule("LS007", "certain-risk", "warning", "a risk with probability 1", certain_risk),
    Rule("LS008", "target-before-plan", "warning", "a target before the plan's own date", target_before_plan),
    Rule("LS009", "target-before-start", "error", "a target before the start date", target_before_start),
    Rule(
        "LS010", "target-after-horizon", "warning", "a target on or after the horizon", target_after_horizon
    ),
    Rule(
        "LS011",
        "over-without-actual",
        "warning",
        "the plan says it is over by as_of, but no actual",
        over_without_actual,
    ),
    Rule("LS012", "headline-never", "error", "the plan never reaches the headline", headline_never),
    Rule("LS013", "hard-constraint", "note", "not_before on a milestone with predecessors", hard_constraint),
    Rule("LS014", "long-lag", "note", "a lag longer than 90 days on average", long_lag),
    Rule("LS015", "long-duration", "note", "a duration longer than 5 years on average", long_duration),
    Rule("LS016", "no-retry", "note", "a milestone that can fail with no retry", no_retry),
    Rule("LS017", "headline-without-target", "note", "the headline has no target", headline_without_target),
    Rule("LS018", "duplicate-title", "warning", "two milestones with one title", duplicate_title),
)


def lint_scenario(scenario: Scenario, source: Source) -> list[Finding]:
    """Every rule's findings for one loaded scenario and its source, in rule order. The rules read
    the deterministic plan as if there were no status date (actuals kept): what the plan says
    should be over by `as_of`."""
    from sim.simulation.deterministic import deterministic_plan, resolved

    plan = deterministic_plan(replace(scenario, as_of=None))
    if not scenario.headline:
        scenario = resolved(scenario, plan if scenario.as_of is None else None)
    ctx = Context(scenario, source, plan.finish)
    out = []
    for rule in RULES:
        for key, message, fix in rule.check(ctx):
            mark = source.key_marks.get(key) or source.marks.get(key)
            out.append(
                Finding(
                    rule=rule.id,
                    name=rule.name,
                    severity=rule.severity,
                    key=_key_text(key),
                    message=message,
                    file=mark.file if mark else scenario.path,
                    line=mark.line if mark else None,
                    fix=fix,
                )
            )
    return out


def _key_text(key: Key) -> str:
    from sim.errors import format_path

    return format_path(key)


def load_with_source(path: Path) -> tuple[Scenario, Source]:
    """The scenario (as `sim.load` gives it: a ScenarioError if unreadable or invalid) and its
    overlaid source with every key's file and line, read once."""
    from sim.scenario.extends import read_levels
    from sim.scenario.loader import from_levels

    levels = read_levels(Path(path))
    return from_levels(levels), levels[0][0]


def lint(path: Path) -> list[Finding]:
    """Load `path` and lint it."""
    return lint_scenario(*load_with_source(path))
