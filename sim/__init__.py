"""lunarsim: open, reproducible schedule-risk simulation of programmes of uncertain milestones.

import sim
scenario = sim.load("scenarios/ilrs-2022-announced.yaml")
result = sim.simulate(scenario, iterations=10_000, seed=42)
result.percentile_days(result.headline, 50)
result.table()  # or .summary(), .drivers(), .to_pandas(), .write_report("reports")
"""

from __future__ import annotations

from sim.api import load, run, simulate, validate
from sim.backtest import Backtest, backtest
from sim.errors import Problem, ScenarioError
from sim.results import Result
from sim.scenario import Scenario

__all__ = [
    "Backtest",
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "backtest",
    "load",
    "run",
    "simulate",
    "validate",
]
__version__ = "0.1.0"
