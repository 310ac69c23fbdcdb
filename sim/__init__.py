"""lunarsim: open, reproducible schedule-risk simulation of programmes of uncertain milestones.

import sim
scenario = sim.load("scenarios/ilrs-2022-announced.yaml")
result = sim.simulate(scenario, iterations=10_000, seed=42)
result.percentile_days(result.headline, 50)
result.table()  # or .summary(), .drivers(), .to_pandas(), .write_report("reports")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.analysis.backtest import Backtest, backtest
    from sim.analysis.results import Result
    from sim.api import load, run, simulate, validate
    from sim.errors import Problem, ScenarioError
    from sim.scenario.model import Scenario

# Imported on first use (PEP 562), so that `import sim.cli` (and `lunarsim --help`) loads neither
# NumPy nor pydantic: each name is resolved from its module the first time it is read.
_LAZY = {
    "load": "sim.api",
    "run": "sim.api",
    "simulate": "sim.api",
    "validate": "sim.api",
    "Backtest": "sim.analysis.backtest",
    "backtest": "sim.analysis.backtest",
    "Problem": "sim.errors",
    "ScenarioError": "sim.errors",
    "Result": "sim.analysis.results",
    "Scenario": "sim.scenario.model",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])


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
