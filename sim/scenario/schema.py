"""The scenario file format as pydantic models: structure, per-value checks and the JSON Schema."""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from sim.scenario.distributions import Distribution
from sim.scenario.grammar import FIXED_DURATION_SCHEMA, distribution_schema, parse_distribution
from sim.scenario.reference import usable_classes
from sim.scenario.units import parse_date

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_ID_RE = re.compile(ID_PATTERN)

DURATION_SCHEMA = distribution_schema("days", usable_classes())
FACTOR_SCHEMA = distribution_schema("number")
DATE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "string",
            "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
            "examples": ["2022-04-21", "2022-04", "2022"],
        },
        {"type": "integer", "minimum": 1, "maximum": 9999},
    ]
}


def _as_days(value: object) -> object:
    return value if isinstance(value, Distribution) else parse_distribution(value, "days")


def _as_factor(value: object) -> object:
    """A scale: a positive number, or a unitless distribution that cannot draw 0 or less."""
    dist = value if isinstance(value, Distribution) else parse_distribution(value, "number")
    if dist.is_fixed and dist.low <= 0:
        raise ValueError(f"a scale must be > 0 (it multiplies a duration), got {dist.low:g}")
    if dist.kind == "normal":
        raise ValueError(
            f"{dist.describe()} can draw values down to 0 (a normal has no lower bound above 0), and a "
            "scale must be > 0; use a lognormal such as '0.9 to 1.6' or a range with min > 0"
        )
    # A lognormal (also "a to b") is positive in every draw; any other form reaching 0 is not.
    if dist.kind != "lognormal" and dist.low <= 0:
        raise ValueError(
            f"{dist.describe()} can draw {dist.low:g}, and a scale must be > 0 in every draw "
            "(it multiplies a duration); make its lowest value above 0"
        )
    return dist


def _as_fixed_days(value: object) -> object:
    dist = value if isinstance(value, Distribution) else parse_distribution(value, "days")
    if not dist.is_fixed:
        raise ValueError(f"must be a fixed duration such as 30d, got {dist.describe()}")
    return dist


def _as_date(value: object) -> object:
    if isinstance(value, dt.date):
        return value
    return parse_date(value)


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(
            f"{value!r} is not a valid id; use lower-case words joined by '-', e.g. 'iss-decision'"
        )
    return value


def _number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _probability(value: object) -> object:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            share = float(value.strip()[:-1]) / 100.0
        except ValueError:
            share = None
        if share is not None and 0.0 <= share <= 1.0:
            raise ValueError(f"write a probability as a number between 0 and 1: {share:.6g}, not {value!r}")
    p = _number(value)
    if not 0.0 <= p <= 1.0:  # type: ignore[operator]
        raise ValueError(f"must be a probability between 0 and 1, got {value}")
    return p


def _whole(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


def _one_line(value: str) -> str:
    if "\n" in value.strip():
        raise ValueError("must be one line")
    return value.strip()


def _after_entry(value: object) -> object:
    return {"id": value} if isinstance(value, str) else value


Id = Annotated[str, AfterValidator(_check_id), WithJsonSchema({"type": "string", "pattern": ID_PATTERN})]
Duration = Annotated[Distribution, BeforeValidator(_as_days), WithJsonSchema(DURATION_SCHEMA)]
FixedDuration = Annotated[
    Distribution, BeforeValidator(_as_fixed_days), WithJsonSchema(FIXED_DURATION_SCHEMA)
]
Factor = Annotated[Distribution, BeforeValidator(_as_factor), WithJsonSchema(FACTOR_SCHEMA)]
Date = Annotated[dt.date, BeforeValidator(_as_date), WithJsonSchema(DATE_SCHEMA)]
Probability = Annotated[
    float,
    BeforeValidator(_probability),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1}),
]
Count = Annotated[int, BeforeValidator(_whole), WithJsonSchema({"type": "integer"})]
Text = Annotated[str, WithJsonSchema({"type": "string"})]
OneLine = Annotated[str, AfterValidator(_one_line), WithJsonSchema({"type": "string"})]


# Pydantic looks for plugins (tools such as Logfire that observe validation) when it builds its
# first model, by reading the entry points of every installed distribution: about 10 ms of a
# whole `lunarsim lint`, more where many packages are installed. The scenario format's models
# are built without them, as Typer builds its parameters; the variable is restored after them.
_PLUGINS = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class AfterLink(Model):
    """A predecessor, optionally with a lag before this milestone's work may start."""

    id: Id
    lag: Duration | None = None


AfterEntry = Annotated[
    AfterLink,
    BeforeValidator(_after_entry),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": ID_PATTERN},
                {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "pattern": ID_PATTERN},
                        "lag": DURATION_SCHEMA,
                    },
                    "required": ["id"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]


class EffectSpec(Model):
    """Exactly one of scale, add, cancel or success, applied to the listed milestones."""

    milestones: list[Id] = Field(min_length=1)
    scale: Factor | None = None
    add: Duration | None = None
    cancel: Literal[True] | None = None
    success: Probability | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> EffectSpec:
        given = [k for k in ("scale", "add", "cancel", "success") if getattr(self, k) is not None]
        if len(given) != 1:
            what = "none" if not given else " and ".join(given)
            raise ValueError(f"an effect needs exactly one of scale, add, cancel or success (got {what})")
        return self


_CONDITION_KEYS = ("done", "not_done", "risk", "failed", "all", "any", "not")


class ConditionSpec(Model):
    """A condition on the state when a decision completes: exactly one of its keys."""

    model_config = ConfigDict(populate_by_name=True)

    done: Id | None = None
    not_done: Id | None = None
    risk: Id | None = None
    failed: Id | None = None
    at_least: Annotated[
        int, BeforeValidator(_whole), Field(ge=1), WithJsonSchema({"type": "integer", "minimum": 1})
    ] | None = None
    all: list[ConditionSpec] | None = Field(default=None, min_length=1)
    any: list[ConditionSpec] | None = Field(default=None, min_length=1)
    not_: ConditionSpec | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _exactly_one(self) -> ConditionSpec:
        given = [k for k in _CONDITION_KEYS if getattr(self, "not_" if k == "not" else k) is not None]
        if len(given) != 1:
            what = "none" if not given else " and ".join(given)
            raise ValueError(
                f"a condition needs exactly one of done, not_done, risk, failed, all, any or not (got {what})"
            )
        if self.at_least is not None and self.failed is None:
            raise ValueError("at_least goes with failed: {failed: <milestone>, at_least: <count>}")
        return self


class BranchSpec(Model):
    title: OneLine | None = None
    # Required unless the decision is conditional (checked with the decision's other outcomes).
    probability: Probability | None = None
    when: ConditionSpec | None = None
    effects: list[EffectSpec] = []


# Beyond a few thousand milestones a run's time and memory grow faster than linearly (a
# 20,000-milestone chain took 5.8 GB and over 200 s at only 200 iterations), so the format stops
# at a size that was measured to run: 2,000 milestones at 2,000 iterations took 0.86 GB.
MAX_MILESTONES = 2000

# Each retry is an array of delays per iteration; a thousand attempts is beyond any real campaign.
MAX_RETRIES = 1000


class RetrySpec(Model):
    after: Duration
    max: Count = Field(ge=0, le=MAX_RETRIES)


class WindowSpec(Model):
    every: FixedDuration
    open: FixedDuration
    first: Date


class UseSpec(Model):
    amount: Count = Field(default=1, ge=1)
    hold: Duration | None = None


class MilestoneSpec(Model):
    title: OneLine | None = None
    after: list[AfterEntry] = []
    not_before: Date | None = None
    duration: Duration | None = None
    target: Date | None = None
    branches: dict[Id, BranchSpec] | None = None
    success: Probability = 1.0
    retry: RetrySpec | None = None
    window: WindowSpec | None = None
    uses: dict[Id, UseSpec | None] = {}
    actual: Date | None = None
    source: Text | None = None


class RiskSpec(Model):
    title: OneLine | None = None
    probability: Probability
    effects: list[EffectSpec] = Field(min_length=1)
    source: Text | None = None


# The vector engine keeps, per iteration, the moment each unit of a resource is next free, so a
# capacity costs memory however few units are used (10^9 units asked for 160 GiB at 10 iterations).
# Units beyond what the milestones using it claim at once change nothing.
MAX_CAPACITY = 1000


class ResourceSpec(Model):
    title: OneLine | None = None
    capacity: Count = Field(ge=1, le=MAX_CAPACITY)


class CorrelationSpec(Model):
    """Milestone durations and risk occurrences drawn with pairwise rank correlation `rho`."""

    milestones: list[Id] = []
    risks: list[Id] = []
    rho: Annotated[
        float,
        BeforeValidator(_number),
        WithJsonSchema({"type": "number", "minimum": -1, "maximum": 1}),
    ] = Field(ge=-1, le=1)

    @model_validator(mode="after")
    def _at_least_two(self) -> CorrelationSpec:
        if len(self.milestones) + len(self.risks) < 2:
            raise ValueError("a correlation group needs at least two members (milestones and/or risks)")
        return self


class ScenarioSpec(Model):
    """A scenario file, format 1."""

    model_config = ConfigDict(
        title="lunarsim scenario",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    format: Literal[1] = 1
    name: OneLine
    description: Text | None = None
    start: Date
    horizon: Date | None = None
    as_of: Date | None = None
    iterations: Count = Field(default=10_000, ge=1)
    seed: Count | None = Field(default=None, ge=0)
    extends: Text | None = None
    remove: list[Id] = []
    headline: Id | None = None
    milestones: dict[Id, MilestoneSpec] = Field(min_length=1)
    risks: dict[Id, RiskSpec] = {}
    resources: dict[Id, ResourceSpec] = {}
    correlations: list[CorrelationSpec] = []
    reference_data: Text | None = Field(
        default=None,
        description="a CSV of your own announced and actual launch dates, in the columns of the "
        "bundled reference data (sim/data/reference-classes.csv), added to it for this scenario",
    )


if _PLUGINS is None:
    del os.environ["PYDANTIC_DISABLE_PLUGINS"]
else:
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = _PLUGINS


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, for editors (`lunarsim schema`).

    A file with `extends` is an overlay: it needs no other key, and a risk or resource it lists
    may give only the keys it changes (the rest come from the base). Without `extends`, name,
    start and milestones are required and every risk and resource is complete.
    """
    out = ScenarioSpec.model_json_schema()
    defs = out["$defs"]
    props = out["properties"]
    complete: dict[str, Any] = {}
    for section, model in (("risks", "RiskSpec"), ("resources", "ResourceSpec")):
        partial = copy.deepcopy(defs[model])
        partial.pop("required", None)
        partial["title"] = f"{partial.get('title', model)} (overlay)"
        defs[f"{model}Overlay"] = partial
        items = props[section]["patternProperties"]
        complete[section] = {"patternProperties": {key: {"$ref": f"#/$defs/{model}"} for key in items}}
        props[section]["patternProperties"] = {key: {"$ref": f"#/$defs/{model}Overlay"} for key in items}
    required = out.pop("required")
    out["if"] = {"required": ["extends"]}
    out["else"] = {"required": required, "properties": complete}
    return out


def schema_text() -> str:
    """The JSON Schema as the text `lunarsim schema` prints and docs/scenario.schema.json holds."""
    import json

    return json.dumps(json_schema(), indent=2) + "\n"


def schema_comment(location: str) -> str:
    """The first line of a scenario file that tells YAML editors where its schema is."""
    return f"# yaml-language-server: $schema={location}\n"
