from __future__ import annotations

import numpy as np
import pytest

from models.distributions import MixturePredictive, NegBinPredictive


def _grid_cdf(parts, weights, width):
    n = len(parts[0])
    grid = np.broadcast_to(np.arange(width, dtype=float)[None, :], (n, width))
    return sum(w * p.cdf(grid) for p, w in zip(parts, weights, strict=True))


def test_mixture_matches_brute_force():
    rng = np.random.default_rng(0)
    a = NegBinPredictive(rng.gamma(1.0, 3.0, 40), rng.gamma(1.0, 0.5, 40))
    b = NegBinPredictive(rng.gamma(1.0, 3.0, 40), np.zeros(40))
    mix = MixturePredictive([a, b], [0.3, 0.7])
    y = rng.integers(0, 12, 40).astype(float)
    cdf = _grid_cdf([a, b], [0.3, 0.7], 3000)
    grid = np.arange(3000)[None, :]
    assert np.allclose(mix.crps(y), ((cdf - (grid >= y[:, None])) ** 2).sum(axis=1), atol=1e-8)
    levels = [0.05, 0.1, 0.5, 0.9]
    expected = np.stack([(cdf >= lv - 1e-12).argmax(axis=1) for lv in levels], axis=1)
    assert np.array_equal(mix.quantiles(levels), expected)
    assert np.allclose(mix.mean(), 0.3 * a.mean() + 0.7 * b.mean())
    assert np.allclose(mix.p_any(), 0.3 * a.p_any() + 0.7 * b.p_any())
    sub = mix.take(np.array([3, 1]))
    assert np.allclose(sub.crps(y[[3, 1]]), mix.crps(y)[[3, 1]])


def test_mixture_of_one_part_is_the_part():
    a = NegBinPredictive(np.array([0.0, 0.4, 3.0, 40.0]), np.array([0.0, 0.5, 1.0, 0.2]))
    mix = MixturePredictive([a], [1.0])
    y = np.array([0.0, 2.0, 1.0, 35.0])
    assert np.allclose(mix.crps(y), a.crps(y))
    assert np.array_equal(mix.quantiles([0.1, 0.5, 0.9]), a.quantiles([0.1, 0.5, 0.9]))


def test_mixture_rejects_bad_weights():
    a = NegBinPredictive(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError):
        MixturePredictive([a, a], [-1.0, 2.0])
    with pytest.raises(ValueError):
        MixturePredictive([a, a], [0.0, 0.0])
