"""`lunarsim reference` and `landings`: the data behind the scenarios' probabilities."""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated

import typer

from sim.cli import options
from sim.cli.options import Debug
from sim.cli.shared import (
    _fail,
    _guard,
)


def reference(
    name: Annotated[
        str | None,
        typer.Argument(metavar="NAME", help="A class to list forecast by forecast (default: all classes)."),
    ] = None,
    json_out: Annotated[bool, options.json_out("Print the table as JSON instead.")] = False,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate",
            help="Score the fitted model, Kaplan-Meier and 'on time' leaving one mission out at a time.",
        ),
    ] = False,
    planned: Annotated[
        str,
        typer.Option("--planned", help="The announced time to launch the percentiles are for (lead time)."),
    ] = "2y",
    debug: Debug = False,
) -> None:
    """List the reference classes with their fitted slip-ratio percentiles, or one class's forecasts.

    \b
    Examples:
      lunarsim reference
      lunarsim reference --planned 5y
      lunarsim reference russian-lunar
      lunarsim reference --validate
    """

    def act() -> None:
        if validate:
            _validation(json_out)
        elif name is None:
            _classes(planned, json_out)
        else:
            _one_class(name, json_out)

    _guard(debug, act)


def _validation(json_out: bool) -> None:
    """The leave-one-mission-out scores of the fitted model, Kaplan-Meier and 'on time'."""
    from sim.cli.render import print_validation
    from sim.scenario.slipscore import bundled_validation

    scores = bundled_validation()
    if json_out:
        sys.stdout.write(json.dumps(scores, indent=2, ensure_ascii=False) + "\n")
    else:
        print_validation(scores)


def _classes(planned: str, json_out: bool) -> None:
    """Every class's fitted slip-ratio percentiles at the lead time `planned`."""
    from sim.cli.render import print_reference
    from sim.scenario.referenceview import classes_table
    from sim.scenario.units import parse_duration

    try:
        days = parse_duration(planned)
    except ValueError as exc:
        _fail(2, f"error: --planned: {exc}")
    if not days > 0:
        _fail(2, "error: --planned: must be more than 0")
    rows = classes_table(days)
    if json_out:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    else:
        print_reference(rows)


def _one_class(name: str, json_out: bool) -> None:
    """One class's forecasts, one by one."""
    from sim.cli.render import print_forecasts
    from sim.scenario.reference import slip_class

    try:
        cls = slip_class(name)
    except ValueError as exc:
        _fail(2, f"error: {exc}")
    if not json_out:
        print_forecasts(name)
        return
    rows = [
        {
            "mission": f.mission,
            "agency": f.agency,
            "announced_on": f.announced_on.isoformat(),
            "announced_launch": f.announced_launch.isoformat(),
            "launched_on": f.launched_on.isoformat() if f.launched_on else None,
            "ratio": round(f.ratio, 3),
            "ratio_range": [round(x, 3) if math.isfinite(x) else None for x in f.ratio_bounds],
            "censored": f.censored,
            "announcement_source": f.announcement_source,
            "launch_source": f.launch_source,
        }
        for f in cls.forecasts
    ]
    sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")


def landings(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Count only attempts made by this date (YYYY-MM-DD; default: every attempt in the data).",
        ),
    ] = None,
    json_out: Annotated[bool, options.json_out("Print the estimates as JSON instead.")] = False,
    debug: Debug = False,
) -> None:
    """Show each operator's chance of landing its next lunar attempt, from every attempt since 2013.

    \b
    Examples:
      lunarsim landings
      lunarsim landings --as-of 2022-04-24
    """

    def act() -> None:
        import datetime as dt

        from sim.scenario.landings import attempts, estimate, operators

        if as_of is None:
            day = max(a.attempt_on for a in attempts())
        else:
            try:
                day = dt.date.fromisoformat(as_of)
            except ValueError:
                _fail(2, f"error: --as-of: {as_of!r} is not a date (YYYY-MM-DD)")
        if json_out:
            rows = []
            for op in operators():
                e = estimate(op, day)
                low, high = e.interval()
                rows.append(
                    {
                        "operator": op,
                        "as_of": day.isoformat(),
                        "attempts": e.attempts,
                        "score": e.score,
                        "group": e.group,
                        "group_rate": round(e.group_rate, 4),
                        "probability": round(e.probability, 4),
                        "success": e.rounded,
                        "interval_90": [round(low, 4), round(high, 4)],
                    }
                )
            sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
            return
        from sim.cli.render import print_landings

        print_landings(day)

    _guard(debug, act)
