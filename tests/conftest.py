"""Shared fixtures: scenarios written from text into a temporary folder."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

import sim
from sim.scenario.model import Scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _history_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Runs made by the tests (in process or as subprocesses, which inherit the environment) are
    recorded in a temporary history store, never in the user's own."""
    os.environ["LUNARSIM_HISTORY"] = str(tmp_path_factory.mktemp("history") / "history.sqlite")


@pytest.fixture(scope="session", autouse=True)
def _cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The derived-numbers cache (sim.scenario.fitcache) of the tests is a temporary folder."""
    os.environ["LUNARSIM_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a dedented YAML text to tmp_path/name and return its path."""

    def _write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def scenario(write: Callable[..., Path]) -> Callable[..., Scenario]:
    """Load a scenario from YAML text."""

    def _scenario(text: str, name: str = "scenario.yaml") -> Scenario:
        return sim.load(write(text, name))

    return _scenario
