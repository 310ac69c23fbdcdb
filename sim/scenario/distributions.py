"""The duration distributions a scenario may write (the families), with sampling, inverse CDF and
moments. How a scenario writes them (parsing, the grammar and its JSON Schema) is `grammar`."""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np

from sim.scenario.reference import EXTRA_ROWS, Forecast, slip_class
from sim.scenario.units import format_days

Unit = Literal["days", "number"]

_REFERENCE_FORM = "{reference: <class>, planned: <duration>}"

# Below this acceptance probability P(X > 0), redrawing the negatives of a normal would take more
# than 20 draws per value; the inverse CDF then gives the same conditional law in one draw.
_RESAMPLE_MIN_ACCEPT = 0.05


# Standard normal quantiles, as scipy.special.ndtri gives them (a test pins them): kept as
# constants so that reading a scenario does not import scipy.
Z90 = 1.2815515655446004  # ndtri(0.90)
Z95 = 1.6448536269514722  # ndtri(0.95)


def _fmt(x: float, unit: Unit) -> str:
    """A value in the user's units: `18 months` for durations, `1.2` for plain numbers."""
    return format_days(x) if unit == "days" else f"{x:.12g}"


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _big_phi(x: float) -> float:
    # erfc keeps full relative precision in the lower tail, where 1 - Phi would cancel.
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _check_nonnegative(unit: Unit, **values: float) -> None:
    if unit != "days":
        return
    for name, x in values.items():
        if x < 0:
            raise ValueError(f"{name} {format_days(x)} is negative (need >= 0)")


class Distribution(ABC):
    """A distribution of a duration (in days) or of a unitless number; immutable.

    Every form knows its own mean, variance, mode, support and inverse CDF, and checks its
    parameters when built (ValueError with a one-line message in the user's units).
    """

    kind: ClassVar[str]
    unit: Unit

    @abstractmethod
    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` independent draws as a float64 array of shape (n,)."""

    @abstractmethod
    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at u in [0, 1]; for discrete forms the smallest x with F(x) >= u."""

    @abstractmethod
    def cdf(self, x: np.ndarray) -> np.ndarray:
        """P(X <= x)."""

    @property
    @abstractmethod
    def mean(self) -> float:
        """E[X]."""

    @property
    @abstractmethod
    def var(self) -> float:
        """Var[X]."""

    @property
    @abstractmethod
    def mode(self) -> float:
        """The plan value: the mode, or the median where there is no unique mode (for forms on
        listed values, the inverted-CDF median)."""

    @property
    @abstractmethod
    def low(self) -> float:
        """The lower end of the support."""

    @property
    @abstractmethod
    def high(self) -> float:
        """The upper end of the support (may be inf)."""

    @property
    def is_fixed(self) -> bool:
        """True when every draw is the same value."""
        return False

    @property
    def steps(self) -> tuple[float, ...] | None:
        """Cumulative probabilities of the atoms (the last 1.0) of a form on finitely many values;
        None for a continuous form. A rank-correlation copula needs them (see sim.scenario.copula)."""
        return None

    @abstractmethod
    def describe(self) -> str:
        """A short text in the scenario's own notation, e.g. `pert(1y, 2y, 4y)`."""

    def ppf_above(self, u: np.ndarray, t: np.ndarray | float) -> np.ndarray:
        """Draws conditional on X > t from uniforms u: ppf(F(t) + u*(1 - F(t))), broadcast.

        NaN where P(X > t) == 0; the caller decides what that means.
        """
        u = np.asarray(u, dtype=float)
        t = np.asarray(t, dtype=float)
        s = self._sf(t)
        # F(t) + u*(1 - F(t)) is the upper-tail level S(t)*(1 - u); the survival form keeps its
        # precision when t lies far in the upper tail.
        with np.errstate(invalid="ignore", divide="ignore"):
            x = self._isf(s * (1.0 - u))
            # Rounding can land a hair at or below t; the conditional law has no mass there.
            x = np.maximum(x, np.nextafter(t, np.inf))
        return np.where(s > 0, x, np.nan)

    def _sf(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - self.cdf(x)

    def _isf(self, q: np.ndarray) -> np.ndarray:
        return self.ppf(1.0 - q)

    def __str__(self) -> str:
        return self.describe()


# --- finitely many values -------------------------------------------------------------------


class _Atoms(Distribution):
    """Shared machinery for distributions on finitely many values (fixed, discrete, empirical)."""

    _support: np.ndarray  # sorted distinct values with positive probability
    _probs: np.ndarray
    _cum: np.ndarray  # cumulative probabilities, the last forced to exactly 1

    def _set_atoms(self, values: np.ndarray, probs: np.ndarray) -> None:
        keep = probs > 0
        values, probs = values[keep], probs[keep]
        order = np.argsort(values, kind="stable")
        values, probs = values[order], probs[order]
        cum = np.cumsum(probs)
        cum /= cum[-1]
        cum[-1] = 1.0
        object.__setattr__(self, "_support", values)
        object.__setattr__(self, "_probs", probs / probs.sum())
        object.__setattr__(self, "_cum", cum)

    @property
    def steps(self) -> tuple[float, ...] | None:
        return tuple(float(c) for c in self._cum)

    def _plan_value(self) -> float:
        """The most likely value; where several tie, the inverted-CDF median (ppf(1/2): the
        smallest value whose cumulative probability reaches 1/2), a value the form can take."""
        top = np.flatnonzero(self._probs == self._probs.max())
        if top.size == 1:
            return float(self._support[top[0]])
        return float(self.ppf(np.array([0.5]))[0])

    def ppf(self, u: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self._cum, np.asarray(u, dtype=float), side="left")
        return self._support[np.minimum(idx, self._support.size - 1)]

    def cdf(self, x: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self._support, np.asarray(x, dtype=float), side="right") - 1
        return np.where(idx >= 0, self._cum[np.maximum(idx, 0)], 0.0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.ppf(rng.random(n))

    @property
    def mean(self) -> float:
        return float(np.dot(self._probs, self._support))

    @property
    def var(self) -> float:
        return float(np.dot(self._probs, (self._support - self.mean) ** 2))

    @property
    def low(self) -> float:
        return float(self._support[0])

    @property
    def high(self) -> float:
        return float(self._support[-1])

    @property
    def is_fixed(self) -> bool:
        return self._support.size == 1

    def ppf_above(self, u: np.ndarray, t: np.ndarray | float) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        t = np.asarray(t, dtype=float)
        cut = self.cdf(t)
        x = self.ppf(cut + u * (1.0 - cut))
        # At u == 0, or after rounding, the level can fall on t's own atom; the draw is then the
        # first value above t.
        nxt = np.searchsorted(self._support, t, side="right")
        above = self._support[np.minimum(nxt, self._support.size - 1)]
        x = np.where(x > t, x, above)
        return np.where(nxt < self._support.size, x, np.nan)


@dataclass(frozen=True)
class Fixed(_Atoms):
    """Always `value`."""

    kind: ClassVar[str] = "fixed"
    value: float
    unit: Unit = "days"
    _support: np.ndarray = field(init=False, repr=False, compare=False)
    _probs: np.ndarray = field(init=False, repr=False, compare=False)
    _cum: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_nonnegative(self.unit, value=self.value)
        self._set_atoms(np.array([float(self.value)]), np.array([1.0]))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, float(self.value))

    @property
    def mean(self) -> float:
        return float(self.value)

    @property
    def var(self) -> float:
        return 0.0

    @property
    def mode(self) -> float:
        return float(self.value)

    def describe(self) -> str:
        return _fmt(self.value, self.unit)


@dataclass(frozen=True)
class Discrete(_Atoms):
    """`values[i]` with probability `probs[i]`."""

    kind: ClassVar[str] = "discrete"
    values: tuple[float, ...]
    probs: tuple[float, ...]
    unit: Unit = "days"
    _support: np.ndarray = field(init=False, repr=False, compare=False)
    _probs: np.ndarray = field(init=False, repr=False, compare=False)
    _cum: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("discrete needs at least one value")
        if len(self.values) != len(self.probs):
            raise ValueError(f"discrete has {len(self.values)} values but {len(self.probs)} probabilities")
        if len(set(self.values)) != len(self.values):
            raise ValueError("discrete lists a value twice (list each value once)")
        for v, p in zip(self.values, self.probs, strict=True):
            _check_nonnegative(self.unit, value=v)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"probability of {_fmt(v, self.unit)} is {p:.12g} (need 0 <= p <= 1)")
        total = math.fsum(self.probs)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"probabilities sum to {total:.12g} (need 1)")
        self._set_atoms(np.array(self.values, dtype=float), np.array(self.probs, dtype=float))

    @property
    def mode(self) -> float:
        return self._plan_value()

    def describe(self) -> str:
        pairs = sorted(zip(self.values, self.probs, strict=True))
        body = ", ".join(f"{_fmt(v, self.unit)}: {p:.12g}" for v, p in pairs)
        return f"discrete({body})"


@dataclass(frozen=True)
class Empirical(_Atoms):
    """Each listed value with equal weight (a reference class); repeats count more than once."""

    kind: ClassVar[str] = "empirical"
    values: tuple[float, ...]
    unit: Unit = "days"
    _support: np.ndarray = field(init=False, repr=False, compare=False)
    _probs: np.ndarray = field(init=False, repr=False, compare=False)
    _cum: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("empirical needs at least one value, e.g. [2y, 3.5y, 4y]")
        for v in self.values:
            _check_nonnegative(self.unit, value=v)
        support, counts = np.unique(np.array(self.values, dtype=float), return_counts=True)
        self._set_atoms(support, counts / counts.sum())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.asarray(self.values, dtype=float)[rng.integers(0, len(self.values), n)]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def mode(self) -> float:
        return self._plan_value()

    def describe(self) -> str:
        shown = [_fmt(v, self.unit) for v in self.values]
        if len(shown) > 6:
            return f"empirical({', '.join(shown[:5])}, …; {len(shown)} values)"
        return f"empirical({', '.join(shown)})"


@dataclass(frozen=True)
class ReferenceSlip(_Atoms):
    """`planned` times the slip ratio of a reference class (sim.scenario.reference), drawn empirically.

    The ratios and their probabilities are the class's Kaplan-Meier estimate; the plan value is
    the median, since the ratio's most frequent value says little on a few dozen forecasts.
    """

    kind: ClassVar[str] = "reference"
    class_name: str
    planned: float
    unit: Unit = "days"
    # Rows the scenario's `reference_data` adds to the bundled record (sim.scenario.reference.EXTRA_ROWS).
    extra: tuple[Forecast, ...] = field(default_factory=EXTRA_ROWS.get, repr=False)
    _support: np.ndarray = field(init=False, repr=False, compare=False)
    _probs: np.ndarray = field(init=False, repr=False, compare=False)
    _cum: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.unit != "days":
            raise ValueError(f"reference is a duration form, {_REFERENCE_FORM}; not a scale")
        if not self.planned > 0:
            raise ValueError(f"planned {format_days(self.planned)} must be more than 0")
        ratios, probs = slip_class(self.class_name, self.extra).support()
        self._set_atoms(ratios * self.planned, probs)

    @property
    def mode(self) -> float:
        return float(self.ppf(np.array([0.5]))[0])

    def describe(self) -> str:
        return f"reference({self.class_name}, planned {format_days(self.planned)}, empirical)"


@dataclass(frozen=True)
class ReferenceFit(Distribution):
    """`planned` times a slip ratio from the fitted slip model of a reference class (sim.scenario.slipfit).

    The ratio's law is the class's posterior predictive: a mixture of lognormals over the fitted
    parameters, at the lead time `planned`. A draw first draws the parameters, then the ratio.
    Nothing is fitted until the first draw or moment is asked for.
    """

    kind: ClassVar[str] = "reference"
    class_name: str
    planned: float
    unit: Unit = "days"
    # Rows the scenario's `reference_data` adds to the bundled record (sim.scenario.reference.EXTRA_ROWS).
    extra: tuple[Forecast, ...] = field(default_factory=EXTRA_ROWS.get, repr=False)

    def __post_init__(self) -> None:
        if self.unit != "days":
            raise ValueError(f"reference is a duration form, {_REFERENCE_FORM}; not a scale")
        if not self.planned > 0:
            raise ValueError(f"planned {format_days(self.planned)} must be more than 0")
        slip_class(self.class_name, self.extra)  # the same names and size rule as the empirical form

    @property
    def fit(self) -> Any:
        from sim.scenario.slipfit import class_fit

        return class_fit(self.class_name, self.extra)

    @functools.cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """log ratio grid and the predictive CDF on it (for the inverse CDF and the CDF)."""
        from sim.scenario.slipfit import class_table

        return class_table(self.class_name, self.planned, self.extra)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.planned * self.fit.sample(rng, n, self.planned)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        x, cum = self._table
        return self.planned * np.exp(np.interp(np.asarray(u, dtype=float), cum, x))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        grid, cum = self._table
        with np.errstate(divide="ignore"):
            r = np.log(np.maximum(np.asarray(x, dtype=float), 0.0) / self.planned)
        return np.interp(r, grid, cum, left=0.0, right=1.0)

    @property
    def mean(self) -> float:
        f = self.fit
        m, s = f.components(self.planned)
        return float(self.planned * (f.weight @ np.exp(m + 0.5 * s * s)))

    @property
    def var(self) -> float:
        f = self.fit
        m, s = f.components(self.planned)
        second = float(self.planned**2 * (f.weight @ np.exp(2 * m + 2 * s * s)))
        return max(second - self.mean**2, 0.0)

    @property
    def mode(self) -> float:
        return float(self.ppf(np.array([0.5]))[0])

    @property
    def low(self) -> float:
        return 0.0

    @property
    def high(self) -> float:
        return math.inf

    def describe(self) -> str:
        return f"reference({self.class_name}, planned {format_days(self.planned)})"


# --- continuous forms -----------------------------------------------------------------------


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on [a, b]."""

    kind: ClassVar[str] = "uniform"
    a: float
    b: float
    unit: Unit = "days"

    def __post_init__(self) -> None:
        _check_nonnegative(self.unit, a=self.a, b=self.b)
        if not self.a < self.b:
            a, b = _fmt(self.a, self.unit), _fmt(self.b, self.unit)
            raise ValueError(f"a {a} >= b {b} (need a < b)")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.a, self.b, n)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.a + np.asarray(u, dtype=float) * (self.b - self.a)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(x, dtype=float) - self.a) / (self.b - self.a), 0.0, 1.0)

    def _sf(self, x: np.ndarray) -> np.ndarray:
        return np.clip((self.b - np.asarray(x, dtype=float)) / (self.b - self.a), 0.0, 1.0)

    def _isf(self, q: np.ndarray) -> np.ndarray:
        return self.b - np.asarray(q, dtype=float) * (self.b - self.a)

    @property
    def mean(self) -> float:
        return 0.5 * (self.a + self.b)

    @property
    def var(self) -> float:
        # (b - a)² / 12: Evans, Hastings & Peacock, Statistical Distributions (3rd ed. 2000),
        # rectangular distribution.
        return (self.b - self.a) ** 2 / 12.0

    @property
    def mode(self) -> float:
        return 0.5 * (self.a + self.b)

    @property
    def low(self) -> float:
        return self.a

    @property
    def high(self) -> float:
        return self.b

    def describe(self) -> str:
        return f"uniform({_fmt(self.a, self.unit)}, {_fmt(self.b, self.unit)})"


def _check_three(unit: Unit, lo: float, mode: float, hi: float) -> None:
    _check_nonnegative(unit, min=lo, mode=mode, max=hi)
    a, c, b = _fmt(lo, unit), _fmt(mode, unit), _fmt(hi, unit)
    if lo > hi:
        raise ValueError(f"min {a} > max {b} (need min <= mode <= max)")
    if lo == hi:
        raise ValueError(f"min {a} = max {b} (need min < max; for a fixed value write {a})")
    if mode < lo:
        raise ValueError(f"mode {c} < min {a} (need min <= mode <= max)")
    if mode > hi:
        raise ValueError(f"mode {c} > max {b} (need min <= mode <= max)")


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on [minimum, maximum] with its peak at `likely`."""

    kind: ClassVar[str] = "triangular"
    minimum: float
    likely: float
    maximum: float
    unit: Unit = "days"

    def __post_init__(self) -> None:
        _check_three(self.unit, self.minimum, self.likely, self.maximum)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.minimum, self.likely, self.maximum, n)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        a, c, b = self.minimum, self.likely, self.maximum
        u = np.asarray(u, dtype=float)
        with np.errstate(invalid="ignore"):
            left = a + np.sqrt(u * (b - a) * (c - a))
            right = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
        return np.where(u <= (c - a) / (b - a), left, right)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return 1.0 - self._sf(x)

    def _sf(self, x: np.ndarray) -> np.ndarray:
        a, c, b = self.minimum, self.likely, self.maximum
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            left = 1.0 - (x - a) ** 2 / ((b - a) * (c - a))
            right = (b - x) ** 2 / ((b - a) * (b - c))
        return np.where(x <= a, 1.0, np.where(x >= b, 0.0, np.where(x <= c, left, right)))

    def _isf(self, q: np.ndarray) -> np.ndarray:
        a, c, b = self.minimum, self.likely, self.maximum
        q = np.asarray(q, dtype=float)
        with np.errstate(invalid="ignore"):
            right = b - np.sqrt(q * (b - a) * (b - c))
            left = a + np.sqrt((1.0 - q) * (b - a) * (c - a))
        return np.where(q <= (b - c) / (b - a), right, left)

    @property
    def mean(self) -> float:
        # (a + c + b) / 3: Evans, Hastings & Peacock, Statistical Distributions (3rd ed. 2000),
        # triangular distribution.
        return (self.minimum + self.likely + self.maximum) / 3.0

    @property
    def var(self) -> float:
        # (a² + b² + c² - ab - ac - bc) / 18: same source.
        a, c, b = self.minimum, self.likely, self.maximum
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    @property
    def mode(self) -> float:
        return self.likely

    @property
    def low(self) -> float:
        return self.minimum

    @property
    def high(self) -> float:
        return self.maximum

    def describe(self) -> str:
        a, c, b = (_fmt(v, self.unit) for v in (self.minimum, self.likely, self.maximum))
        return f"triangular({a}, {c}, {b})"


@dataclass(frozen=True)
class Pert(Distribution):
    """Beta-PERT on [minimum, maximum] with mode `likely` and shape weight `lam` (λ, default 4).

    X = min + (max - min)·Y with Y ~ Beta(α, β), α = 1 + λ(mode - min)/(max - min),
    β = 1 + λ(max - mode)/(max - min) (Vose, Risk Analysis: A Quantitative Guide, 3rd ed. 2008,
    PERT distribution; the modified PERT for λ != 4).
    """

    kind: ClassVar[str] = "pert"
    minimum: float
    likely: float
    maximum: float
    lam: float = 4.0
    unit: Unit = "days"

    def __post_init__(self) -> None:
        _check_three(self.unit, self.minimum, self.likely, self.maximum)
        if not self.lam > 0:
            raise ValueError(f"lambda must be > 0, got {self.lam:.12g}")

    @property
    def alpha(self) -> float:
        return 1.0 + self.lam * (self.likely - self.minimum) / (self.maximum - self.minimum)

    @property
    def beta(self) -> float:
        return 1.0 + self.lam * (self.maximum - self.likely) / (self.maximum - self.minimum)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        span = self.maximum - self.minimum
        return self.minimum + span * rng.beta(self.alpha, self.beta, n)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import betaincinv

        span = self.maximum - self.minimum
        return self.minimum + span * betaincinv(self.alpha, self.beta, np.asarray(u, dtype=float))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import betainc

        y = (np.asarray(x, dtype=float) - self.minimum) / (self.maximum - self.minimum)
        return betainc(self.alpha, self.beta, np.clip(y, 0.0, 1.0))

    def _sf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import betainc

        # 1 - I_y(α, β) = I_{1-y}(β, α) (Abramowitz & Stegun 26.5.2), without the cancellation.
        y = (self.maximum - np.asarray(x, dtype=float)) / (self.maximum - self.minimum)
        return betainc(self.beta, self.alpha, np.clip(y, 0.0, 1.0))

    def _isf(self, q: np.ndarray) -> np.ndarray:
        from scipy.special import betaincinv

        span = self.maximum - self.minimum
        return self.maximum - span * betaincinv(self.beta, self.alpha, np.asarray(q, dtype=float))

    @property
    def mean(self) -> float:
        # (min + λ·mode + max) / (λ + 2): the Beta mean min + (max - min)·α/(α + β) with
        # α + β = λ + 2 (Vose 2008, PERT).
        return (self.minimum + self.lam * self.likely + self.maximum) / (self.lam + 2.0)

    @property
    def var(self) -> float:
        # (mean - min)(max - mean) / (λ + 3): the Beta variance (max - min)²·αβ/((α+β)²(α+β+1))
        # with α + β = λ + 2; for λ = 4 the textbook (μ - a)(b - μ)/7 (Vose 2008, PERT).
        m = self.mean
        return (m - self.minimum) * (self.maximum - m) / (self.lam + 3.0)

    @property
    def mode(self) -> float:
        return self.likely

    @property
    def low(self) -> float:
        return self.minimum

    @property
    def high(self) -> float:
        return self.maximum

    def describe(self) -> str:
        a, c, b = (_fmt(v, self.unit) for v in (self.minimum, self.likely, self.maximum))
        extra = "" if self.lam == 4.0 else f", lambda {self.lam:.12g}"
        return f"pert({a}, {c}, {b}{extra})"


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """A normal(mu, sd) conditioned on X > 0 (truncated by resampling, never clamped to 0)."""

    kind: ClassVar[str] = "normal"
    mu: float
    sd: float
    unit: Unit = "days"

    def __post_init__(self) -> None:
        if not self.sd > 0:
            raise ValueError(f"sd must be > 0, got {_fmt(self.sd, self.unit)}")
        _check_nonnegative(self.unit, mean=self.mu)
        if self.mu / self.sd < -8.0:
            raise ValueError(
                f"{self.describe()} has almost no mass above 0 "
                f"(mean/sd = {self.mu / self.sd:.3g}; need mean/sd >= -8)"
            )

    @property
    def _alpha(self) -> float:
        """The truncation point 0 in standard units of the parent normal."""
        return -self.mu / self.sd

    @property
    def _accept(self) -> float:
        """P(parent > 0), the normalising constant Z = 1 - Phi(alpha)."""
        return _big_phi(self.mu / self.sd)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Normal draws, every one <= 0 redrawn until none is left; the positive ones are kept.

        Where P(X > 0) < 5 % that would take over 20 draws per value, so the inverse CDF of the
        same truncated law is used instead. Never clamps.
        """
        if self._accept < _RESAMPLE_MIN_ACCEPT:
            return self.ppf(rng.random(n))
        x = rng.normal(self.mu, self.sd, n)
        bad = np.flatnonzero(x <= 0.0)
        while bad.size:
            x[bad] = rng.normal(self.mu, self.sd, bad.size)
            bad = bad[x[bad] <= 0.0]
        return x

    def _from_levels(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """The point whose parent-normal CDF is p and survival q (p + q = 1), from the smaller."""
        from scipy.special import ndtri

        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.where(p <= 0.5, self.mu + self.sd * ndtri(p), self.mu - self.sd * ndtri(q))
        # ppf(0) is 0 up to rounding; never hand back a rounding-negative duration.
        return np.maximum(x, 0.0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import ndtr

        u = np.asarray(u, dtype=float)
        z = self._accept
        return self._from_levels(ndtr(self._alpha) + u * z, z * (1.0 - u))

    def _isf(self, q: np.ndarray) -> np.ndarray:
        from scipy.special import ndtr

        q = np.asarray(q, dtype=float)
        z = self._accept
        return self._from_levels(ndtr(self._alpha) + (1.0 - q) * z, z * q)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import ndtr

        x = np.asarray(x, dtype=float)
        t = (x - self.mu) / self.sd
        z = self._accept
        with np.errstate(invalid="ignore"):
            out = np.where(t < 0, (ndtr(t) - ndtr(self._alpha)) / z, 1.0 - ndtr(-t) / z)
        return np.where(x <= 0, 0.0, np.clip(out, 0.0, 1.0))

    def _sf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import ndtr

        x = np.asarray(x, dtype=float)
        return np.where(x <= 0, 1.0, np.clip(ndtr((self.mu - x) / self.sd) / self._accept, 0.0, 1.0))

    @property
    def mean(self) -> float:
        # mu + sd·λ with λ = phi(α)/(1 - Phi(α)), α = -mu/sd: the normal truncated below at 0
        # (Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions vol. 1, 2nd ed. 1994,
        # ch. 13, truncated normal).
        return self.mu + self.sd * _phi(self._alpha) / self._accept

    @property
    def var(self) -> float:
        # sd²·(1 + α·λ - λ²) with α, λ as in `mean` (same source).
        lam = _phi(self._alpha) / self._accept
        return self.sd**2 * (1.0 + self._alpha * lam - lam * lam)

    @property
    def mode(self) -> float:
        return max(self.mu, 0.0)

    @property
    def low(self) -> float:
        return 0.0

    @property
    def high(self) -> float:
        return math.inf

    def describe(self) -> str:
        return f"normal(mean {_fmt(self.mu, self.unit)}, sd {_fmt(self.sd, self.unit)})"


@dataclass(frozen=True)
class Lognormal(Distribution):
    """exp(N(mu, sigma²)); build it from two quantiles with the `from_*` constructors."""

    kind: ClassVar[str] = "lognormal"
    mu: float
    sigma: float
    unit: Unit = "days"
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mu) and self.sigma > 0 and math.isfinite(self.sigma)):
            raise ValueError(f"lognormal needs a finite mu and sigma > 0, got sigma {self.sigma:.6g}")

    @classmethod
    def from_median_p90(cls, median: float, p90: float, unit: Unit = "days") -> Lognormal:
        """mu = ln median, sigma = (ln p90 - mu)/z90 with z90 = Phi⁻¹(0.9)."""

        m, x = _fmt(median, unit), _fmt(p90, unit)
        if not median > 0:
            raise ValueError(f"median must be > 0, got {m}")
        if not p90 > median:
            raise ValueError(f"p90 {x} <= median {m} (need p90 > median)")
        mu = math.log(median)
        sigma = (math.log(p90) - mu) / Z90
        return cls(mu, sigma, unit, f"lognormal(median {m}, p90 {x})")

    @classmethod
    def from_p10_p90(cls, p10: float, p90: float, unit: Unit = "days") -> Lognormal:
        """mu halfway between ln p10 and ln p90, sigma = (ln p90 - ln p10)/(2·z90)."""

        a, b = _fmt(p10, unit), _fmt(p90, unit)
        if not p10 > 0:
            raise ValueError(f"p10 must be > 0, got {a}")
        if not p90 > p10:
            raise ValueError(f"p10 {a} >= p90 {b} (need p10 < p90)")
        mu = 0.5 * (math.log(p10) + math.log(p90))
        sigma = (math.log(p90) - math.log(p10)) / (2.0 * Z90)
        return cls(mu, sigma, unit, f"lognormal(p10 {a}, p90 {b})")

    @classmethod
    def from_interval(cls, low: float, high: float, unit: Unit = "days", text: str = "") -> Lognormal:
        """The lognormal whose 5th and 95th percentiles are `low` and `high` ("a to b")."""

        a, b = _fmt(low, unit), _fmt(high, unit)
        text = text or f"{a} to {b}"
        if not low > 0:
            raise ValueError(f"{text!r}: a must be > 0, got {a}")
        if not high > low:
            raise ValueError(f"{text!r}: a {a} >= b {b} (need 0 < a < b)")
        mu = 0.5 * (math.log(low) + math.log(high))
        sigma = (math.log(high) - math.log(low)) / (2.0 * Z95)
        return cls(mu, sigma, unit, text)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, n)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        with np.errstate(over="ignore"):
            return np.exp(self.mu + self.sigma * ndtri(np.asarray(u, dtype=float)))

    def _isf(self, q: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        with np.errstate(over="ignore"):
            return np.exp(self.mu - self.sigma * ndtri(np.asarray(q, dtype=float)))

    def _z(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, (np.log(np.where(x > 0, x, 1.0)) - self.mu) / self.sigma, -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import ndtr

        return ndtr(self._z(x))

    def _sf(self, x: np.ndarray) -> np.ndarray:
        from scipy.special import ndtr

        return ndtr(-self._z(x))

    @property
    def mean(self) -> float:
        # exp(mu + sigma²/2): Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions
        # vol. 1, 2nd ed. 1994, ch. 14.
        return math.exp(self.mu + 0.5 * self.sigma**2)

    @property
    def var(self) -> float:
        # (exp(sigma²) - 1)·exp(2mu + sigma²): same source.
        return math.expm1(self.sigma**2) * math.exp(2.0 * self.mu + self.sigma**2)

    @property
    def mode(self) -> float:
        # exp(mu - sigma²): same source.
        return math.exp(self.mu - self.sigma**2)

    @property
    def low(self) -> float:
        return 0.0

    @property
    def high(self) -> float:
        return math.inf

    def describe(self) -> str:
        return self.label or f"lognormal(mu {self.mu:.6g}, sigma {self.sigma:.6g})"
