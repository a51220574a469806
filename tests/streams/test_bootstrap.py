import numpy as np
import pytest
from scipy import signal

from ibtf.streams.bootstrap import block_bootstrap_ci


def ar1(n, phi, rng):
    e = rng.standard_normal(n)
    e[0] /= np.sqrt(1 - phi * phi)   # start in the stationary distribution
    return signal.lfilter([1.0], [1.0, -phi], e)


def test_coverage_on_dependent_data_with_known_mean():
    # AR(1), phi = 0.5, true mean 0: a 90% interval should cover ~90% of the time. The iid
    # bootstrap (b = 1) undercovers, since it ignores the positive autocorrelation.
    rng = np.random.default_rng(0)
    hits_block = hits_iid = 0
    reps = 200
    for rep in range(reps):
        x = ar1(1000, 0.5, rng)
        _, lo, hi = block_bootstrap_ci(x, block_length=20, n_boot=300, level=0.9, seed=rep)
        hits_block += lo <= 0.0 <= hi
        _, lo, hi = block_bootstrap_ci(x, block_length=1, n_boot=300, level=0.9, seed=rep)
        hits_iid += lo <= 0.0 <= hi
    assert 0.83 <= hits_block / reps <= 0.95
    # iid coverage: the interval is ~sqrt((1 - phi)/(1 + phi)) = 0.58 times too narrow -> ~66%.
    assert hits_iid / reps < 0.76


def test_iid_width_matches_the_standard_error():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(4000)
    mean, lo, hi = block_bootstrap_ci(x, block_length=1, n_boot=3000, level=0.95, seed=0)
    assert mean == pytest.approx(x.mean())
    assert (hi - lo) / 2 == pytest.approx(1.96 * x.std() / np.sqrt(4000), rel=0.08)


def test_seeded_and_errors():
    x = np.arange(50.0)
    assert block_bootstrap_ci(x, seed=3) == block_bootstrap_ci(x, seed=3)
    with pytest.raises(ValueError, match="block_length must be an integer in"):
        block_bootstrap_ci(x, block_length=51)
    with pytest.raises(ValueError, match="values must be a 1-D array"):
        block_bootstrap_ci([1.0])
    with pytest.raises(ValueError, match="NaN"):
        block_bootstrap_ci([1.0, np.nan])
    with pytest.raises(ValueError, match="level must lie"):
        block_bootstrap_ci(x, level=95)
