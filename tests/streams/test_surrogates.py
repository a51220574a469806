import numpy as np
import pytest

from ibtf.streams.surrogates import (block_shuffle, circular_shifts, phase_randomise,
                                     surrogate_sources)


def _ar1(n, phi, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + rng.standard_normal()
    return x


def _acf(x, lag):
    x = x - x.mean()
    return float(np.dot(x[:-lag], x[lag:]) / np.dot(x, x))


def test_shifts_keep_the_values_and_their_own_dynamics_but_not_the_alignment():
    x = _ar1(2000, 0.8, 0)[:, None]
    bounds = [(0, 2000)]
    out = list(surrogate_sources(x, bounds, "shift", 20, np.random.default_rng(1),
                                 min_shift=200))
    for s in out:
        np.testing.assert_allclose(np.sort(s[:, 0]), np.sort(x[:, 0]), rtol=1e-6)
        assert abs(_acf(s[:, 0], 1) - _acf(x[:, 0], 1)) < 0.01     # one seam in 2000 steps
        # No longer aligned with the original (its own lag-0 correlation is ~0).
        assert abs(np.corrcoef(s[:, 0], x[:, 0])[0, 1]) < 0.2
    assert len({s.tobytes() for s in out}) == 20                  # distinct shifts


def test_shift_draws_are_distinct_within_range_and_short_series_are_refused():
    lags = circular_shifts(100, 30, np.random.default_rng(0), min_shift=10)
    assert len(set(lags.tolist())) == 30 and lags.min() >= 10 and lags.max() <= 90
    with pytest.raises(ValueError, match="too short"):
        circular_shifts(15, 3, np.random.default_rng(0), min_shift=10)


def test_phase_randomisation_keeps_the_spectrum_and_cross_spectrum():
    rng = np.random.default_rng(3)
    a = _ar1(1024, 0.9, 1)
    x = np.stack([a, 0.5 * a + rng.standard_normal(1024)], axis=1)
    s = phase_randomise(x, np.random.default_rng(4))
    np.testing.assert_allclose(np.abs(np.fft.rfft(s, axis=0)), np.abs(np.fft.rfft(x, axis=0)),
                               rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(s.mean(axis=0), x.mean(axis=0), atol=1e-10)
    # Shared phases keep the correlation between the columns.
    assert np.corrcoef(s.T)[0, 1] == pytest.approx(np.corrcoef(x.T)[0, 1], abs=1e-8)
    assert abs(np.corrcoef(s[:, 0], x[:, 0])[0, 1]) < 0.3


def test_series_are_surrogated_separately():
    x = np.concatenate([np.zeros(100), np.ones(100)])[:, None].astype(np.float32)
    for kind in ("shift", "phase", "block_shuffle"):
        (s,) = surrogate_sources(x, [(0, 100), (100, 200)], kind, 1, np.random.default_rng(0),
                                 min_shift=10, block=7)
        np.testing.assert_allclose(s[:100], 0.0, atol=1e-6)
        np.testing.assert_allclose(s[100:], 1.0, atol=1e-6)


def test_block_shuffle_keeps_blocks_and_unknown_kinds_are_refused():
    x = np.arange(20.0)[:, None]
    s = block_shuffle(x, np.random.default_rng(0), 5)
    assert sorted(s[:, 0].tolist()) == list(range(20))
    assert all(np.all(np.diff(s[i:i + 5, 0]) == 1) for i in range(0, 20, 5))
    with pytest.raises(ValueError, match="unknown"):
        next(surrogate_sources(x, [(0, 20)], "reverse", 1, np.random.default_rng(0)))


def test_block_shuffle_moves_every_block():
    """A placebo must not keep any block of the real source where it was (a plain permutation
    leaves one in place on average, and it keeps its link to the target)."""
    x = np.arange(12.0)[:, None]
    for seed in range(200):
        s = block_shuffle(x, np.random.default_rng(seed), 3)
        assert all(s[i, 0] != i for i in range(0, 12, 3)), seed
    with pytest.raises(ValueError, match="single block"):
        block_shuffle(x, np.random.default_rng(0), 12)


def test_a_panel_of_short_series_is_shifted_as_a_whole():
    # Episodes of 6-14 rows: too short to shift one by one by 10 steps. Each row's value
    # names its series, so a surrogate row shows which series its source came from.
    rng = np.random.default_rng(0)
    lengths = rng.integers(6, 15, size=40)
    edges = np.concatenate([[0], np.cumsum(lengths)])
    bounds = list(zip(edges[:-1], edges[1:]))
    x = np.repeat(np.arange(40.0), lengths)[:, None]
    out = list(surrogate_sources(x, bounds, "shift", 20, np.random.default_rng(1),
                                 min_shift=10))
    for s in out:
        np.testing.assert_array_equal(np.sort(s[:, 0]), np.sort(x[:, 0]))
        for k, (lo, hi) in enumerate(bounds):
            assert not np.any(s[lo:hi, 0] == k)           # never its own series' source
            # One contiguous stretch of the panel: at most one change of donor per seam.
            assert np.all(np.diff(s[lo:hi, 0]) % 40 <= 1)
    assert len({s.tobytes() for s in out}) == 20
