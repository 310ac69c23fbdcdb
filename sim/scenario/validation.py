"""Checking a scenario's data: structure and values (pydantic), references between ids, and
the rules that need several values at once. Every problem is collected with its location."""

from __future__ import annotations

import datetime as dt
import math
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError, format_path
from sim.messages import Suggestions, did_you_mean, show
from sim.scenario import schema
from sim.scenario.units import DEFAULT_HORIZON_YEARS, default_horizon, format_days
from sim.scenario.yamlsource import Key, Source


def check(source: Source) -> schema.ScenarioSpec:
    """The validated structure of `source`, or ScenarioError listing every problem in file order."""
    return _Checker(source).validate()


class _Checker:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.suggestions = Suggestions()

    def at(self, loc: Key, message: str, key: bool = False) -> None:
        mark = None
        if key:
            mark = self.source.key_marks.get(loc)
        probe = loc
        while mark is None and probe:
            mark = self.source.marks.get(probe)
            probe = probe[:-1]
        if mark is None:
            mark = self.source.marks.get(())
        self.problems.append(
            Problem(
                message,
                mark.file if mark else self.source.path,
                mark.line if mark else None,
                mark.column if mark else None,
                format_path(loc),
            )
        )

    def validate(self) -> schema.ScenarioSpec:
        data = self.source.data
        spec: schema.ScenarioSpec | None = None
        try:
            spec = schema.ScenarioSpec.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                self._from_pydantic(err)
        _References(self, data).check()
        if spec is not None and not self.problems:
            _Semantics(self, spec).check()
        if self.problems:
            self.problems.sort(key=lambda p: (str(p.file), p.line or 0, p.column or 0))
            raise ScenarioError(self.problems)
        assert spec is not None
        return spec

    def _from_pydantic(self, err: Any) -> None:
        loc = tuple(p for p in err["loc"] if p != "[key]")
        kind = err["type"]
        given = err.get("input")
        if kind == "missing":
            parent = loc[:-1]
            self.at(parent, f"missing required key {loc[-1]!r}")
        elif kind == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            hint = _did_you_mean(str(loc[-1]), allowed, self.suggestions)
            self.at(loc, f"unknown key {loc[-1]!r}{hint}", key=True)
        elif kind in ("value_error", "assertion_error"):
            msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
            self.at(loc, msg, key="[key]" in err["loc"])
        elif kind == "literal_error" and loc == ("format",):
            self.at(loc, f"format {given!r} is not supported; this version of lunarsim reads format 1")
        elif kind == "literal_error" and loc[-1:] == ("cancel",):
            self.at(loc, f"cancel takes true, got {show(given)}")
        elif kind in _EXPECTED:
            self.at(loc, f"expected {_EXPECTED[kind]}, got {show(given)}")
        elif kind in ("too_short", "too_long"):
            ctx = err.get("ctx", {})
            n = ctx.get("min_length", ctx.get("max_length"))
            noun = "item" if n == 1 else "items"
            need = "at least" if kind == "too_short" else "at most"
            self.at(loc, f"needs {need} {n} {noun}")
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            ctx = err.get("ctx", {})
            op = {
                "greater_than_equal": ">=",
                "less_than_equal": "<=",
                "greater_than": ">",
                "less_than": "<",
            }[kind]
            bound = next(iter(ctx.values()), "?")
            self.at(loc, f"must be {op} {bound}, got {show(given)}")
        else:
            self.at(loc, str(err["msg"]))


_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "bool_type": "true or false",
    "date_type": "a date",
}


def _did_you_mean(word: str, choices: list[str], suggestions: Suggestions) -> str:
    close = did_you_mean(word, choices, suggestions)
    if close:
        return f" ({close})"
    if 0 < len(choices) <= 12:
        return f" (expected one of: {', '.join(choices)})"
    return ""


def _allowed_keys(loc: Key) -> list[str]:
    """The keys the format allows in the mapping at `loc` (for 'did you mean')."""
    tp: Any = schema.ScenarioSpec
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = _field(tp, str(part))
            if field is None:
                return []
            tp = field.annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) is list:
            tp = typing.get_args(tp)[0]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or name for name, f in tp.model_fields.items()]
    return []


def _field(model: type[BaseModel], key: str) -> Any:
    """The field a file's `key` sets (by its name, or by its alias such as a condition's `not`)."""
    for name, f in model.model_fields.items():
        if key in (name, f.alias):
            return f
    return None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0]
        else:
            return tp


class _References:
    """Checks of ids between parts of the file, on the raw data (so they run beside other errors)."""

    def __init__(self, checker: _Checker, data: dict[str, Any]) -> None:
        self.c = checker
        self.data = data
        ms = data.get("milestones")
        self.milestones: dict[str, Any] = ms if isinstance(ms, dict) else {}
        self.milestone_ids = list(self.milestones)
        rs = data.get("resources")
        self.resources: dict[str, Any] = rs if isinstance(rs, dict) else {}

    def milestone(self, loc: Key, ref: object, *, self_id: str | None = None) -> None:
        if not isinstance(ref, str):
            return
        if ref == self_id:
            self.c.at(loc, f"{ref!r} cannot come after itself")
        elif ref not in self.milestones:
            hint = _did_you_mean(ref, self.milestone_ids, self.c.suggestions)
            self.c.at(loc, f"unknown milestone {ref!r}{hint}")

    def effects(self, loc: Key, effects: object) -> None:
        if not isinstance(effects, list):
            return
        for i, effect in enumerate(effects):
            if isinstance(effect, dict) and isinstance(effect.get("milestones"), list):
                for j, ref in enumerate(effect["milestones"]):
                    self.milestone((*loc, i, "milestones", j), ref)

    def branches(self, mid: str, branches: object) -> None:
        """The ids a decision's outcomes name, in their effects and conditions."""
        if not isinstance(branches, dict):
            return
        for bid, b in branches.items():
            if isinstance(b, dict):
                self.effects(("milestones", mid, "branches", bid, "effects"), b.get("effects"))
                if "when" in b:
                    self.condition(("milestones", mid, "branches", bid, "when"), b["when"])

    def condition(self, loc: Key, cond: object) -> None:
        """The ids a `when` condition names, nested conditions included."""
        if not isinstance(cond, dict):
            return
        for key in ("done", "not_done", "failed"):
            if key in cond:
                self.milestone((*loc, key), cond[key])
        ref = cond.get("risk")
        if isinstance(ref, str):
            risks = self.data.get("risks")
            known = list(risks) if isinstance(risks, dict) else []
            if ref not in known:
                hint = _did_you_mean(ref, known, self.c.suggestions)
                self.c.at((*loc, "risk"), f"unknown risk {ref!r}{hint}")
        for key in ("all", "any"):
            if isinstance(cond.get(key), list):
                for i, part in enumerate(cond[key]):
                    self.condition((*loc, key, i), part)
        if "not" in cond:
            self.condition((*loc, "not"), cond["not"])

    def check(self) -> None:
        for mid, m in self.milestones.items():
            if not isinstance(m, dict):
                continue
            after = m.get("after")
            if isinstance(after, list):
                for i, entry in enumerate(after):
                    ref = entry.get("id") if isinstance(entry, dict) else entry
                    sub = ("id",) if isinstance(entry, dict) else ()
                    self.milestone(("milestones", mid, "after", i, *sub), ref, self_id=mid)
            self.branches(mid, m.get("branches"))
            uses = m.get("uses")
            if isinstance(uses, dict):
                for rid in uses:
                    if rid not in self.resources:
                        hint = (
                            _did_you_mean(rid, list(self.resources), self.c.suggestions)
                            if self.resources
                            else (" (declare it under resources:)")
                        )
                        self.c.at(
                            ("milestones", mid, "uses", rid),
                            f"unknown resource {rid!r}{hint}",
                            key=True,
                        )
        risks = self.data.get("risks")
        if isinstance(risks, dict):
            for rid, r in risks.items():
                if isinstance(r, dict):
                    self.effects(("risks", rid, "effects"), r.get("effects"))
        corr = self.data.get("correlations")
        if isinstance(corr, list):
            for g, group in enumerate(corr):
                if isinstance(group, dict) and isinstance(group.get("milestones"), list):
                    for j, ref in enumerate(group["milestones"]):
                        self.milestone(("correlations", g, "milestones", j), ref)
                if isinstance(group, dict) and isinstance(group.get("risks"), list):
                    known = list(risks) if isinstance(risks, dict) else []
                    for j, ref in enumerate(group["risks"]):
                        if isinstance(ref, str) and ref not in known:
                            self.c.at(
                                ("correlations", g, "risks", j),
                                f"unknown risk {ref!r}{_did_you_mean(ref, known, self.c.suggestions)}",
                            )
        headline = self.data.get("headline")
        if headline is not None:
            self.milestone(("headline",), headline)
        self.cycle()

    def cycle(self) -> None:
        graph: dict[str, list[str]] = {}
        for mid, m in self.milestones.items():
            after = m.get("after") if isinstance(m, dict) else None
            refs = []
            if isinstance(after, list):
                for entry in after:
                    ref = entry.get("id") if isinstance(entry, dict) else entry
                    if isinstance(ref, str) and ref in self.milestones and ref != mid:
                        refs.append(ref)
            graph[mid] = refs
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(node: str) -> list[str] | None:
            state[node] = 1
            stack.append(node)
            for nxt in graph[node]:
                if state.get(nxt) == 1:
                    return [*stack[stack.index(nxt) :], nxt]
                if nxt not in state:
                    found = visit(nxt)
                    if found:
                        return found
            stack.pop()
            state[node] = 2
            return None

        for mid in graph:
            if mid not in state:
                found = visit(mid)
                if found:
                    # Printed in the direction work flows: a -> b means b comes after a.
                    flow = list(reversed(found))
                    self.c.at(("milestones", flow[0], "after"), "dependency cycle: " + " -> ".join(flow))
                    return


class _Semantics:
    """Checks that need the validated values: sums, dates in order, capacities, correlations."""

    def __init__(self, checker: _Checker, spec: schema.ScenarioSpec) -> None:
        self.c = checker
        self.s = spec

    def check(self) -> None:
        s = self.s
        if len(s.milestones) > schema.MAX_MILESTONES:
            self.c.at(
                ("milestones",),
                f"{len(s.milestones):,} milestones; a scenario has at most {schema.MAX_MILESTONES:,} "
                "(split the programme, or group detailed tasks into milestones)",
            )
        horizon = s.horizon or default_horizon(s.start)
        if horizon is None:
            self.c.at(
                ("start",),
                f"start {s.start} is too late for the default horizon ({DEFAULT_HORIZON_YEARS} years "
                "later, past 9999-12-31); give a horizon",
            )
            horizon = dt.date.max
        if horizon <= s.start:
            self.c.at(("horizon",), f"horizon {horizon} must be after start {s.start}")
        if s.as_of is not None and not s.start <= s.as_of < horizon:
            self.c.at(
                ("as_of",),
                f"as_of {s.as_of} must be on or after start {s.start} and before the horizon",
            )
        for mid, m in s.milestones.items():
            at = ("milestones", mid)
            if m.branches is not None:
                if not m.branches:
                    self.c.at((*at, "branches"), "a decision needs at least one outcome")
                if any(b.when is not None for b in m.branches.values()):
                    self.conditional(mid, m.branches)
                else:
                    self.drawn(mid, m.branches)
            if m.actual is not None:
                if s.as_of is None:
                    self.c.at((*at, "actual"), "actual needs a status date: add as_of at the top level")
                elif m.actual > s.as_of:
                    self.c.at(
                        (*at, "actual"),
                        f"actual {m.actual} is after as_of {s.as_of}; a milestone "
                        "can only be done by the status date",
                    )
                if m.actual < s.start:
                    self.c.at((*at, "actual"), f"actual {m.actual} is before start {s.start}")
                self.actual_after_predecessors(mid, m)
            if m.window is not None:
                every, open_ = m.window.every.mean, m.window.open.mean
                if every <= 0:
                    self.c.at((*at, "window", "every"), "must be longer than 0d")
                elif not 0 < open_ <= every:
                    self.c.at(
                        (*at, "window", "open"),
                        f"open {format_days(open_)} must be longer than 0d "
                        f"and no longer than every ({format_days(every)})",
                    )
            for rid, use in m.uses.items():
                res = s.resources.get(rid)
                amount = use.amount if use else 1
                if res is not None and amount > res.capacity:
                    self.c.at(
                        (*at, "uses", rid, "amount"),
                        f"needs {amount} but {rid!r} has capacity {res.capacity}; it could never start",
                    )
        self.correlations()

    def drawn(self, mid: str, branches: dict[str, schema.BranchSpec]) -> None:
        """Outcomes drawn up front: each has a probability, and they sum to 1."""
        at = ("milestones", mid, "branches")
        missing = [bid for bid, b in branches.items() if b.probability is None]
        for bid in missing:
            self.c.at((*at, bid), "missing required key 'probability'")
        total = sum(b.probability or 0.0 for b in branches.values())
        if not missing and abs(total - 1.0) > 1e-9:
            self.c.at(at, f"outcome probabilities sum to {total:.6g}; they must sum to 1")

    def conditional(self, mid: str, branches: dict[str, schema.BranchSpec]) -> None:
        """Conditional outcomes (`when`): every one but the last has a condition, the last (the
        default) has none and no probability; conditions read only what can be known when the
        decision completes, and effects reach only milestones that come after it."""
        at = ("milestones", mid, "branches")
        ids = list(branches)
        later = self.after(mid)
        for k, (bid, b) in enumerate(branches.items()):
            last = k == len(ids) - 1
            if last and b.when is not None:
                self.c.at(
                    (*at, bid, "when"),
                    f"the last outcome is the default, taken when no earlier one is, so it has no when; "
                    f"add an outcome after {bid!r} without one",
                    key=True,
                )
            elif not last and b.when is None:
                self.c.at(
                    (*at, bid),
                    f"outcome {bid!r} has no when, but {mid!r} is a conditional decision: every outcome "
                    f"but the last needs a when (a decision's outcomes are all drawn by probability or all "
                    f"conditional)",
                    key=True,
                )
            if last and b.probability is not None:
                self.c.at(
                    (*at, bid, "probability"),
                    "the default outcome (the last) is taken whenever no earlier one is; "
                    "remove its probability",
                    key=True,
                )
            if b.when is not None:
                self.reads(mid, later, (*at, bid, "when"), b.when)
            for e, effect in enumerate(b.effects):
                for j, target in enumerate(effect.milestones):
                    if target in self.s.milestones and target not in later:
                        self.c.at(
                            (*at, bid, "effects", e, "milestones", j),
                            f"{target!r} does not come after {mid!r} (through after), so a conditional "
                            f"outcome of {mid!r} cannot change it: it may already be under way when the "
                            "decision is made",
                        )

    def reads(
        self, mid: str, later: set[str], loc: tuple[str | int, ...], cond: schema.ConditionSpec
    ) -> None:
        """A condition may not read the decision itself or a milestone that comes after it."""
        for key in ("done", "not_done", "failed"):
            ref = getattr(cond, key)
            if ref == mid:
                self.c.at((*loc, key), f"a condition of {mid!r} cannot read {mid!r} itself")
            elif ref in later:
                self.c.at(
                    (*loc, key),
                    f"{ref!r} comes after {mid!r}, so it is never done (nor attempted) when {mid!r} "
                    "completes; name a milestone that does not depend on the decision",
                )
        for key in ("all", "any"):
            for i, part in enumerate(getattr(cond, key) or ()):
                self.reads(mid, later, (*loc, key, i), part)
        if cond.not_ is not None:
            self.reads(mid, later, (*loc, "not"), cond.not_)

    def after(self, mid: str) -> set[str]:
        """The milestones that come after `mid` through `after`, directly or not."""
        children: dict[str, list[str]] = {}
        for cid, m in self.s.milestones.items():
            for link in m.after:
                children.setdefault(link.id, []).append(cid)
        seen: set[str] = set()
        stack = [mid]
        while stack:
            for c in children.get(stack.pop(), ()):
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return seen

    def actual_after_predecessors(self, mid: str, m: schema.MilestoneSpec) -> None:
        """A milestone done on a date needs every predecessor done by then too."""
        assert m.actual is not None
        for entry in m.after:
            pred = self.s.milestones.get(entry.id)
            if pred is None:
                continue  # an unknown id is reported where it is written
            if pred.actual is None:
                self.c.at(
                    ("milestones", mid, "actual"),
                    f"actual {m.actual} but its predecessor {entry.id!r} has none; "
                    f"give {entry.id!r} an actual on or before {m.actual}",
                )
            elif pred.actual > m.actual:
                self.c.at(
                    ("milestones", mid, "actual"),
                    f"actual {m.actual} is before the actual {pred.actual} of its predecessor "
                    f"{entry.id!r}; a milestone is done only after what it comes after",
                )

    def correlations(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        for g, group in enumerate(self.s.correlations):
            at = ("correlations", g)
            for kind, ids in (("milestones", group.milestones), ("risks", group.risks)):
                noun = kind[:-1]
                if len(set(ids)) != len(ids):
                    self.c.at((*at, kind), f"lists a {noun} twice")
                for j, item in enumerate(ids):
                    if (kind, item) in seen and seen[(kind, item)] != g:
                        self.c.at(
                            (*at, kind, j),
                            f"{item!r} is already in correlation group {seen[(kind, item)]}; "
                            f"a {noun} may be in one group",
                        )
                    seen.setdefault((kind, item), g)
            for j, mid in enumerate(group.milestones):
                dur = self.s.milestones[mid].duration
                if dur is None or dur.is_fixed:
                    self.c.at(
                        (*at, "milestones", j),
                        f"{mid!r} has a fixed duration; only uncertain durations can be correlated",
                    )
            if any(mid not in self.s.milestones for mid in group.milestones) or any(
                rid not in self.s.risks for rid in group.risks
            ):
                continue  # already reported as an unknown id
            self.copula(g, group)

    def copula(self, g: int, group: schema.CorrelationSpec) -> None:
        """The solved copula matrix must exist (each pair can reach rho) and be positive semi-definite."""
        from sim.scenario import copula

        at = ("correlations", g, "rho")
        marginals = copula.members(
            [self.s.milestones[m].duration for m in group.milestones],
            [float(self.s.risks[r].probability) for r in group.risks],
        )
        try:
            matrix = copula.matrix(group.rho, marginals)
        except ValueError as e:
            self.c.at(at, f"correlation group {g}: {e}; lower rho or use members with more distinct values")
            return
        if not copula.is_psd(matrix):
            k = len(marginals)
            if all(m is None for m in marginals):
                # A common correlation r among k members needs r >= -1/(k-1); as Spearman's rho,
                # rho >= (6/pi) asin(-1/(2(k-1))).
                lowest = 6.0 / math.pi * math.asin(-1.0 / (2.0 * (k - 1)))
                hint = f"with {k} members rho must be at least {lowest:.3f}"
            else:
                hint = "raise rho towards 0 or split the group"
            self.c.at(
                at,
                f"correlation group {g}: rho {group.rho} for these {k} members is not positive "
                f"semi-definite (no joint distribution has it); {hint}",
            )
