"""Bjontegaard deltas between two rate-distortion curves (VCEG-M33, 2001), with the
piecewise-cubic (PCHIP) interpolation of later revisions (VCEG-AL22, JVET CTC) instead of one
cubic polynomial, and an optional window of rates.

BD-rate: the mean relative rate difference at equal quality,

    BD-rate = exp( 1/(D_hi - D_lo) * int_{D_lo}^{D_hi} [ln R_test(D) - ln R_ref(D)] dD ) - 1,

negative when the test codec needs fewer bits. BD-PSNR: the mean quality difference at equal
rate, over ln R,

    BD-PSNR = 1/(r_hi - r_lo) * int_{r_lo}^{r_hi} [D_test(r) - D_ref(r)] dr,   r = ln R.

The integration intervals are where both curves have points (and, with ``bpp_range``, where
the rate lies inside the window): no extrapolation. Curves are lists of (bpp, quality).
"""
import numpy as np

__all__ = ["bd_rate", "bd_psnr"]

_SAMPLES = 1000


def _curve(points, name):
    array = np.asarray(points, np.float64)
    if array.ndim != 2 or array.shape[1] != 2 or len(array) < 2:
        raise ValueError(f"{name} must be at least 2 (bpp, quality) points, got shape "
                         f"{array.shape}")
    if not np.isfinite(array).all() or (array[:, 0] <= 0).any():
        raise ValueError(f"{name} needs finite points with bpp > 0")
    array = array[np.argsort(array[:, 0])]
    # keep the rate-quality frontier: quality must rise with rate for the inverse to exist
    keep = [0]
    for i in range(1, len(array)):
        if array[i, 1] > array[keep[-1], 1] and array[i, 0] > array[keep[-1], 0]:
            keep.append(i)
    array = array[keep]
    if len(array) < 2:
        raise ValueError(f"{name} has fewer than 2 points on its rising R-D frontier")
    return np.log(array[:, 0]), array[:, 1]


def _window(log_rate, quality, bpp_range):
    """Clips a curve (ln R, D) to the rate window by interpolating its end points."""
    from scipy.interpolate import PchipInterpolator
    if bpp_range is None:
        return log_rate, quality
    lo, hi = np.log(bpp_range[0]), np.log(bpp_range[1])
    lo, hi = max(lo, log_rate[0]), min(hi, log_rate[-1])
    if lo >= hi:
        return None
    inner = (log_rate > lo) & (log_rate < hi)
    f = PchipInterpolator(log_rate, quality)
    rates = np.concatenate([[lo], log_rate[inner], [hi]])
    return rates, f(rates)


def _mean_difference(x_ref, y_ref, x_test, y_test):
    """Mean of y_test(x) - y_ref(x) over the x both curves span (PCHIP), or None."""
    from scipy.interpolate import PchipInterpolator
    lo, hi = max(x_ref[0], x_test[0]), min(x_ref[-1], x_test[-1])
    if not lo < hi:
        return None
    grid = np.linspace(lo, hi, _SAMPLES)
    difference = PchipInterpolator(x_test, y_test)(grid) - PchipInterpolator(x_ref, y_ref)(grid)
    return float(np.trapz(difference, grid) / (hi - lo))


def bd_psnr(reference, test, bpp_range=None):
    """Mean quality gain (dB for PSNR) of ``test`` over ``reference`` at equal rate; None
    when the curves share no rates (inside ``bpp_range`` = (lo, hi) when given)."""
    ref, tst = _curve(reference, "reference"), _curve(test, "test")
    ref, tst = _window(*ref, bpp_range), _window(*tst, bpp_range)
    if ref is None or tst is None:
        return None
    return _mean_difference(ref[0], ref[1], tst[0], tst[1])


def bd_rate(reference, test, bpp_range=None):
    """Mean relative rate change of ``test`` against ``reference`` at equal quality (-0.2:
    20% fewer bits); None when the curves share no qualities inside the rate window."""
    ref, tst = _curve(reference, "reference"), _curve(test, "test")
    ref, tst = _window(*ref, bpp_range), _window(*tst, bpp_range)
    if ref is None or tst is None:
        return None
    # quality is strictly increasing along each frontier: swap axes to get ln R(D)
    mean_log_ratio = _mean_difference(ref[1], ref[0], tst[1], tst[0])
    return None if mean_log_ratio is None else float(np.expm1(mean_log_ratio))
