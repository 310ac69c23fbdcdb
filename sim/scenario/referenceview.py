"""What `lunarsim reference` and a report say about reference classes: fitted and empirical
percentiles, counts, pooling, the longest flown horizon, and the classes a scenario uses."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sim.scenario.reference import MIN_FORECASTS, SlipClass, record_classes, reference_classes
from sim.scenario.slipfit import CENTRE_DAYS, YEAR, ClassFit

QUANTILES = (0.1, 0.5, 0.9)
# The credible level of the intervals shown around each fitted percentile.
LEVEL = 0.8


def _years(days: float) -> float | None:
    return None if math.isnan(days) else round(days / YEAR, 1)


def class_row(cls: SlipClass, fit: ClassFit | None, planned_days: float = CENTRE_DAYS) -> dict[str, Any]:
    """One class: counts, the fitted percentiles with intervals, the Kaplan-Meier percentiles."""
    row: dict[str, Any] = {
        "class": cls.name,
        "description": cls.description,
        "forecasts": cls.n,
        "missions": len({f.mission for f in cls.forecasts}),
        "flown": cls.n - cls.n_censored,
        "waiting": cls.n_censored,
        "excluded_short": cls.excluded,
        "planned_years": round(planned_days / YEAR, 2),
        "pooling": None if fit is None else round(fit.pooling, 2),
        "longest_flown_years": _years(
            max((f.horizon_days for f in cls.forecasts if not f.censored), default=math.nan)
        ),
        "fitted": None,
        "empirical": None,
    }
    if fit is None:
        return row
    values = fit.quantiles(QUANTILES, planned_days)
    row["fitted"] = {
        f"p{round(q * 100)}": {
            "ratio": round(float(v), 2),
            "interval": [round(x, 2) for x in fit.quantile_interval(q, planned_days, LEVEL)],
        }
        for q, v in zip(QUANTILES, values, strict=True)
    }
    km: dict[str, Any] = {}
    for q in QUANTILES:
        value, lower = cls.quantile(q)
        km[f"p{round(q * 100)}"] = {"ratio": round(value, 2), "at_least": lower}
    row["empirical"] = km
    return row


def classes_table(planned_days: float = CENTRE_DAYS) -> list[dict[str, Any]]:
    """Every bundled class, fitted where it has enough announcements."""
    from sim.scenario.slipfit import class_fit

    out = []
    for cls in reference_classes().values():
        fit = class_fit(cls.name) if cls.n >= MIN_FORECASTS else None
        out.append(class_row(cls, fit, planned_days))
    return out


def reference_uses(milestones: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The milestones whose duration is a reference form, with their class's facts: which class,
    which method, how thin (flown and waiting announcements), how much it was pooled, and whether
    the planned duration is beyond the longest announced horizon of any flown announcement."""
    from sim.scenario.distributions import ReferenceFit, ReferenceSlip

    out = []
    for mid, m in milestones.items():
        d = getattr(m, "duration", None)
        if not isinstance(d, ReferenceFit | ReferenceSlip):
            continue
        cls = record_classes(d.extra)[d.class_name]
        longest = max((f.horizon_days for f in cls.forecasts if not f.censored), default=math.nan)
        fitted = isinstance(d, ReferenceFit)
        out.append(
            {
                "milestone": mid,
                "class": d.class_name,
                "method": "fitted" if fitted else "empirical",
                "planned_years": round(d.planned / YEAR, 2),
                "flown": cls.n - cls.n_censored,
                "waiting": cls.n_censored,
                "missions_flown": len({f.mission for f in cls.forecasts if not f.censored}),
                "pooling": round(d.fit.pooling, 2) if isinstance(d, ReferenceFit) else None,
                "longest_flown_years": _years(longest),
                "beyond_longest": bool(not math.isnan(longest) and d.planned > longest),
            }
        )
    return out


def use_sentence(use: Mapping[str, Any]) -> str:
    """One line for a report or a terminal: the class, how thin it is, and the horizon flag."""
    text = (
        f"{use['milestone']}: {use['class']} ({use['method']}), {use['flown']} flown and "
        f"{use['waiting']} waiting announcements from {use['missions_flown']} flown "
        f"mission{'s' if use['missions_flown'] != 1 else ''}"
    )
    if use["pooling"] is not None:
        text += f", {round(100 * use['pooling'])} % pooled toward the whole record"
    if use["beyond_longest"]:
        text += (
            f"; planned {use['planned_years']:g} y is beyond the longest flown horizon of the class "
            f"({use['longest_flown_years']:g} y), so the ratio is extrapolated"
        )
    return text
