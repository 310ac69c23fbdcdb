"""Lint findings as text, JSON (the records of outputs.md) or SARIF 2.1.0."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.analysis.lint import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def as_text(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        cost = (
            "" if f.p80_effect_days is None else f" [fixing it moves P80 by {f.p80_effect_days:+,.0f} days]"
        )
        lines.append(f"{f.where()}: {f.severity} {f.rule} {f.name}: {f.message}{cost}")
    return "\n".join(lines)


def as_json(findings: list[Finding]) -> str:
    return json.dumps([f.record() for f in findings], indent=2, ensure_ascii=False)


def as_sarif(findings: list[Finding], version: str) -> str:
    """One SARIF 2.1.0 run: every rule as a reportingDescriptor, each finding a result with its
    file and line, and the P80 effect (where computed) in its properties."""
    from sim.analysis.lint import RULES

    rules = [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "help": {"text": f"docs/lint.md, rule {r.id} ({r.name})"},
            "defaultConfiguration": {"level": r.severity},
        }
        for r in RULES
    ]
    index = {r.id: i for i, r in enumerate(RULES)}
    results: list[dict[str, Any]] = []
    for f in findings:
        rule_id = f.rule
        region = {"startLine": f.line} if f.line else {}
        location: dict[str, Any] = {"artifactLocation": {"uri": str(f.file) if f.file else "scenario"}}
        if region:
            location["region"] = region
        results.append(
            {
                "ruleId": rule_id,
                "ruleIndex": index[rule_id],
                "level": f.severity,
                "message": {"text": f"{f.key}: {f.message}"},
                "locations": [{"physicalLocation": location}],
                "properties": {"p80_effect_days": f.p80_effect_days},
            }
        )
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "lunarsim", "version": version, "rules": rules}},
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
