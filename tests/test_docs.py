"""The documentation stays true: README examples run, every command and key is documented."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.scenario.schema import ScenarioSpec

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_opens_with_exactly_two_commands():
    first = _blocks(README, "")[0].strip().splitlines()
    assert len(first) == 2
    assert "lunarsim run scenarios/" in first[0]
    assert "pytest" in first[1]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith(first[1])


def test_readme_python_example_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    for block in _blocks(README, "python"):
        exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip()


def test_every_command_is_documented():
    from sim.cli import app

    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        assert f"lunarsim {name}" in cli_doc, name


def _keys(model: type, seen: set[type] | None = None) -> set[str]:
    """Every key a file may write in `model` and the models inside it (recursive ones once)."""
    seen = set() if seen is None else seen
    seen.add(model)
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(field.alias or name)
        for arg in re.findall(r"\w+Spec", str(field.annotation)):
            inner = getattr(sys.modules[ScenarioSpec.__module__], arg)
            if inner not in seen:
                keys |= _keys(inner, seen)
    return keys


def test_every_key_of_the_format_is_in_the_reference():
    reference = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    missing = sorted(k for k in _keys(ScenarioSpec) if f"`{k}`" not in reference)
    assert not missing


def test_every_bundled_scenario_cites_a_source_for_every_milestone():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        if path.stem.startswith("tutorial"):
            continue
        sc = sim.load(path)
        unsourced = [m.id for m in sc.milestones.values() if not m.source]
        assert not unsourced, f"{path.name}: {unsourced}"


@pytest.mark.slow
def test_readme_first_command_works_in_a_fresh_virtualenv(tmp_path):
    """Run the README's first command, as written, in a clean copy of the tracked files."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if files.returncode != 0:
        pytest.skip("not a git checkout")
    copy = tmp_path / "lunarsim"
    for name in files.stdout.splitlines():
        src = ROOT / name
        if src.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, copy / name)
    command = _blocks(README, "")[0].strip().splitlines()[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    r = subprocess.run(command, shell=True, cwd=copy, capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "report: reports/ilrs-2026-status.html" in r.stdout
    assert (copy / "reports" / "ilrs-2026-status.html").stat().st_size > 10_000


def test_readme_opens_with_todays_answer_from_the_first_command():
    """The first command runs today's re-plan, and the first quoted sentence is its headline's,
    as `lunarsim run` prints it (the scenario's own seed and iterations)."""
    from sim.report.headline import headline

    first = _blocks(README, "")[0].strip().splitlines()[0]
    name = re.search(r"scenarios/([a-z0-9-]+)\.yaml", first).group(1)
    assert name == "ilrs-2026-status"
    sc = sim.load(ROOT / "scenarios" / f"{name}.yaml")
    text = headline(sim.simulate(sc), sc.headline).text
    quoted = re.search(r'\*"(.*?)"\*', README, flags=re.S)
    assert quoted is not None
    assert " ".join(quoted.group(1).split()) == text
    # And the 2022 forecast that follows it quotes that file's headline ("what we would have said then").
    sc2022 = sim.load(ROOT / "scenarios" / "ilrs-2022-announced.yaml")
    then = headline(sim.simulate(sc2022), sc2022.headline).text
    assert then in " ".join(README.split())


def _all_sentences() -> set[str]:
    """Every milestone sentence of every bundled scenario, at its own seed and iterations."""
    out: set[str] = set()
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        out |= set(_headlines(path.stem).values())
    return out


def test_every_quoted_sentence_in_the_readme_and_docs_is_what_a_bundled_run_prints():
    sentences = _all_sentences()
    quotes = [" ".join(q.split()) for q in re.findall(r'\*"(.*?)"\*', README, flags=re.S)]
    # docs/report.md's example: "> **Title**: clauses" over one or more quoted lines.
    report = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    examples = re.findall(r"^> \*\*(.+?)\*\*: (.+?)\n(?!>)", report, flags=re.S | re.M)
    assert examples, "docs/report.md has no example sentence"
    for title, rest in examples:
        quotes.append(" ".join(f"{title}: {rest.replace('> ', ' ')}".split()))
    assert len(quotes) >= 5
    for quote in quotes:
        assert quote in sentences, quote


def test_every_complete_example_in_the_format_reference_runs(tmp_path):
    import yaml

    reference = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    ran = 0
    for i, block in enumerate(_blocks(reference, "yaml")):
        doc = yaml.safe_load(block)
        if not isinstance(doc, dict) or not {"name", "start", "milestones"} <= set(doc) or "extends" in doc:
            continue  # a fragment, or a file that needs its base beside it
        path = tmp_path / f"example-{i}.yaml"
        path.write_text(block, encoding="utf-8")
        sim.simulate(sim.load(path), 200, seed=1)
        ran += 1
    assert ran >= 10


def test_readme_quotes_the_bundled_backtest_truly():
    forecast = sim.load(ROOT / "scenarios" / "ilrs-2022-announced.yaml")
    outcome = sim.load(ROOT / "scenarios" / "ilrs-2026-status.yaml")
    scores = sim.backtest(sim.simulate(forecast), outcome, not_done=["luna-25-landing"])
    text = " ".join(README.split())
    assert "lunarsim backtest ilrs-2022-announced ilrs-2026-status --not-done luna-25-landing" in text
    assert f"Brier score of **{scores.brier:.3f}**, against **{scores.plan_brier:.3f}**" in text
    assert f"**{scores.crps:.0f} days** per milestone, against **{scores.plan_crps:.0f}**" in text


def _headlines(name: str) -> dict[str, str]:
    """Every milestone's report sentence for a bundled scenario, at its own seed and iterations."""
    from sim.report.headline import headline

    sc = sim.load(ROOT / "scenarios" / f"{name}.yaml")
    result = sim.simulate(sc)
    return {mid: headline(result, mid).text for mid in sc.milestones}


def test_readme_quotes_every_variant_headline_truly():
    quotes = re.findall(r'^- `([a-z0-9-]+)`: \*"(.*?)"\*', README, flags=re.S | re.M)
    assert len(quotes) >= 2
    for name, quoted in quotes:
        assert " ".join(quoted.split()) in _headlines(name).values(), name


def test_readme_variant_table_is_true():
    rows = [line for line in README.splitlines() if line.startswith("| ")]
    header = next(r for r in rows if r.startswith("| scenario |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    body = [r for r in rows if r.startswith("| `")]
    assert len(body) >= 3
    for row in body:
        name, *cells = (c.strip().strip("`") for c in row.strip("|").split("|"))
        sentences = _headlines(name)
        for column, cell in zip(columns, cells, strict=True):
            milestone, what = re.fullmatch(r"`([a-z0-9-]+)` (by \S+|median)", column).groups()
            sentence = sentences[milestone]
            if what == "median":
                assert f"; median {cell}" in sentence, (name, column, sentence)
            else:
                clause = f": {cell} likely {what.replace('by ', 'by the ')} target"
                assert clause in sentence, (name, column, sentence)


def test_chang_e_7s_launch_date_is_one_line_as_the_readme_says(tmp_path):
    """Uncommenting the `# actual:` line under change-7-launch, with a date, is the whole edit."""
    from sim.report.headline import headline

    assert "uncomment `# actual: 2026-MM-DD`" in " ".join(README.split())
    shutil.copy(ROOT / "scenarios" / "ilrs-2022-announced.yaml", tmp_path)
    text = (ROOT / "scenarios" / "ilrs-2026-status.yaml").read_text(encoding="utf-8")
    block = text.split("  change-7-launch:\n", 1)[1].split("\n\n", 1)[0]
    assert block.count("    # actual: 2026-MM-DD\n") == 1
    edited = text.replace(block, block.replace("    # actual: 2026-MM-DD\n", "    actual: 2026-11-20\n"))
    assert len(edited.splitlines()) == len(text.splitlines())
    path = tmp_path / "ilrs-2026-status.yaml"
    path.write_text(edited, encoding="utf-8")
    sc = sim.load(path)
    result = sim.simulate(sc, 200, seed=1, workers=1)
    assert headline(result, "change-7-launch").text.endswith("done on 2026-11-20; the target was 2026-12-31")


def test_cli_docs_compare_example_is_the_bundled_pairs():
    from sim.report.deltas import deltas

    cli_doc = " ".join((ROOT / "docs" / "cli.md").read_text(encoding="utf-8").split())
    quoted = re.search(r'for the bundled 2022 file against the 2026 re-plan, "(.*?)"', cli_doc)
    assert quoted is not None
    names = ("ilrs-2022-announced", "ilrs-2026-status")
    runs = [sim.simulate(sim.load(ROOT / "scenarios" / f"{n}.yaml")) for n in names]
    changes = {d.id: d.changes[0][1] for d in deltas(runs, ["2022", "2026"])}
    assert quoted.group(1) == changes["ilrs-basic-facilities"]


def test_the_correlation_section_quotes_the_tied_rank_correlation_truly():
    """Two 50/50 two-point variables under a Gaussian copula at r have rank correlation (the phi
    coefficient, ties at mid-ranks) 2/pi asin r: the closed form of P(both) for two halves."""
    text = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    quoted = re.search(r"50/50 two-point durations at r = ([0-9.]+) measure only ([0-9.]+)", text)
    assert quoted is not None
    r, measured = float(quoted.group(1)), quoted.group(2)
    assert r == pytest.approx(2 * math.sin(math.pi * 0.6 / 6), abs=5e-4)  # the continuous r for 0.6
    assert measured == f"{2 / math.pi * math.asin(r):.2f}"
