"""The one Shapley implementation (sim.analysis.shapley) that attribution and explain share."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from sim.analysis.shapley import exact, sampled, shapley


def _majority(mask: int) -> tuple[Fraction]:
    """Three players; a coalition of two or more wins 1."""
    return (Fraction(1 if mask.bit_count() >= 2 else 0),)


def test_exact_values_of_a_symmetric_game_are_equal_fractions():
    assert exact(_majority, 3) == [(Fraction(1, 3),)] * 3


def test_an_additive_game_gives_each_player_its_own_value():
    own = [3.0, -1.5, 7.25, 0.0]
    parts = exact(lambda mask: (sum(v for j, v in enumerate(own) if mask >> j & 1),), 4)
    assert [p[0] for p in parts] == pytest.approx(own, abs=1e-12)


def _random_game(k: int, seed: int) -> list[Fraction]:
    rng = np.random.default_rng(seed)
    return [Fraction(int(x), 7) for x in rng.integers(-50, 50, size=2**k)]


@pytest.mark.parametrize("antithetic", [False, True])
@pytest.mark.parametrize("units", [1, 2, 5])
def test_sampled_parts_add_up_to_the_total_exactly_with_fractions(units, antithetic):
    v = _random_game(5, 3)
    means, ses = sampled(lambda mask: (v[mask],), 5, units, np.random.default_rng(1), antithetic=antithetic)
    assert sum(p[0] for p in means) == v[-1] - v[0]
    assert all(isinstance(p[0], Fraction) for p in means)
    assert all((e[0] != e[0]) == (units == 1) for e in ses)  # NaN from one unit only


def test_exact_parts_add_up_to_the_total_exactly_with_fractions():
    v = _random_game(6, 4)
    assert sum(p[0] for p in exact(lambda mask: (v[mask],), 6)) == v[-1] - v[0]


def test_sampled_estimates_agree_with_the_exact_values():
    k, units = 5, 4000
    v = [float(x) for x in _random_game(k, 5)]
    truth = [p[0] for p in exact(lambda mask: (v[mask],), k)]
    means, ses = sampled(lambda mask: (v[mask],), k, units, np.random.default_rng(2))
    for est, se, t in zip(means, ses, truth):
        # k = 4 standard errors of the mean of `units` independent orders' marginal contributions
        assert abs(est[0] - t) <= 4 * se[0]


def test_a_measure_that_is_none_somewhere_is_none_for_every_player():
    def game(mask: int) -> tuple[float, float | None]:
        return (float(mask), None if mask == 3 else 1.0)

    parts = exact(game, 2)
    assert [p[1] for p in parts] == [None, None] and [p[0] for p in parts] == pytest.approx([1.0, 2.0])
    means, _ = sampled(game, 2, 10, np.random.default_rng(0))
    assert [p[1] for p in means] == [None, None]
    assert shapley([0.0, 1.0, None, 3.0], 2) is None
