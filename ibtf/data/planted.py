"""Synthetic data with a planted answer, for the privacy, fairness, multi-view and shift models.

Every generator returns numpy arrays and states what is known by construction:

* `planted_sensitive`: features x = Q [utility signal; sensitive signal; noise] with a utility
  label u and a sensitive attribute s drawn *independently*. A representation that keeps u and
  drops s exists, so the ideal s-adversary sits at the base rate max(p_s, 1 - p_s), and the
  ideal demographic-parity gap of a u-classifier is 0.
* `two_views`: two views of a shared label y, each with its own binary nuisance n_v drawn
  independently of y; an ideal label code carries nothing about n_v (probe at chance).
* `spurious_shift`: an invariant feature whose relation to y is fixed, and a spurious one whose
  agreement with y depends on the environment (and flips at test). Given y, the invariant feature
  is independent of the environment: Z = x_inv satisfies I(Z; E | Y) = 0 exactly.
* `correlated_gaussians`: d independent pairs with correlation rho; I(X; Y) = -d/2 ln(1 - rho^2).

All generators are seeded (``numpy.random.default_rng(seed)``) and return float32 features.
"""
import dataclasses
import math

import numpy as np

__all__ = ["PlantedSensitive", "planted_sensitive", "TwoViews", "two_views", "SpuriousShift",
           "spurious_shift", "correlated_gaussians"]


def _count(value, name, minimum=2):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


def _prob(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{name}={value!r} must be a probability strictly between 0 and 1")
    return float(value)


def _rotation(dim, rng):
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return q * np.sign(np.diag(r))


@dataclasses.dataclass(frozen=True)
class PlantedSensitive:
    """Features with a utility label and an independent sensitive attribute.

    Attributes:
      x: [n, dim] float32 features.
      u: [n] int32 utility label (the task), in {0, 1}.
      s: [n] int32 sensitive attribute, in {0, 1}, independent of u.
      s_base_rate: max(p_s, 1 - p_s): the accuracy of an s-adversary that sees nothing.
      u_bayes_accuracy: the best possible u accuracy from x, Phi(utility_snr).
    """
    x: np.ndarray
    u: np.ndarray
    s: np.ndarray
    s_base_rate: float
    u_bayes_accuracy: float


def planted_sensitive(n, *, dim=8, utility_snr=1.5, sensitive_snr=2.5, p_sensitive=0.5,
                      seed=0, mixing_seed=1234):
    """x = Q [(2u - 1) a + e_1; (2s - 1) b + e_2; e_3..e_dim] with u, s independent.

    u ~ Bernoulli(1/2), s ~ Bernoulli(p_sensitive), e ~ N(0, I), and Q a fixed random rotation
    (``mixing_seed``) so that both signals spread over every coordinate. The u-signal is
    ``utility_snr`` standard deviations from the boundary (Bayes accuracy Phi(utility_snr)),
    the s-signal ``sensitive_snr`` (a raw-x adversary reaches Phi(sensitive_snr)).

    Returns:
      A `PlantedSensitive`.
    """
    n, dim = _count(n, "n"), _count(dim, "dim", 3)
    p = _prob(p_sensitive, "p_sensitive")
    rng = np.random.default_rng(seed)
    u = rng.integers(0, 2, n).astype(np.int32)
    s = (rng.random(n) < p).astype(np.int32)
    h = rng.standard_normal((n, dim))
    h[:, 0] += (2 * u - 1) * float(utility_snr)
    h[:, 1] += (2 * s - 1) * float(sensitive_snr)
    x = h @ _rotation(dim, np.random.default_rng(mixing_seed)).T
    bayes = 0.5 * (1 + math.erf(float(utility_snr) / math.sqrt(2)))
    return PlantedSensitive(x.astype(np.float32), u, s, max(p, 1 - p), bayes)


@dataclasses.dataclass(frozen=True)
class TwoViews:
    """Two views sharing a label, each with its own independent binary nuisance.

    Attributes:
      view1, view2: [n, dim] float32 views.
      y: [n] int32 shared label in [0, num_classes).
      nuisance1, nuisance2: [n] int32 nuisances in {0, 1}, independent of y and of each other.
    """
    view1: np.ndarray
    view2: np.ndarray
    y: np.ndarray
    nuisance1: np.ndarray
    nuisance2: np.ndarray


def two_views(n, *, num_classes=4, dim=8, label_snr=2.0, nuisance_snr=2.5, seed=0,
              mixing_seed=4321):
    """view_v = Q_v [label_snr * c_y + e; (2 n_v - 1) nuisance_snr + e; e...], v = 1, 2.

    c_y is the y-th of `num_classes` unit vectors in a (num_classes)-dimensional block shared by
    both views (each view sees it through its own rotation Q_v and its own noise), so y is
    recoverable from either view and each nuisance only from its own view.
    """
    n, num_classes = _count(n, "n"), _count(num_classes, "num_classes")
    dim = _count(dim, "dim", num_classes + 2)
    rng = np.random.default_rng(seed)
    mix = np.random.default_rng(mixing_seed)
    y = rng.integers(0, num_classes, n).astype(np.int32)
    views, nuisances = [], []
    for _ in range(2):
        nuisance = rng.integers(0, 2, n).astype(np.int32)
        h = rng.standard_normal((n, dim))
        h[np.arange(n), y] += float(label_snr)
        h[:, num_classes] += (2 * nuisance - 1) * float(nuisance_snr)
        views.append((h @ _rotation(dim, mix).T).astype(np.float32))
        nuisances.append(nuisance)
    return TwoViews(views[0], views[1], y, nuisances[0], nuisances[1])


@dataclasses.dataclass(frozen=True)
class SpuriousShift:
    """Training environments with a spurious feature, and a test set where it flips.

    Attributes:
      x: [n, 2] float32 features: column 0 invariant, column 1 spurious.
      y: [n] int32 label in {0, 1}.
      env: [n] int32 environment id (index into the agreement list).
      agreement: P(spurious sign = label) in each environment.
    """
    x: np.ndarray
    y: np.ndarray
    env: np.ndarray
    agreement: tuple


def spurious_shift(n_per_env, agreement=(0.95, 0.75), *, invariant_snr=1.0, spurious_snr=3.0,
                   seed=0):
    """x_inv = (2y - 1) invariant_snr + e, x_sp = (2a - 1) spurious_snr + e', per environment.

    a = y with probability ``agreement[e]`` and 1 - y otherwise; e, e' ~ N(0, 1). The invariant
    feature alone reaches Phi(invariant_snr) in every environment; the spurious one agrees with y
    as often as its environment says, so ERM on pooled training environments with high
    agreement leans on it, and loses when a test environment flips it (agreement 0.05).
    """
    n_per_env = _count(n_per_env, "n_per_env")
    if not isinstance(agreement, (list, tuple)) or not agreement:
        raise ValueError(f"agreement={agreement!r} must be a non-empty list of probabilities, "
                         "one per environment, e.g. (0.95, 0.75)")
    agreement = tuple(_prob(a, "agreement") for a in agreement)
    rng = np.random.default_rng(seed)
    xs, ys, envs = [], [], []
    for e, agree in enumerate(agreement):
        y = rng.integers(0, 2, n_per_env)
        a = np.where(rng.random(n_per_env) < agree, y, 1 - y)
        x = np.stack([(2 * y - 1) * float(invariant_snr), (2 * a - 1) * float(spurious_snr)], 1)
        xs.append(x + rng.standard_normal(x.shape))
        ys.append(y)
        envs.append(np.full(n_per_env, e))
    return SpuriousShift(np.concatenate(xs).astype(np.float32),
                         np.concatenate(ys).astype(np.int32),
                         np.concatenate(envs).astype(np.int32), agreement)


def correlated_gaussians(n, rho, *, dim=1, seed=0):
    """(x, y, mi_nats): d pairs (x_k, y_k) ~ N(0, [[1, rho], [rho, 1]]), I = -d/2 ln(1 - rho^2)."""
    n, dim = _count(n, "n"), _count(dim, "dim", 1)
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not -1 < rho < 1:
        raise ValueError(f"rho={rho!r} must lie strictly between -1 and 1")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal((n, dim))
    return x.astype(np.float32), y.astype(np.float32), -0.5 * dim * math.log(1 - rho**2)
