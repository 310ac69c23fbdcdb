"""Running chunks on a Dask cluster (a local one, on loopback) gives the same numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim

distributed = pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local


def test_dask_executor_gives_the_same_numbers(cluster):
    sc = sim.load(ROOT / "scenarios" / "ilrs-2026-status.yaml")
    with distributed.Client(cluster) as client:
        remote = sim.simulate(sc, 2500, seed=5, executor=client)
    assert remote.workers == 2
    local = sim.simulate(sc, 2500, seed=5, workers=1)
    assert np.array_equal(remote.finish, local.finish)
    assert np.array_equal(remote.driver, local.driver)


def run_json(*args: str) -> dict:
    command = [sys.executable, "-m", "sim", "run", "tutorial-launch-campaign", "-n", "3000", "--seed", "2"]
    r = subprocess.run(
        [*command, "--no-report", "--summary-json", "-", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_cli_scheduler_option(cluster):
    a = run_json("--scheduler", cluster.scheduler_address)
    b = run_json("--workers", "1")
    assert (a["run"]["workers"], b["run"]["workers"]) == (2, 1)  # the cluster's two workers ran it
    for doc in (a, b):
        doc.pop("run")
    assert a == b


def test_a_sweep_on_dask_gives_the_same_table(cluster):
    from sim.analysis.sweep import parse_setting, sweep

    path = ROOT / "scenarios" / "ilrs-2026-status.yaml"
    settings = [parse_setting("milestones.luna-26-orbit.success=0.6,0.9")]
    with distributed.Client(cluster) as client:
        remote = sweep(path, settings, 1000, seed=3, executor=client)
    assert remote == sweep(path, settings, 1000, seed=3, workers=1)
