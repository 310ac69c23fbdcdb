"""The distribution grammar has one source: every form in the registry parses, has a JSON Schema
fragment, and the parser and the schema accept and refuse the same values."""

from __future__ import annotations

import pytest

from sim.scenario.grammar import (
    FIXED_DURATION_SCHEMA,
    FORMS,
    INTERVAL_PATTERN,
    distribution_schema,
    parse_distribution,
)
from sim.scenario.reference import usable_classes
from sim.scenario.units import UNIT_NAMES, parse_duration

jsonschema = pytest.importorskip("jsonschema")


def valid(value: object, schema: dict) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(value)


@pytest.mark.parametrize("kind", list(FORMS))
def test_every_form_parses_has_schema_and_round_trips(kind: str) -> None:
    form = FORMS[kind]
    spec = {kind: form.example}
    dist = parse_distribution(spec)
    assert isinstance(dist, form.cls)
    assert form.cls.kind == kind
    # The form's own fragment and the whole duration schema both accept what the parser accepts.
    fragment = form.schema(FIXED_DURATION_SCHEMA)
    assert valid(spec, fragment)
    assert valid(spec, distribution_schema("days", usable_classes()))
    # Parsing the same value again gives the same distribution (no hidden state in the parser).
    again = parse_distribution(spec)
    assert (again.mean, again.var, again.low, again.high) == (dist.mean, dist.var, dist.low, dist.high)
    # A key the form does not take is refused by both.
    wrong = {**spec, "bogus": 1}
    assert not valid(wrong, fragment)
    with pytest.raises(ValueError, match="unknown key 'bogus'"):
        parse_distribution(wrong)


def test_every_kind_has_exactly_one_branch_in_the_schema() -> None:
    branches = distribution_schema("days", usable_classes())["anyOf"]
    keyed = [b["required"] for b in branches if b.get("type") == "object"]
    assert keyed == [[kind] for kind in FORMS] + [["reference", "planned"]]
    # A scale (a unitless factor) has every kind but not the reference form, a duration form.
    factor = distribution_schema("number")["anyOf"]
    assert [b["required"] for b in factor if b.get("type") == "object"] == [[kind] for kind in FORMS]


@pytest.mark.parametrize("unit", UNIT_NAMES)
def test_every_unit_the_parser_reads_matches_the_schema_pattern(unit: str) -> None:
    for text in (f"3{unit}", f"2.5 {unit}", f" 3 {unit.upper()} "):
        assert parse_duration(text) > 0
        assert valid(text, FIXED_DURATION_SCHEMA), text


@pytest.mark.parametrize("text", ["3m", "3 fortnights", "3", "-3d", "3d4"])
def test_what_is_not_a_duration_is_refused_by_parser_and_schema(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
    assert not valid(text, FIXED_DURATION_SCHEMA)


def test_reference_and_interval_forms_agree_with_the_schema() -> None:
    schema = distribution_schema("days", usable_classes())
    for spec in ({"reference": usable_classes()[0], "planned": "3y"}, "2y to 5y", "2y TO 5y"):
        parse_distribution(spec)
        assert valid(spec, schema)
    assert valid("1y To 2y", {"type": "string", "pattern": INTERVAL_PATTERN})
