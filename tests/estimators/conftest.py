"""Correlated Gaussians with known mutual information, for the estimator tests.

x ~ N(0, I_d), y = rho x + sqrt(1 - rho^2) eps: I(X; Y) = -d/2 ln(1 - rho^2) nats, and the
pointwise mutual information log p(y|x)/p(y) is known in closed form, so an exact critic can be
written down without the code under test.
"""
import numpy as np
import pytest


def _rho(mi, d):
    return float(np.sqrt(1.0 - np.exp(-2.0 * mi / d)))


def _sample(mi, d, n, seed):
    rho = _rho(mi, d)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = rho * x + np.sqrt(1.0 - rho ** 2) * rng.normal(size=(n, d))
    return x.astype(np.float32), y.astype(np.float32)


def _pmi(x, y, rho):
    """[B, B] matrix pmi[i, j] = log p(y_i | x_j) - log p(y_i), float64."""
    s2 = 1.0 - rho ** 2
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    diff = y[:, None, :] - rho * x[None, :, :]
    return np.sum(-0.5 * np.log(s2) - diff ** 2 / (2 * s2) + y[:, None, :] ** 2 / 2, axis=-1)


def _log_conditional(x, y, rho):
    """[B, B] matrix log p(y_i | x_j), float64."""
    s2 = 1.0 - rho ** 2
    diff = np.asarray(y, np.float64)[:, None, :] - rho * np.asarray(x, np.float64)[None, :, :]
    return np.sum(-0.5 * np.log(2 * np.pi * s2) - diff ** 2 / (2 * s2), axis=-1)


@pytest.fixture
def gaussian():
    """Namespace of helpers: rho(mi, d), sample(mi, d, n, seed), pmi(x, y, rho), ..."""

    class Gaussian:
        rho = staticmethod(_rho)
        sample = staticmethod(_sample)
        pmi = staticmethod(_pmi)
        log_conditional = staticmethod(_log_conditional)

        @staticmethod
        def mi(rho, d):
            return -0.5 * d * np.log(1.0 - rho ** 2)

    return Gaussian
