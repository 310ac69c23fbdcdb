"""The resolved scenario: milestones, risks, resources and correlations with ids checked and times in days."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sim.scenario.distributions import Distribution

EffectKind = Literal["scale", "add", "cancel", "success"]


@dataclass(frozen=True)
class Predecessor:
    """A finish-to-start link: this milestone may start `lag` after `id` is done."""

    id: str
    lag: Distribution | None = None


@dataclass(frozen=True)
class Effect:
    """What a risk or a decision outcome does to some milestones.

    `amount` is the random scale factor or added duration (drawn once per iteration and applied
    to every listed milestone alike); `probability` is the replacement success for `success`.
    """

    milestones: tuple[str, ...]
    kind: EffectKind
    amount: Distribution | None = None
    probability: float | None = None


ConditionKind = Literal["done", "not_done", "risk", "failed", "all", "any", "not"]


@dataclass(frozen=True)
class Condition:
    """A condition on the simulated state when a decision milestone completes.

    `done`/`not_done`/`failed` name a milestone and `risk` a risk in `id`; `failed` holds with
    at least `at_least` failed attempts by then; `all`/`any`/`not` combine `parts`.
    """

    kind: ConditionKind
    id: str | None = None
    at_least: int = 1
    parts: tuple[Condition, ...] = ()

    def milestones(self) -> set[str]:
        """The milestones this condition reads (`done`, `not_done`, `failed`), nested ones included."""
        own = {self.id} if self.id is not None and self.kind != "risk" else set()
        return own.union(*(p.milestones() for p in self.parts))


@dataclass(frozen=True)
class Branch:
    """One outcome of a decision milestone.

    A conditional outcome has `when`: it is taken, with `probability`, when its condition holds
    at the decision's completion and no earlier outcome was taken (see `Milestone.conditional`).
    """

    id: str
    probability: float
    effects: tuple[Effect, ...] = ()
    title: str | None = None
    when: Condition | None = None

    @property
    def name(self) -> str:
        """What readers see for this outcome: its title, or its id when it has none."""
        return self.title or self.id

    @property
    def words(self) -> str:
        """The outcome in plain words: its title, or its id with hyphens and underscores as
        spaces ("leave-after-2024" reads "leave after 2024")."""
        return self.title or self.id.replace("-", " ").replace("_", " ")


@dataclass(frozen=True)
class Retry:
    after: Distribution
    max: int


@dataclass(frozen=True)
class Window:
    """Completion windows: open for `open` days every `every` days from `first` (days since start)."""

    every: float
    open: float
    first: float


@dataclass(frozen=True)
class Use:
    """A claim on a resource: `amount` units held for `hold` (None: until the attempt completes)."""

    resource: str
    amount: int = 1
    hold: Distribution | None = None


@dataclass(frozen=True)
class Milestone:
    id: str
    title: str
    duration: Distribution
    after: tuple[Predecessor, ...] = ()
    not_before: float | None = None
    target: float | None = None
    branches: tuple[Branch, ...] = ()
    success: float = 1.0
    retry: Retry | None = None
    window: Window | None = None
    uses: tuple[Use, ...] = ()
    actual: float | None = None
    source: str | None = None

    @property
    def conditional(self) -> bool:
        """Whether this decision's outcome is chosen by conditions when it completes (`when`),
        rather than drawn up front by probability: every outcome but the last (the default) has one."""
        return any(b.when is not None for b in self.branches)


@dataclass(frozen=True)
class Risk:
    id: str
    title: str
    probability: float
    effects: tuple[Effect, ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class Resource:
    id: str
    title: str
    capacity: int


@dataclass(frozen=True)
class Correlation:
    """A Gaussian-copula group: the durations of `milestones` and the occurrences of `risks`."""

    milestones: tuple[str, ...]
    rho: float
    risks: tuple[str, ...] = ()
    # The members' marginals (sim.scenario.copula.Steps) the copula is solved for, when a base scenario
    # has the same group (sim.scenario.copula.keep_base): its latent normals, hence every member's draws
    # wherever the member's own marginal is the same, are the base's. None: this scenario's own.
    basis: tuple[tuple[float, ...] | None, ...] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Times are float days since `start`; `inf` means never."""

    name: str
    start: dt.date
    horizon: dt.date
    milestones: dict[str, Milestone]
    headline: str
    description: str | None = None
    as_of: dt.date | None = None
    iterations: int = 10_000
    seed: int | None = None
    risks: dict[str, Risk] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    correlations: tuple[Correlation, ...] = ()
    path: Path | None = None
    sha256: str | None = None
    files: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def horizon_days(self) -> float:
        return float((self.horizon - self.start).days)

    @property
    def as_of_days(self) -> float | None:
        return None if self.as_of is None else float((self.as_of - self.start).days)

    def days_of(self, date: dt.date) -> float:
        return float((date - self.start).days)

    def date_of(self, days: float | None) -> dt.date | None:
        """The calendar date on which a time of `days` falls (None for never)."""
        if days is None or not math.isfinite(days):
            return None
        # Axis padding and bin edges may reach past the calendar's ends (years 1 and 9999) when
        # a scenario's dates sit near them; they are clamped there rather than overflow.
        ordinal = self.start.toordinal() + math.floor(days)
        return dt.date.fromordinal(min(max(ordinal, 1), dt.date.max.toordinal()))
