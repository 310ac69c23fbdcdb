"""Leave-one-mission-out scores of the slip forecasts: the fitted model, Kaplan-Meier and "on time".

For each mission, every row of it is held out, the model is refitted on the rest (population and
classes) and the Kaplan-Meier estimate of each class is recomputed without it; each held-out
announcement is then scored in every class it belongs to that still has enough rows.

Scores (lower is better for CRPS, higher for the log score):

- CRPS of an observation known only to lie in [lo, hi] (interval-coded dates) or above lo (not
  flown yet): the integral of F(x)^2 below lo plus (1 - F(x))^2 above hi, the survival CRPS of
  Avati et al. (2020, "Countdown regression", UAI), which is the ordinary CRPS for an exact value
  and charges nothing where the observation is unknown. In units of the slip ratio.
- Log score: log P(lo / 1.05 <= ratio <= hi * 1.05), the probability the forecast gave the
  observed range widened by 5 % (so a forecast of atoms and a smooth one are scored alike), with
  probabilities floored at 0.001 (a forecast that gave the outcome no chance scores log 0.001 =
  -6.9 rather than minus infinity).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.scenario.reference import ALL, CLASSES, MIN_FORECASTS, Forecast, SlipClass
from sim.scenario.slipfit import ClassFit, fit_class, fit_population, group_of, usable, weighted_loglik

METHODS = ("fitted", "empirical", "on time")
WIDEN = 1.05
FLOOR = 1e-3
# The ratio grid the CRPS integrals use: 0.03 to 100, log-spaced (steps of 5 %).
_GRID = np.exp(np.linspace(math.log(0.03), math.log(100.0), 163))
# Scoring drops mixture nodes below this share of the largest weight (under 0.5 % of the weight
# together, measured on the bundled classes): the scores move in the third decimal at most.
THIN = 1e-3

Cdf = Callable[[np.ndarray], np.ndarray]


def crps_interval(cdf: Cdf, lo: float, hi: float) -> float:
    """Survival CRPS of the forecast `cdf` for an outcome in [lo, hi] (hi = inf: above lo)."""
    f = cdf(_GRID)
    below = np.where(lo >= _GRID, f * f, 0.0)
    above = np.where(hi <= _GRID, (1.0 - f) ** 2, 0.0)
    return float(np.trapezoid(below + above, _GRID))


def log_score(cdf: Cdf, lo: float, hi: float) -> float:
    a = float(cdf(np.array([lo / WIDEN]))[0])
    b = 1.0 if math.isinf(hi) else float(cdf(np.array([hi * WIDEN]))[0])
    return math.log(max(b - a, FLOOR))


def km_cdf(cls: SlipClass) -> Cdf:
    values, probs = cls.support()
    cum = np.cumsum(probs)

    def cdf(x: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(values, x, side="right")
        return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0)

    return cdf


def on_time_cdf(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x) >= 1.0).astype(float)


def fitted_cdf(fit: ClassFit, planned_days: float) -> Cdf:
    thin = fit.thinned(THIN)
    return lambda x: thin.cdf(x, planned_days)


@dataclass
class Scores:
    """Sums of scores per method over the scored announcements of one class (or overall)."""

    n: int = 0
    flown: int = 0
    crps: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METHODS, 0.0))
    log: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METHODS, 0.0))

    def add(self, row: Forecast, cdfs: dict[str, Cdf]) -> None:
        lo, hi = row.ratio_bounds
        self.n += 1
        self.flown += not row.censored
        for method, cdf in cdfs.items():
            self.crps[method] += crps_interval(cdf, lo, hi)
            self.log[method] += log_score(cdf, lo, hi)

    def mean(self, method: str, kind: str = "crps") -> float:
        total = self.crps if kind == "crps" else self.log
        return total[method] / self.n if self.n else math.nan

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"scored": self.n, "flown": self.flown}
        for method in METHODS:
            key = method.replace(" ", "_")
            out[f"crps_{key}"] = round(self.mean(method), 4)
            out[f"log_{key}"] = round(self.mean(method, "log"), 4)
        km = self.mean("empirical")
        out["crps_skill_vs_empirical"] = round(1 - self.mean("fitted") / km, 4) if km > 0 else None
        return out


def leave_one_mission_out(
    rows: Sequence[Forecast], names: Sequence[str] = tuple(CLASSES)
) -> dict[str, Scores]:
    """Scores per class and under 'overall' (every scored announcement in every class)."""
    use = tuple(f for f in rows if usable(f))
    ll = weighted_loglik(use)  # a mission's weight does not change when another is held out
    groups = [group_of(f) for f in use]
    full = fit_population(ll, groups)
    out: dict[str, Scores] = {name: Scores() for name in names}
    overall = Scores()
    for mission in sorted({f.mission for f in use}):
        keep = [i for i, f in enumerate(use) if f.mission != mission]
        held = [f for f in use if f.mission == mission]
        rest = [use[i] for i in keep]
        pop = fit_population(ll[keep], [groups[i] for i in keep], start=full)
        for name in names:
            scored = [f for f in held if name == ALL or name in f.classes]
            members = [i for i, f in enumerate(rest) if name == ALL or name in f.classes]
            if not scored or len(members) < MIN_FORECASTS:
                continue
            fit = fit_class(name, members, ll[keep], rest, pop)
            km = km_cdf(SlipClass(name, "", tuple(rest[i] for i in members), 0))
            for f in scored:
                cdfs = {"fitted": fitted_cdf(fit, f.horizon_days), "empirical": km, "on time": on_time_cdf}
                out[name].add(f, cdfs)
                overall.add(f, cdfs)
    out = {k: v for k, v in out.items() if v.n}
    out["overall"] = overall
    return out


@functools.lru_cache(maxsize=1)
def bundled_validation() -> list[dict[str, Any]]:
    """`validation_table` of the bundled record, computed once."""
    from sim.scenario.reference import bundled_forecasts

    return validation_table(bundled_forecasts())


def validation_table(rows: Sequence[Forecast]) -> list[dict[str, Any]]:
    """One row per class and one 'overall': counts, mean CRPS and log score per method."""
    scores = leave_one_mission_out(rows)
    return [{"class": name, **s.as_dict()} for name, s in scores.items()]
