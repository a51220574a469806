"""Argument checks shared by the closed forms: every message names the argument, says what was
wrong and gives the feasible range, so a caller can fix the call without reading the source."""

import math
import numbers

import numpy as np

__all__ = []  # private helpers


def as_float_array(value, name):
    """Converts ``value`` to a float64 array and rejects NaN/inf."""
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"{name} must be a number or an array of numbers, got {type(value).__name__}"
        )
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a number or an array of numbers, got {type(value).__name__}"
        ) from error
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}; pass finite numbers")
    return array


def check_range(array, name, low=None, high=None, low_open=False, high_open=False):
    """Raises ValueError stating the feasible range when ``array`` leaves it."""
    bad = np.zeros(np.shape(array), dtype=bool)
    if low is not None:
        bad |= (array <= low) if low_open else (array < low)
    if high is not None:
        bad |= (array >= high) if high_open else (array > high)
    if np.any(bad):
        left = "(" if low_open else "["
        right = ")" if (high_open or high is None) else "]"
        lo = "-inf" if low is None else f"{low:.6g}"
        hi = "inf" if high is None else f"{high:.6g}"
        offending = np.asarray(array)[bad].ravel()[:3]
        raise ValueError(
            f"{name} must lie in the feasible range {left}{lo}, {hi}{right}, got "
            f"{', '.join(f'{v:.6g}' for v in offending)}"
        )
    return array


def positive(value, name):
    """A finite float array of strictly positive entries."""
    return check_range(as_float_array(value, name), name, low=0.0, low_open=True)


def non_negative(value, name):
    """A finite float array of entries >= 0."""
    return check_range(as_float_array(value, name), name, low=0.0)


def check_int(value, name, minimum):
    """A Python/numpy integer >= ``minimum`` (bools rejected: they are a typo, not a count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def scalar_or_array(result, *inputs):
    """Returns a Python float when every input was a scalar, else the (broadcast) array."""
    if all(np.ndim(x) == 0 for x in inputs):
        return float(result)
    return result


def check_lam(value, name="lam"):
    """A finite Lagrange multiplier > 0 (numpy scalars accepted)."""
    if isinstance(value, (bool, str, bytes)):
        raise TypeError(f"{name} must be a number > 0, got {type(value).__name__}")
    try:
        lam = float(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a number > 0, got {type(value).__name__}") from error
    if not (lam > 0 and math.isfinite(lam)):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return lam
