"""The fitted slip model: a hierarchical lognormal model of slip ratios with partial pooling.

For an announcement i of class C, made `h_i` years before the launch it names,

    log(ratio_i) ~ Normal(mu_C + beta * log(h_i / 2 years), sigma_C)

Censored rows (not flown by the data date) contribute P(ratio > bound); rows whose dates are known
only to a month, a year or a range contribute P(ratio within the range those dates allow)
(`Forecast.ratio_bounds`), so a year-only date is "some day that year", not 31 December.

Partial pooling: each class's (mu_C, log sigma_C) is drawn from the record's population,
mu_C ~ Normal(mu_0, tau) and log sigma_C ~ Normal(s_0, omega). The population (mu_0, tau, s_0,
omega) is estimated from the record's organisations (disjoint groups of rows) by maximising the
marginal likelihood (empirical Bayes) with boundary-avoiding Gamma(2, .) priors on tau and omega
(Chung et al. 2013, Psychometrika 78:685), so a handful of organisations cannot estimate tau = 0
and pool everything into one. beta (lead time) is shared by the whole record; its posterior comes
from the same marginal likelihood with a flat prior over its grid, so the data decide how much
lead time matters and its uncertainty is carried into every forecast.

Everything is computed on a fixed grid of (mu, log sigma, beta): the posterior of a class is the
grid's weights, exact up to the grid spacing, not a normal approximation, and deterministic. The
predictive distribution of a ratio is the mixture of the grid's lognormals with those weights;
drawing one first draws a grid node (the parameters) and then a ratio, so a class with three
launches gives wide tails, not three atoms.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from sim.scenario.reference import ALL, MIN_FORECASTS, MIN_HORIZON_DAYS, Forecast

YEAR = 365.25
# Lead time is centred at two years: mu_C is the log median ratio of a two-year announcement.
CENTRE_DAYS = 2 * YEAR

# The grid: log median ratio, log sigma, lead-time slope. Spacings are well under the posterior
# spread of the richest class (sd of mu about sigma/sqrt(n) ~ 0.1 at n = 30).
MU_GRID = np.linspace(-1.5, 2.5, 81)
S_GRID = np.linspace(math.log(0.04), math.log(3.0), 36)
BETA_GRID = np.linspace(-0.6, 0.6, 13)
# Ratio ranges narrower than this (in log) are scored by the density times the width.
_NARROW = 1e-4
# Grid nodes below this share of the largest posterior weight are dropped from the mixture
# (together they hold about 1e-4 of the weight: measured on the bundled classes).
_PRUNE = 1e-5
# Announcements of one mission are not independent forecasts (same hardware, same team, each
# re-plan made knowing the last): a mission with n usable announcements counts as sqrt(n)
# independent ones, each row's log-likelihood weighted n ** -MISSION_POWER (a composite
# likelihood). 0 (rows independent), 0.5 and 1 (each mission once) were compared by the
# leave-one-mission-out scores; 0.5 has the best log score and beats Kaplan-Meier on every class
# with five or more launches (docs/architecture.md, design notes).
MISSION_POWER = 0.5
# Hyperprior rates: tau ~ Gamma(2, 2) (mode 0.5), omega ~ Gamma(2, 4) (mode 0.25).
TAU_RATE = 2.0
OMEGA_RATE = 4.0


def lead(horizon_days: float | np.ndarray) -> np.ndarray:
    """The lead-time covariate: log of the announced time to launch over two years."""
    return np.log(np.asarray(horizon_days, dtype=float) / CENTRE_DAYS)


def group_of(f: Forecast) -> str:
    """The organisation a row belongs to (its agency before any '/'): the pooling groups."""
    return f.agency.split("/")[0].strip()


def row_loglik(rows: Sequence[Forecast]) -> np.ndarray:
    """log P(row's observation | mu, log sigma, beta) on the grid: shape (rows, MU, S, BETA)."""
    from scipy.special import log_ndtr

    out = np.empty((len(rows), MU_GRID.size, S_GRID.size, BETA_GRID.size))
    sig = np.exp(S_GRID)[None, :, None]
    for i, f in enumerate(rows):
        lo, hi = f.ratio_bounds
        centre = MU_GRID[:, None, None] + BETA_GRID[None, None, :] * float(lead(f.horizon_days))
        a = (math.log(lo) - centre) / sig
        if math.isinf(hi):
            out[i] = log_ndtr(-a)
            continue
        b = (math.log(hi) - centre) / sig
        if math.log(hi) - math.log(lo) < _NARROW:
            mid = 0.5 * (a + b)
            out[i] = -0.5 * mid * mid - 0.5 * math.log(2 * math.pi) + np.log(b - a)
            continue
        out[i] = _log_between(a, b)
    return out


def weighted_loglik(rows: Sequence[Forecast]) -> np.ndarray:
    """`row_loglik` with each row weighted by its mission's number of rows ** -MISSION_POWER."""
    count = Counter(f.mission for f in rows)
    weight = np.array([count[f.mission] ** -MISSION_POWER for f in rows])
    return row_loglik(rows) * weight[:, None, None, None]


def _log_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a < b, accurate in both tails."""
    from scipy.special import log_ndtr

    # In the upper tail use the survival functions: Phi(b) - Phi(a) = Phi(-a) - Phi(-b).
    upper = a > 0
    hi = np.where(upper, log_ndtr(-a), log_ndtr(b))
    lo = np.where(upper, log_ndtr(-b), log_ndtr(a))
    with np.errstate(divide="ignore"):
        return hi + np.log1p(-np.exp(np.minimum(lo - hi, 0.0)))


@dataclass(frozen=True)
class Population:
    """The record's population of classes and the lead-time posterior."""

    mu0: float
    tau: float
    s0: float
    omega: float
    beta_weights: np.ndarray  # posterior over BETA_GRID
    groups: int

    @property
    def beta_mean(self) -> float:
        return float(self.beta_weights @ BETA_GRID)

    @property
    def beta_sd(self) -> float:
        second = float(self.beta_weights @ BETA_GRID**2)
        return math.sqrt(max(second - self.beta_mean**2, 0.0))

    def log_prior(self) -> np.ndarray:
        """log prior weight of each (mu, log sigma) grid cell, normalised over the grid."""
        lp = (
            -0.5 * ((MU_GRID[:, None] - self.mu0) / self.tau) ** 2
            - 0.5 * ((S_GRID[None, :] - self.s0) / self.omega) ** 2
        )
        return lp - _logsumexp(lp)


def _logsumexp(x: np.ndarray, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def fit_population(
    loglik: np.ndarray, groups: Sequence[str], beta_free: bool = True, start: Population | None = None
) -> Population:
    """Empirical-Bayes population from rows' grid log-likelihoods grouped by organisation.

    `beta_free=False` fixes the lead-time slope at 0 (the model without lead time).
    """
    from scipy.optimize import minimize

    names = sorted(set(groups))
    index = np.array([names.index(g) for g in groups])
    sums = np.stack([loglik[index == k].sum(axis=0) for k in range(len(names))])  # (G, MU, S, B)
    top = sums.max(axis=(1, 2, 3))
    # Each group's likelihood scaled to a maximum of 1, laid out (G, BETA, MU, S) for two matmuls.
    scaled = np.ascontiguousarray(np.exp(sums - top[:, None, None, None]).transpose(0, 3, 1, 2))
    zero = int(np.argmin(np.abs(BETA_GRID)))
    log_beta_prior = np.full(BETA_GRID.size, -math.log(BETA_GRID.size))
    if not beta_free:
        log_beta_prior = np.full(BETA_GRID.size, -np.inf)
        log_beta_prior[zero] = 0.0

    def per_beta(theta: np.ndarray) -> np.ndarray:
        mu0, log_tau, s0, log_omega = theta
        tau, omega = math.exp(log_tau), math.exp(log_omega)
        a = np.exp(-0.5 * ((MU_GRID - mu0) / tau) ** 2)
        b = np.exp(-0.5 * ((S_GRID - s0) / omega) ** 2)
        a /= a.sum()
        b /= b.sum()
        with np.errstate(divide="ignore"):
            marg = np.log((scaled @ b) @ a) + top[:, None]
        return marg.sum(axis=0) + log_beta_prior  # (BETA,)

    def objective(theta: np.ndarray) -> float:
        _, log_tau, _, log_omega = theta
        tau, omega = math.exp(log_tau), math.exp(log_omega)
        # Gamma(2, rate) densities in log tau, log omega (Jacobian included): log x - rate x + log x.
        hyper = 2 * log_tau - TAU_RATE * tau + 2 * log_omega - OMEGA_RATE * omega
        value = float(_logsumexp(per_beta(theta))) + hyper
        return -value if math.isfinite(value) else 1e300

    if start is None:
        x0 = np.array([0.5, math.log(0.5), math.log(0.4), math.log(0.25)])
    else:  # a nearby fit (leave-one-out): start there
        x0 = np.array([start.mu0, math.log(start.tau), start.s0, math.log(start.omega)])
    best = minimize(
        objective, x0, method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 2000}
    )
    theta = best.x
    lb = per_beta(theta)
    w = np.exp(lb - _logsumexp(lb))
    return Population(
        mu0=float(theta[0]),
        tau=float(math.exp(theta[1])),
        s0=float(theta[2]),
        omega=float(math.exp(theta[3])),
        beta_weights=w,
        groups=len(names),
    )


@dataclass(frozen=True)
class ClassFit:
    """A class's posterior on the grid: the mixture its predictive distribution is made of."""

    name: str
    mu: np.ndarray  # per kept node
    sigma: np.ndarray
    beta: np.ndarray
    weight: np.ndarray  # sums to 1
    n: int
    flown: int
    pooling: float  # share of the class's precision on mu that comes from the record's prior
    longest_flown_days: float  # longest announced horizon among its flown rows (nan if none)

    def components(self, planned_days: float) -> tuple[np.ndarray, np.ndarray]:
        """Centres and scales in log ratio of the mixture for an announcement `planned_days` ahead."""
        return self.mu + self.beta * float(lead(planned_days)), self.sigma

    def thinned(self, share: float) -> ClassFit:
        """The mixture without the nodes below `share` of the largest weight, renormalised."""
        keep = self.weight >= share * self.weight.max()
        w = self.weight[keep]
        return replace(
            self, mu=self.mu[keep], sigma=self.sigma[keep], beta=self.beta[keep], weight=w / w.sum()
        )

    def cdf(self, ratio: np.ndarray, planned_days: float) -> np.ndarray:
        from scipy.special import ndtr

        m, s = self.components(planned_days)
        r = np.asarray(ratio, dtype=float)
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(r, 0.0))[..., None] - m) / s
        return np.asarray(ndtr(z) @ self.weight)

    def quantiles(self, qs: Sequence[float], planned_days: float) -> np.ndarray:
        """Predictive quantiles of the ratio (bisection in log ratio, to 1e-6 relative)."""
        m, s = self.components(planned_days)
        lo = np.full(len(qs), float(np.min(m - 9 * s)))
        hi = np.full(len(qs), float(np.max(m + 9 * s)))
        target = np.asarray(qs, dtype=float)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            below = self.cdf(np.exp(mid), planned_days) < target
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return np.exp(0.5 * (lo + hi))

    def quantile_interval(self, q: float, planned_days: float, level: float = 0.8) -> tuple[float, float]:
        """The central `level` credible interval of the ratio's q-quantile over the posterior."""
        from scipy.special import ndtri

        m, s = self.components(planned_days)
        values = np.exp(m + s * float(ndtri(q)))
        order = np.argsort(values)
        cum = np.cumsum(self.weight[order])
        lo = values[order][min(int(np.searchsorted(cum, (1 - level) / 2)), values.size - 1)]
        hi = values[order][min(int(np.searchsorted(cum, (1 + level) / 2)), values.size - 1)]
        return float(lo), float(hi)

    def sample(self, rng: np.random.Generator, n: int, planned_days: float) -> np.ndarray:
        """Ratios: each draws its parameters (a grid node by posterior weight), then a lognormal."""
        m, s = self.components(planned_days)
        node = rng.choice(self.weight.size, size=n, p=self.weight)
        return np.exp(m[node] + s[node] * rng.standard_normal(n))


def fit_class(
    name: str, members: Sequence[int], loglik: np.ndarray, rows: Sequence[Forecast], pop: Population
) -> ClassFit:
    """The posterior of one class given its rows (indices into `rows` and `loglik`)."""
    own = loglik[list(members)].sum(axis=0) if members else np.zeros(loglik.shape[1:])
    with np.errstate(divide="ignore"):
        log_beta = np.log(pop.beta_weights)
    # p(beta | record) p(mu, s | population) p(class rows | mu, s, beta), normalised per beta so
    # the class's own rows inform mu and s while beta keeps the record's posterior.
    joint = own + pop.log_prior()[:, :, None]
    joint = joint - _logsumexp(joint, axis=(0, 1))[None, None, :] + log_beta[None, None, :]
    joint = np.where(np.isfinite(joint), joint, -np.inf)
    w = np.exp(joint - np.max(joint))
    keep = w > _PRUNE
    jj, kk, ll = np.nonzero(keep)
    weight = w[keep] / w[keep].sum()
    mu = MU_GRID[jj]
    mean_mu = float(weight @ mu)
    var_mu = float(weight @ (mu - mean_mu) ** 2)
    flown = [rows[i] for i in members if not rows[i].censored]
    return ClassFit(
        name=name,
        mu=mu,
        sigma=np.exp(S_GRID[kk]),
        beta=BETA_GRID[ll],
        weight=weight,
        n=len(members),
        flown=len(flown),
        pooling=min(1.0, var_mu / pop.tau**2),
        longest_flown_days=max((f.horizon_days for f in flown), default=math.nan),
    )


def usable(f: Forecast) -> bool:
    return f.horizon_days >= MIN_HORIZON_DAYS


@dataclass(frozen=True)
class Fit:
    """The fitted model over one record: the population and every class with enough rows."""

    population: Population
    classes: dict[str, ClassFit]
    rows: tuple[Forecast, ...]


def fit_record(rows: Sequence[Forecast], names: Sequence[str], beta_free: bool = True) -> Fit:
    """Fit the population on the usable rows, then each named class."""
    use = tuple(f for f in rows if usable(f))
    ll = weighted_loglik(use)
    pop = fit_population(ll, [group_of(f) for f in use], beta_free)
    classes: dict[str, ClassFit] = {}
    for name in names:
        members = [i for i, f in enumerate(use) if name == ALL or name in f.classes]
        if len(members) >= MIN_FORECASTS:
            classes[name] = fit_class(name, members, ll, use, pop)
    return Fit(pop, classes, use)


@functools.lru_cache(maxsize=4)
def _population(rows: tuple[Forecast, ...]) -> tuple[tuple[Forecast, ...], np.ndarray, Population]:
    use = tuple(f for f in rows if usable(f))
    ll = weighted_loglik(use)
    return use, ll, fit_population(ll, [group_of(f) for f in use])


# A ClassFit's arrays and scalars, as stored in the disk cache (sim.scenario.fitcache).
_FIT_ARRAYS = ("mu", "sigma", "beta", "weight", "scalars")
_TABLE_ARRAYS = ("x", "cum")
# The inverse-CDF table of a fitted class: points in log ratio, spanning the mixture +-8.5 sd.
TABLE_POINTS = 4097
TABLE_SPAN = 8.5


@functools.lru_cache(maxsize=8)
def _digest(rows: tuple[Forecast, ...]) -> str:
    """A record's identity for the cache: every field of every row."""
    import hashlib

    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _fit_arrays(fit: ClassFit) -> dict[str, np.ndarray]:
    scalars = [fit.n, fit.flown, fit.pooling, fit.longest_flown_days]
    arrays = {"mu": fit.mu, "sigma": fit.sigma, "beta": fit.beta, "weight": fit.weight}
    return {**arrays, "scalars": np.array(scalars)}


def _fit_from(name: str, a: dict[str, np.ndarray]) -> ClassFit | None:
    """The ClassFit stored as `a`, or None if its arrays are not a class's posterior."""
    size, w = a["weight"].shape, a["weight"]
    same = all(a[k].shape == size for k in ("mu", "sigma", "beta"))
    if len(size) != 1 or not same or a["scalars"].shape != (4,):
        return None
    if not (np.all(np.isfinite(w)) and np.all(w > 0) and abs(w.sum() - 1) < 1e-9):
        return None
    n, flown, pooling, longest = (float(v) for v in a["scalars"])
    return ClassFit(name, a["mu"], a["sigma"], a["beta"], a["weight"], int(n), int(flown), pooling, longest)


@functools.lru_cache(maxsize=64)
def _class(rows: tuple[Forecast, ...], name: str) -> ClassFit:
    """One class of a record, fitting only the population and that class (a run needs a few).

    The result is kept on disk (sim.scenario.fitcache) under the record's content and the code's
    version; a later process reads the same arrays back instead of refitting."""
    from sim.scenario import fitcache

    entry = fitcache.key("class", _digest(rows), name)
    stored = fitcache.load(entry, _FIT_ARRAYS)
    fit = _fit_from(name, stored) if stored is not None else None
    if fit is not None:
        return fit
    use, ll, pop = _population(rows)
    members = [i for i, f in enumerate(use) if name == ALL or name in f.classes]
    fit = fit_class(name, members, ll, use, pop)
    fitcache.store(entry, _fit_arrays(fit))
    return fit


@functools.lru_cache(maxsize=256)
def _table(rows: tuple[Forecast, ...], name: str, planned_days: float) -> tuple[np.ndarray, np.ndarray]:
    from sim.scenario import fitcache

    grid = f"{TABLE_POINTS} {TABLE_SPAN}"
    entry = fitcache.key("table", _digest(rows), name, repr(float(planned_days)), grid)
    stored = fitcache.load(entry, _TABLE_ARRAYS)
    if stored is not None:
        x, cum = stored["x"], stored["cum"]
        shaped = x.shape == cum.shape == (TABLE_POINTS,) and np.all(np.diff(x) > 0)
        # A mixture's CDF may pass 1 by a rounding error (1 + 2e-16).
        if shaped and np.all(np.isfinite(cum)) and np.all((cum >= 0) & (cum <= 1 + 1e-9)):
            return x, cum
    fit = _class(rows, name)
    m, s = fit.components(planned_days)
    x = np.linspace(float(np.min(m - TABLE_SPAN * s)), float(np.max(m + TABLE_SPAN * s)), TABLE_POINTS)
    cum = fit.cdf(np.exp(x), planned_days)
    fitcache.store(entry, {"x": x, "cum": cum})
    return x, cum


def class_table(
    name: str, planned_days: float, extra: tuple[Forecast, ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Log ratio grid and the class's predictive CDF on it, at lead time `planned_days` (for the
    inverse CDF); cached on disk like the fit itself. The arrays are shared: do not modify them."""
    from sim.scenario.reference import bundled_forecasts, slip_class

    slip_class(name, extra)
    return _table(bundled_forecasts() + extra, name, float(planned_days))


def class_fit(name: str, extra: tuple[Forecast, ...] = ()) -> ClassFit:
    """The fitted class of the bundled record plus `extra` rows (ValueError if it is unknown or
    too small)."""
    from sim.scenario.reference import bundled_forecasts, slip_class

    slip_class(name, extra)  # known, with enough usable rows
    return _class(bundled_forecasts() + extra, name)
