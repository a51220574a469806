"""BD-rate and BD-PSNR against curves whose deltas are known in closed form."""
import numpy as np
import pytest

from ibtf.metrics.bjontegaard import bd_psnr, bd_rate

RATES = np.array([0.15, 0.3, 0.6, 1.0, 1.8])


def _curve(rates, offset=0.0, rate_factor=1.0):
    """D = 30 + 6 ln R + offset, reached at rate_factor * R."""
    return list(zip(rate_factor * rates, 30.0 + 6.0 * np.log(rates) + offset))


def test_scaled_rates_give_that_bd_rate():
    # the same quality at 80% of the bits everywhere: BD-rate = -20%
    assert bd_rate(_curve(RATES), _curve(RATES, rate_factor=0.8)) == pytest.approx(-0.2, abs=1e-9)
    assert bd_rate(_curve(RATES), _curve(RATES, rate_factor=1.25), (0.2, 1.5)) == \
        pytest.approx(0.25, abs=1e-9)


def test_shifted_quality_gives_that_bd_psnr():
    assert bd_psnr(_curve(RATES), _curve(RATES, 1.5), (0.2, 1.5)) == pytest.approx(1.5)
    # a 20% rate saving on D = 30 + 6 ln R is 6 ln(1/0.8) dB at equal rate
    assert bd_psnr(_curve(RATES), _curve(RATES, rate_factor=0.8), (0.2, 1.5)) == \
        pytest.approx(6 * np.log(1.25), abs=1e-6)


def test_no_overlap_and_bad_curves():
    assert bd_rate(_curve(RATES), _curve(RATES, rate_factor=10), (0.2, 1.5)) is None
    assert bd_psnr(_curve(RATES), _curve(RATES), (3.0, 4.0)) is None
    with pytest.raises(ValueError, match="at least 2"):
        bd_rate([(0.5, 30.0)], _curve(RATES))
    with pytest.raises(ValueError, match="bpp > 0"):
        bd_rate([(0.0, 30.0), (1.0, 31.0)], _curve(RATES))
