"""The kernels' generator (xoshiro256+): reproducible, streams apart, uniform on [0, 1)."""

from __future__ import annotations

import numpy as np

from travesia.model.flee.kernels import new_seed_state, uniforms


def test_a_seed_gives_one_sequence_and_streams_differ():
    a, b, other = new_seed_state(7, 2), new_seed_state(7, 2), new_seed_state(7, 3)
    first = uniforms(a, 1000)
    assert np.array_equal(first, uniforms(b, 1000))
    assert not np.array_equal(first, uniforms(other, 1000))
    assert not np.array_equal(first, uniforms(a, 1000))  # the state advances


def test_draws_are_uniform_on_the_unit_interval():
    u = uniforms(new_seed_state(1, 2), 200_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    # Kolmogorov-Smirnov distance to the uniform law, under its 0.1% critical value 1.95 / sqrt(n)
    x = np.sort(u)
    n = len(x)
    ks = max(np.max(np.arange(1, n + 1) / n - x), np.max(x - np.arange(n) / n))
    assert ks < 1.95 / np.sqrt(n)
    # consecutive draws are not correlated (a broken state update often shows here first)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01
