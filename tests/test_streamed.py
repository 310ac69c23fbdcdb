"""Streamed runs: the same numbers as the run kept whole, whatever the workers, in bounded memory."""

from __future__ import annotations

import concurrent.futures
import copy
import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import sim
from sim import api
from sim.analysis.aggregates import cdf, histogram, quantile_band
from sim.analysis.sensitivity import SENSITIVITY_SAMPLE
from sim.percentiles import PERCENTILES, percentile_of
from sim.simulation.daycounts import DayCounts
from sim.simulation.executor import MAX_CHUNK

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "scenarios" / "tutorial-launch-campaign.yaml"
# Three chunks of 1,024 and one of 952: several chunks, and every iteration in the subsample.
N = 4024


def _without_run(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    doc.pop("run")
    return doc


@pytest.fixture(scope="module")
def pair() -> tuple[sim.Result, sim.Result]:
    sc = sim.load(TUTORIAL)
    return sim.simulate(sc, N, seed=11, stream=False), sim.simulate(sc, N, seed=11, stream=True)


def test_a_streamed_run_gives_the_summary_of_the_run_kept_whole(pair: tuple[sim.Result, sim.Result]) -> None:
    whole, streamed = pair
    assert not whole.streamed and streamed.streamed and streamed.iterations == N
    a = _without_run(whole.summary(impacts=True))
    b = _without_run(streamed.summary(impacts=True))
    # Signposts: the same events and exact shares; a streamed P50 is the day on which it falls.
    assert a["signposts"]
    for x, y in zip(a.pop("signposts"), b.pop("signposts"), strict=True):
        for side in ("if_yes", "if_no"):
            p50 = x[side].pop("p50_days")
            assert y[side].pop("p50_days") == (None if p50 is None else math.floor(p50))
        assert x == y
    for mid, x in a["milestones"].items():
        y = b["milestones"][mid]
        # Everything stated by date, every share and the drivers are exact.
        for key in ("title", "done_fraction", "percentiles_date", "target", "p_target"):
            assert x[key] == y[key], (mid, key)
        # Percentiles are exact to the day: the start of the day of the exact percentile.
        for p in PERCENTILES:
            exact = whole.percentile_days(mid, p)
            assert streamed.percentile_days(mid, p) == (None if exact is None else math.floor(exact))
        # Mean and sd are merged chunk by chunk (Chan et al.): equal to about 1e-12 relative, so
        # their two-decimal values can differ by one unit of the last digit only at a rounding edge.
        for key in ("mean_days", "sd_days"):
            assert (x[key] is None) == (y[key] is None)
            if x[key] is not None:
                assert abs(x[key] - y[key]) <= 0.01 + 1e-9, (mid, key)
        for p in PERCENTILES:
            x["percentiles_days"].pop(str(p)), y["percentiles_days"].pop(str(p))
        for key in ("mean_days", "sd_days"):
            x.pop(key), y.pop(key)
    assert a == b  # the rest: branches, risks, drivers (criticality and tornado), impacts


def test_the_tables_and_drivers_of_both_runs_agree(pair: tuple[sim.Result, sim.Result]) -> None:
    whole, streamed = pair
    assert whole.table() == streamed.table()
    assert whole.top_drivers() == streamed.top_drivers()
    assert whole.branch_frequencies() == streamed.branch_frequencies()
    assert whole.risk_frequencies() == streamed.risk_frequencies()


def test_a_streamed_run_does_not_depend_on_its_workers() -> None:
    sc = sim.load("ilrs-2022-announced")
    n = 3 * MAX_CHUNK + 5
    one = sim.simulate(sc, n, seed=3, stream=True, workers=1)
    two = sim.simulate(sc, n, seed=3, stream=True, workers=2)
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        submitted = sim.simulate(sc, n, seed=3, stream=True, executor=pool)
    docs = [_without_run(r.summary(impacts=False)) for r in (one, two, submitted)]
    assert docs[0] == docs[1] == docs[2]
    assert np.array_equal(one.finish, two.finish) and np.array_equal(one.sample_rows, submitted.sample_rows)
    assert one.convergence(sc.headline) == two.convergence(sc.headline)
    # Sensitivity is ranked on the seeded subsample, the same iterations as the run kept whole.
    whole = sim.simulate(sc, n, seed=3, stream=False)
    assert one.finish.shape[1] == SENSITIVITY_SAMPLE
    assert whole.summary(impacts=False)["drivers"] == docs[0]["drivers"]
    assert whole.table() == one.table()


def test_day_counts_give_the_aggregates_of_the_finish_times() -> None:
    rng = np.random.default_rng(5)
    x = rng.gamma(4.0, 30.0, 5000) + 3.0
    x[rng.random(5000) < 0.1] = np.inf
    x[:3] = [-2.5, 0.0, 7.999]
    counts = DayCounts.of(x)
    assert counts.n == 5000 and counts.never == int(np.isinf(x).sum())
    assert cdf(counts) == cdf(x)
    scenario = sim.load(TUTORIAL)
    assert histogram(counts, scenario) == histogram(x, scenario)
    s = np.sort(x)
    for p in (0.5, 0.05, 0.5, 0.8, 0.95):
        low, high = quantile_band(s, p)
        assert quantile_band(counts, p) == (
            None if low is None else math.floor(low),
            None if high is None else math.floor(high),
        )
    for p in (1, 5, 10, 33.3, 50, 80, 90, 95, 100):
        exact = percentile_of(x, p)
        assert counts.percentile(p) == (None if exact is None else math.floor(exact))
    for day in (-3.0, -2.0, 0.0, 7.0, 7.5, 8.0, 150.2, 1e6):
        assert counts.done_by(day) == int(np.count_nonzero(x < math.floor(day) + 1.0))
    halves = DayCounts.of(x[:2000]) + DayCounts.of(x[2000:])
    assert halves.first == counts.first and np.array_equal(halves.counts, counts.counts)
    assert halves.never == counts.never


def test_samples_of_a_streamed_run_are_those_of_the_run_kept_whole(
    pair: tuple[sim.Result, sim.Result], tmp_path: Path
) -> None:
    whole, streamed = pair
    whole.write_samples(tmp_path / "whole.csv")
    streamed.write_samples(tmp_path / "streamed.csv")
    assert (tmp_path / "whole.csv").read_bytes() == (tmp_path / "streamed.csv").read_bytes()
    pq = pytest.importorskip("pyarrow.parquet")
    whole.write_samples(tmp_path / "whole.parquet")
    streamed.write_samples(tmp_path / "streamed.parquet")
    a, b = pq.read_table(tmp_path / "whole.parquet"), pq.read_table(tmp_path / "streamed.parquet")
    assert a.to_pydict() == b.to_pydict() and a.schema.metadata == b.schema.metadata
    # One row group per chunk: written a chunk at a time.
    assert pq.ParquetFile(tmp_path / "streamed.parquet").num_row_groups == 4


def test_a_streamed_run_writes_its_report(pair: tuple[sim.Result, sim.Result], tmp_path: Path) -> None:
    _, streamed = pair
    page = streamed.write_report(tmp_path, impacts=False).read_text()
    assert "fig-convergence" in page and "fig-criticality" in page
    points = streamed.convergence(streamed.headline)[50]
    assert points[-1].iterations == N and points[-1].estimate == streamed.percentile_days(
        streamed.headline, 50
    )
    with pytest.raises(KeyError, match="headline only"):
        streamed.convergence("nonexistent" if streamed.headline != "nonexistent" else "x")


def test_runs_stream_by_their_size_alone() -> None:
    sc = sim.load("ilrs-2022-announced")
    cells = api._cells(sc)
    edge = api.STREAM_CELLS // cells
    assert not api.streams(sc, edge) and api.streams(sc, edge + 1)


def test_the_memory_estimate_counts_what_each_path_keeps() -> None:
    sc = sim.load("ilrs-2022-announced")
    cells = api._cells(sc)
    n = 2_000_000
    assert api.memory_needed(sc, n, streamed=False) == api._BASE_BYTES + api._BYTES_PER_CELL * cells * n
    # Streamed, nothing grows with the iterations once chunks have their largest size.
    big = api.memory_needed(sc, 10_000_000)
    assert big == api.memory_needed(sc, 10_000_000_000) == api.memory_needed(sc, n, streamed=True)
    processes = min(__import__("os").cpu_count() or 1, 16)
    span = int(sc.horizon_days) + 1
    rows = SENSITIVITY_SAMPLE + MAX_CHUNK * processes
    counts = 8 * span * (len(sc.milestones) + 1)
    assert big == api._BASE_BYTES * processes + api._BYTES_PER_CELL * cells * rows + counts


def test_a_run_too_big_even_streamed_is_refused(tmp_path: Path) -> None:
    # 40 milestones of 1,000 retries each: 40,040 values per iteration; streamed, about
    # 256 B x 40,040 x (100,000 + 65,536 per process) > 1.7 TB, more than any machine has free.
    lines = ["name: huge retries", "start: 2030-01-01", "milestones:"]
    for i in range(40):
        lines += [f"  m{i}:", "    duration: 10d", "    success: 0.5", "    retry: {max: 1000, after: 1d}"]
    path = tmp_path / "huge.yaml"
    path.write_text("\n".join(lines) + "\n")
    sc = sim.load(path)
    with pytest.raises(
        ValueError, match=r"^100,000,000 iterations of 40 milestones \(with retries and risks, "
    ):
        api.check_fits(sc, 100_000_000)


def test_impacts_of_a_streamed_run_are_those_of_the_run_kept_whole(
    pair: tuple[sim.Result, sim.Result],
) -> None:
    whole, streamed = pair
    assert streamed.impacts() == whole.impacts()


def test_a_backtest_of_a_streamed_run_is_refused(pair: tuple[sim.Result, sim.Result]) -> None:
    _, streamed = pair
    with pytest.raises(ValueError, match=r"^a backtest scores every iteration's finish, and a run of 4,024 "):
        sim.backtest(streamed, streamed.scenario)


def test_a_streamed_run_keeps_nothing_per_chunk_or_per_iteration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Twenty milestones spread over 40 years: each chunk's reduction holds day counts spanning
    # about 14,600 days per milestone (R, about 2.3 MB), so keeping one per chunk shows at once.
    # A subsample of 256 rows, so that nothing else may grow between 2 and 16 chunks.
    monkeypatch.setattr("sim.analysis.sensitivity.SENSITIVITY_SAMPLE", 256)
    path = tmp_path / "wide.yaml"
    path.write_text(
        "name: wide\nstart: 2022\nmilestones:\n"
        + "".join(f"  m{i}: {{duration: {{uniform: [0d, 40y]}}}}\n" for i in range(20))
    )
    sc = sim.load(path)
    sim.simulate(sc, 1024, seed=1, stream=True, workers=2)  # imports and first allocations

    def peak(n: int) -> tuple[int, sim.Result]:
        tracemalloc.start()
        try:
            result = sim.simulate(sc, n, seed=1, stream=True, workers=2)
            return tracemalloc.get_traced_memory()[1], result
        finally:
            tracemalloc.stop()

    small, _ = peak(2 * 1024)  # 2 chunks
    large, result = peak(16 * 1024)  # 16 chunks
    assert result.streamed and result.iterations == 16 * 1024
    # Every per-iteration array the Result keeps has the subsample's 256 rows, no more.
    rows = result.sample_rows
    assert rows is not None and rows.size == 256
    kept = [result.finish, result.driver, result.lag, *(i.values for i in result.inputs)]
    kept += [*result.risk_occurred.values(), *result.outcome.values()]
    assert {a.shape[-1] for a in kept} == {256}
    # One chunk's reduction, as large as the whole run's day counts (each chunk spans every date).
    assert result.stats is not None
    one_chunk = sum(d.counts.nbytes for d in result.stats.days)
    assert one_chunk > 2_000_000
    # With the headline's day counts on the "yes" side of each signpost event (57 events here).
    one_chunk += sum(d.counts.nbytes for d in result.stats.signposts)
    # Keeping each chunk's reduction grew the peak by 14 of them from 2 to 16 chunks; now it may
    # differ only by the few reductions waiting to be added (at most 4 with 2 workers).
    assert large - small < 6 * one_chunk, (small, large, one_chunk)


MERGES = """
name: merges streamed
start: 2030-01-01
headline: end
milestones:
  a: {duration: {uniform: [0d, 100d]}}
  b: {duration: {triangular: [20d, 50d, 120d]}}
  c: {after: [a], duration: {uniform: [10d, 30d]}, success: 0.75}
  join: {after: [a, b, c]}
  late: {after: [b, {id: c, lag: 5d}], duration: 10d}
  end: {after: [join, late], duration: 1d}
"""


def test_a_streamed_run_gives_the_merge_bias_of_the_run_kept_whole(tmp_path: Path) -> None:
    """Exact to the day, as every streamed percentile: the streamed merge bias is the day of the
    kept run's joint percentile minus the day of its latest own percentile. `c` fails in a quarter
    of the iterations (never done), so the P80 of `join` and `late` is "never": null in both."""
    from sim.analysis.mergebias import merge_biases

    path = tmp_path / "merges.yaml"
    path.write_text(MERGES, encoding="utf-8")
    sc = sim.load(path)
    whole = sim.simulate(sc, N, seed=5, stream=False)
    streamed = sim.simulate(sc, N, seed=5, stream=True)
    assert streamed.streamed
    got, kept = merge_biases(streamed), merge_biases(whole)
    assert set(got) == set(kept) == {"join", "late", "end"}
    assert got["join"]["80"] is None and got["join"]["50"] is not None
    for mid, preds in (("join", ["a", "b", "c"]), ("late", ["b", "c"]), ("end", ["join", "late"])):
        joint = np.stack([whole.finish_of(p) for p in preds]).max(axis=0)
        for level in (50, 80):
            j = percentile_of(joint, level)
            own = [whole.percentile_days(p, level) for p in preds]
            if j is None or None in own:
                expected = None
            else:
                expected = math.floor(j) - max(math.floor(v) for v in own if v is not None)
            assert got[mid][str(level)] == expected, (mid, level)
            assert (kept[mid][str(level)] is None) == (expected is None)
            if expected is not None:
                assert abs(kept[mid][str(level)] - expected) < 1.0
    doc = streamed.summary()["milestones"]
    assert doc["join"]["merge_bias_days"] == {k: v for k, v in got["join"].items()}
