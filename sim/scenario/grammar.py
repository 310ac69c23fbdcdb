"""How a scenario writes a distribution: the parsers of every form, the grammar that names them with
their JSON-Schema fragments, and the check that a parsed distribution can be simulated."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.messages import and_list, did_you_mean, show
from sim.scenario.distributions import (
    _REFERENCE_FORM,
    Discrete,
    Distribution,
    Empirical,
    Fixed,
    Lognormal,
    Pert,
    ReferenceFit,
    ReferenceSlip,
    Triangular,
    TruncatedNormal,
    Uniform,
    Unit,
    _fmt,
)
from sim.scenario.units import UNIT_NAMES, _parse_days_signed, parse_duration, parse_number

# `method:` of the reference form: the fitted slip model (sim.scenario.slipfit) or the class's Kaplan-Meier.
REFERENCE_METHODS = ("fitted", "empirical")
_LOGNORMAL_FORMS = "{median, p90} or {p10, p90}"
_INTERVAL_RE = re.compile(r"\s*(.*?\S)\s+to\s+(\S.*?)\s*", re.IGNORECASE | re.DOTALL)


# --- parsing --------------------------------------------------------------------------------


def _value(raw: object, unit: Unit) -> float:
    """A parameter in days (sign kept, so the distribution can name the key) or a plain number."""
    return parse_number(raw) if unit == "number" else _parse_days_signed(raw)


def _values(body: object, kind: str, shape: str, count: int, unit: Unit) -> list[float]:
    if not isinstance(body, (list, tuple)):
        raise ValueError(f"{kind} takes {shape}, got {show(body)}")
    if len(body) != count:
        plural = "" if len(body) == 1 else "s"
        raise ValueError(f"{kind} takes {shape}, got {len(body)} value{plural}")
    return [_value(v, unit) for v in body]


def _params(body: object, kind: str, allowed: tuple[str, ...], hint: str) -> dict[str, object]:
    if not isinstance(body, Mapping):
        raise ValueError(f"{kind} takes {hint}, got {show(body)}")
    out = {str(k): v for k, v in body.items()}
    for key in out:
        if key not in allowed:
            why = did_you_mean(key, allowed) or f"use {hint}"
            raise ValueError(f"unknown key {key!r} in {kind} ({why})")
    return out


def _parse_interval(text: str, low: str, high: str, unit: Unit) -> Lognormal:
    return Lognormal.from_interval(_value(low, unit), _value(high, unit), unit, text.strip())


def _parse_reference(items: dict[str, object], unit: Unit) -> ReferenceSlip | ReferenceFit:
    for key in items:
        if key not in ("reference", "planned", "method"):
            why = did_you_mean(key, ["reference", "planned", "method"]) or f"write {_REFERENCE_FORM}"
            raise ValueError(f"unknown key {key!r} in reference ({why})")
    if unit != "days":
        raise ValueError(f"reference is a duration form, {_REFERENCE_FORM}; a scale cannot use it")
    missing = [k for k in ("reference", "planned") if k not in items]
    if missing:
        raise ValueError(f"reference needs {_REFERENCE_FORM}, missing {and_list(missing)}")
    name = items["reference"]
    if not isinstance(name, str):
        raise ValueError(f"reference takes a class name such as russian-lunar, got {show(name)}")
    method = items.get("method", REFERENCE_METHODS[0])
    if method not in REFERENCE_METHODS:
        close = did_you_mean(str(method), REFERENCE_METHODS) if isinstance(method, str) else None
        raise ValueError(
            f"reference method {show(method)} is not {' or '.join(REFERENCE_METHODS)}"
            + (f" ({close})" if close else "")
        )
    make = ReferenceFit if method == "fitted" else ReferenceSlip
    return make(name.strip(), parse_duration(items["planned"]), unit)


def _parse_uniform(body: object, items: Mapping[str, object], unit: Unit) -> Distribution:
    a, b = _values(body, "uniform", "[a, b]", 2, unit)
    return Uniform(a, b, unit)


def _parse_triangular(body: object, items: Mapping[str, object], unit: Unit) -> Distribution:
    lo, mode, hi = _values(body, "triangular", "[min, mode, max]", 3, unit)
    return Triangular(lo, mode, hi, unit=unit)


def _parse_pert(body: object, items: Mapping[str, object], unit: Unit) -> Distribution:
    lo, mode, hi = _values(body, "pert", "[min, mode, max]", 3, unit)
    raw_lam = items.get("lambda", 4.0)
    try:
        lam = parse_number(raw_lam)
    except ValueError:
        raise ValueError(f"lambda must be a number > 0, got {show(raw_lam)}") from None
    return Pert(lo, mode, hi, lam, unit)


def _parse_normal(body: object, items: Mapping[str, object], unit: Unit) -> Distribution:
    params = _params(body, "normal", ("mean", "sd"), "{mean, sd}")
    missing = [k for k in ("mean", "sd") if k not in params]
    if missing:
        raise ValueError(f"normal needs {{mean, sd}}, missing {and_list(missing)}")
    return TruncatedNormal(_value(params["mean"], unit), _value(params["sd"], unit), unit)


def _parse_lognormal(body: object, items: Mapping[str, object], unit: Unit) -> Distribution:
    params = _params(body, "lognormal", ("median", "p10", "p90"), _LOGNORMAL_FORMS)
    if set(params) == {"median", "p90"}:
        median, p90 = _value(params["median"], unit), _value(params["p90"], unit)
        return Lognormal.from_median_p90(median, p90, unit)
    if set(params) == {"p10", "p90"}:
        p10, p90 = _value(params["p10"], unit), _value(params["p90"], unit)
        return Lognormal.from_p10_p90(p10, p90, unit)
    raise ValueError(f"lognormal needs {_LOGNORMAL_FORMS}")


def _parse_discrete(body: object, items: Mapping[str, object], unit: Unit) -> Distribution:
    if not isinstance(body, Mapping):
        raise ValueError(f"discrete takes {{value: probability, ...}}, got {show(body)}")
    if not body:
        raise ValueError("discrete needs at least one value, e.g. {6 months: 0.5, 1y: 0.5}")
    seen: dict[float, object] = {}
    probs: list[float] = []
    for raw, raw_p in body.items():
        v = _value(raw, unit)
        if v in seen:
            raise ValueError(f"{show(seen[v])} and {show(raw)} are the same value (list each value once)")
        seen[v] = raw
        try:
            probs.append(parse_number(raw_p))
        except ValueError:
            raise ValueError(f"probability of {_fmt(v, unit)} must be a number, got {show(raw_p)}") from None
    return Discrete(tuple(seen), tuple(probs), unit)


def _parse_empirical(body: object, items: Mapping[str, object], unit: Unit) -> Distribution:
    if not isinstance(body, (list, tuple)):
        raise ValueError(f"empirical takes a list such as [2y, 3.5y, 4y], got {show(body)}")
    return Empirical(tuple(_value(v, unit) for v in body), unit)


# --- the grammar: every form a scenario may write, with its parser and JSON-Schema fragment ----

Schema = dict[str, Any]


def _one(key: str, body: Schema, **beside: Schema) -> Schema:
    return {
        "type": "object",
        "properties": {key: body, **beside},
        "required": [key],
        "additionalProperties": False,
    }


def _n_values(n: int) -> Callable[[Schema], Schema]:
    return lambda value: {"type": "array", "items": value, "minItems": n, "maxItems": n}


def _keys(*names: str, required: tuple[str, ...]) -> Callable[[Schema], Schema]:
    def body(value: Schema) -> Schema:
        return {
            "type": "object",
            "properties": {name: value for name in names},
            "required": list(required),
            "additionalProperties": False,
        }

    return body


@dataclass(frozen=True)
class Form:
    """One kind of distribution a scenario may write: `{kind: body}` beside `extra` keys.

    `parse(body, items, unit)` builds it from the body (`items` is the whole mapping, for the
    extra keys); `body_schema(value)` is the JSON Schema of the body, given the schema of one
    value in the unit (a duration or a number); `example` is a valid body, in days.
    """

    kind: str
    cls: type[Distribution]
    parse: Callable[[object, Mapping[str, object], Unit], Distribution]
    body_schema: Callable[[Schema], Schema]
    example: object
    extra: Mapping[str, Schema] = field(default_factory=dict)

    def schema(self, value: Schema) -> Schema:
        return _one(self.kind, self.body_schema(value), **self.extra)


FORMS: dict[str, Form] = {
    form.kind: form
    for form in (
        Form("uniform", Uniform, _parse_uniform, _n_values(2), ["1y", "2y"]),
        Form("triangular", Triangular, _parse_triangular, _n_values(3), ["1y", "2y", "4y"]),
        Form(
            "pert",
            Pert,
            _parse_pert,
            _n_values(3),
            ["1y", "2y", "4y"],
            {"lambda": {"type": "number", "exclusiveMinimum": 0}},
        ),
        Form(
            "normal",
            TruncatedNormal,
            _parse_normal,
            _keys("mean", "sd", required=("mean", "sd")),
            {"mean": "2y", "sd": "3mo"},
        ),
        Form(
            "lognormal",
            Lognormal,
            _parse_lognormal,
            _keys("median", "p10", "p90", required=("p90",)),
            {"median": "2y", "p90": "4y"},
        ),
        Form(
            "discrete",
            Discrete,
            _parse_discrete,
            lambda value: {"type": "object", "additionalProperties": {"type": "number"}},
            {"6 months": 0.5, "1y": 0.5},
        ),
        Form(
            "empirical",
            Empirical,
            _parse_empirical,
            lambda value: {"type": "array", "items": value, "minItems": 1},
            ["2y", "3.5y", "4y"],
        ),
    )
}
KINDS: tuple[str, ...] = tuple(FORMS)
_KIND_LIST = ", ".join((*KINDS, "reference")) + ", or 'a to b'"


def _any_case(word: str) -> str:
    """`word` as a pattern matching it in any case (JSON Schema patterns have no flag for that)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


INTERVAL_PATTERN = r"^.+\s+" + _any_case("to") + r"\s+.+$"
FIXED_DURATION_SCHEMA: Schema = {
    "anyOf": [
        {
            "type": "string",
            "pattern": r"^\s*\d+(\.\d+)?\s*("
            + "|".join(_any_case(u) for u in sorted(UNIT_NAMES, key=lambda u: (-len(u), u)))
            + r")\s*$",
            "examples": ["90d", "6w", "18 months", "2.5y"],
        },
        {"const": 0},
    ]
}
FIXED_NUMBER_SCHEMA: Schema = {"type": "number", "minimum": 0}


def reference_schema(value: Schema, classes: list[str]) -> Schema:
    """The `{reference: <class>, planned: <duration>}` form, with the usable class names."""
    return {
        "type": "object",
        "properties": {
            "reference": {
                "enum": classes,
                "description": "a reference class; `lunarsim reference` lists them",
            },
            "planned": value,
            "method": {
                "enum": list(REFERENCE_METHODS),
                "description": "fitted (default): the pooled slip model; empirical: the class's Kaplan-Meier",
            },
        },
        "required": ["reference", "planned"],
        "additionalProperties": False,
        "description": "planned duration times the class's slip ratio",
    }


def distribution_schema(unit: Unit, classes: list[str] | None = None) -> Schema:
    """The JSON Schema of every form `parse_distribution(_, unit)` accepts: a fixed value, an
    'a to b' interval, each kind of `FORMS`, and (for durations, given `classes`) a reference."""
    value = FIXED_DURATION_SCHEMA if unit == "days" else FIXED_NUMBER_SCHEMA
    forms: list[Schema] = [
        value,
        {"type": "string", "pattern": INTERVAL_PATTERN, "description": "90 % interval, lognormal"},
        *(form.schema(value) for form in FORMS.values()),
    ]
    if unit == "days" and classes is not None:
        forms.append(reference_schema(value, classes))
    return {"anyOf": forms}


def _parse_mapping(spec: Mapping[object, object], unit: Unit) -> Distribution:
    items = {str(k): v for k, v in spec.items()}
    if not items:
        raise ValueError(
            "empty mapping; write a duration such as 90d or a distribution such as {pert: [1y, 2y, 4y]}"
        )
    if "reference" in items or "planned" in items:
        return _parse_reference(items, unit)
    kinds = [k for k in items if k in FORMS]
    if len(kinds) > 1:
        raise ValueError(f"give one distribution, got {and_list(kinds)}")
    if not kinds:
        unknown = [k for k in items if k != "lambda"]
        if not unknown:
            raise ValueError("lambda goes with pert, e.g. {pert: [1y, 2y, 4y], lambda: 4}")
        close = did_you_mean(unknown[0], (*KINDS, "reference"))
        hint = f" ({close})" if close else ""
        raise ValueError(f"unknown distribution {unknown[0]!r}{hint}; use one of {_KIND_LIST}")
    form = FORMS[kinds[0]]
    for key in items:
        if key == form.kind or key in form.extra:
            continue
        if form.extra:
            beside = and_list(list(form.extra))
            why = did_you_mean(key, list(form.extra)) or f"only {beside} may go beside {form.kind}"
        elif key == "lambda":
            why = "lambda goes only with pert"
        else:
            why = f"nothing may go beside {form.kind}"
        raise ValueError(f"unknown key {key!r} in {form.kind} ({why})")
    return form.parse(items[form.kind], items, unit)


def parse_distribution(spec: object, unit: Unit = "days") -> Distribution:
    """A distribution from a scenario value: a fixed value, `a to b`, or a one-key mapping.

    `unit="days"` parses values as durations (`90d`, `2.5y`, never negative); `unit="number"` as
    plain numbers (the `scale` of an effect). Raises ValueError with a one-line message that says
    what is wrong and what would be valid, in the user's units.
    """
    if unit not in ("days", "number"):
        raise ValueError(f"unit must be 'days' or 'number', got {unit!r}")
    try:
        if isinstance(spec, Mapping):
            return check_usable(_parse_mapping(spec, unit))
        if isinstance(spec, str):
            match = _INTERVAL_RE.fullmatch(spec)
            if match is not None:
                return check_usable(_parse_interval(spec, match.group(1), match.group(2), unit))
    except ArithmeticError:  # a parameter check itself overflowed (e.g. mean / sd of 1e308s)
        raise ValueError(
            f"{show(spec)} cannot be simulated: its parameters overflow to infinite or undefined "
            "(NaN) values; use parameters of a realistic size"
        ) from None
    value = parse_number(spec) if unit == "number" else parse_duration(spec)
    return Fixed(value, unit)


_PROBE_DRAWS = 64


def check_usable(dist: Distribution) -> Distribution:
    """`dist` itself if its mean, variance, lower bound and draws are all finite numbers.

    Parameters that each look valid can still overflow in what is computed from them (a PERT
    lambda of 1e308 makes its Beta shape infinite and every draw NaN; a range of 1e308 days has
    an infinite variance): such a distribution is refused here, whatever its form, rather than
    let NaN reach the simulated dates. Raises ValueError.
    """
    try:
        with np.errstate(all="ignore"):
            summary = (dist.mean, dist.var, dist.low)
            draws = dist.sample(np.random.default_rng(0), _PROBE_DRAWS)
        if all(math.isfinite(x) for x in summary) and bool(np.isfinite(draws).all()):
            return dist
    except ArithmeticError:  # Python floats and NumPy's samplers raise on overflow
        pass
    raise ValueError(
        f"{dist.describe()} cannot be simulated: its parameters overflow to infinite or undefined "
        "(NaN) values; use parameters of a realistic size"
    )
