"""Synthetic data whose latent truth is known: the model zoo's checks score models against it.

* ``gmm_mixed``: Gaussian-mixture latents pushed through a random injective, well-conditioned
  leaky-ReLU MLP drawn as in the TCL and iVAE codes (the identifiability setting of Kivva et
  al. 2022 and Willetts & Paige 2021).
* ``correlated_attributes``: two binary attributes with a chosen correlation, rendered into
  vectors where one attribute is easy to read and the other hard (the correlation-shift
  protocol of Funke et al. 2022).
* ``correlated_gaussians``: d pairs of standard Gaussians with correlation rho, whose mutual
  information is ``-(d/2) ln(1 - rho^2)`` nats (``ibtf.theory.gaussian_mi``).

All generators are numpy only, seeded by an argument, and return float32 arrays.
"""
import dataclasses

import numpy as np

__all__ = ["GMMMixed", "gmm_mixed", "leaky_relu_mlp", "condition_threshold",
           "conditioned_matrix", "mixing_jacobian", "cluster_gap", "bayes_labels",
           "CorrelatedAttributes",
           "correlated_attributes", "CorrelatedGaussians", "correlated_gaussians"]


def _check_int(value, name, minimum, hint):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}; {hint}")
    return int(value)


def _check_float(value, name, low, high, hint):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}={value!r} must be a number; {hint}") from None
    if not low <= value <= high:
        raise ValueError(f"{name}={value!r} must lie in [{low}, {high}]; {hint}")
    return value


def condition_threshold(rows, cols, quantile=0.25, draws=10_000, seed=0):
    """The ``quantile`` of cond(W) over ``draws`` random [rows, cols] matrices drawn as in
    ``conditioned_matrix``: the acceptance threshold of the mixing matrices of Hyvarinen &
    Morioka 2016 (TCL) and Khemakhem et al. 2020 (iVAE), who keep a matrix only when its
    condition number lies below the 25th percentile of 10^4 such draws."""
    rows = _check_int(rows, "rows", 1, "e.g. 2")
    cols = _check_int(cols, "cols", 1, "e.g. 2")
    quantile = _check_float(quantile, "quantile", 1e-3, 1.0, "e.g. 0.25 (TCL, iVAE)")
    draws = _check_int(draws, "draws", 10, "e.g. 10000 (TCL, iVAE)")
    rng = np.random.default_rng(seed)
    w = rng.uniform(-1.0, 1.0, size=(draws, rows, cols))
    w /= np.linalg.norm(w, axis=-1, keepdims=True)
    return float(np.quantile(np.linalg.cond(w), quantile))


def conditioned_matrix(rng, rows, cols, threshold, max_tries=100_000):
    """A random [rows, cols] matrix W with entries U(-1, 1), each row (one output unit's
    weights) scaled to unit norm, redrawn until cond(W) <= ``threshold``."""
    for _ in range(max_tries):
        w = rng.uniform(-1.0, 1.0, size=(rows, cols))
        w /= np.linalg.norm(w, axis=-1, keepdims=True)
        if np.linalg.cond(w) <= threshold:
            return w
    raise ValueError(f"no [{rows}, {cols}] matrix with condition number <= {threshold} in "
                     f"{max_tries} draws; raise cond_quantile")  # pragma: no cover


def leaky_relu_mlp(latent_dim, obs_dim, num_layers=3, slope=0.2, bias_scale=0.0,
                   cond_quantile=0.25, seed=0):
    """A random injective, well-conditioned map R^latent_dim -> R^obs_dim: ``(f, weights)``.

    f(z) = W_L sigma(... sigma(W_1 z + c_1) ...) + c_L with sigma the leaky ReLU (slope
    ``slope``), W_1 of shape [obs_dim, latent_dim] and the later W_l square [obs_dim, obs_dim].
    The mixing protocol of the nonlinear-ICA papers' code (Hyvarinen & Morioka 2016, TCL,
    ``apply_MLP_to_source``; Khemakhem et al. 2020, iVAE, ``generate_mixing_matrix``): entries
    U(-1, 1), each unit's weight vector normalised, and a matrix kept only when its condition
    number is below the ``cond_quantile`` quantile (theirs: 0.25) of the condition numbers of
    10^4 such draws (``condition_threshold``). Every layer is then injective with bounded
    distortion, so f is injective and piecewise affine, and z is recoverable from f(z): the
    setting of Kivva et al. 2022 ("Identifiability of deep generative models without auxiliary
    information"). Their codes have no offsets (``bias_scale=0``, the default); offsets
    c_l ~ N(0, bias_scale^2) move the kinks off the origin.

    Returns:
      ``(apply, weights)``: ``apply(z [n, latent_dim]) -> x [n, obs_dim]`` and the list of
      ``(W_l, c_l)``.
    """
    latent_dim = _check_int(latent_dim, "latent_dim", 1, "e.g. 2")
    obs_dim = _check_int(obs_dim, "obs_dim", latent_dim, "it must be >= latent_dim (injective)")
    num_layers = _check_int(num_layers, "num_layers", 1, "e.g. 3")
    slope = _check_float(slope, "slope", 1e-3, 1.0, "a leaky ReLU needs a slope in (0, 1]")
    bias_scale = _check_float(bias_scale, "bias_scale", 0.0, 1e6, "e.g. 0 (TCL, iVAE)")
    rng = np.random.default_rng(seed)
    shapes = [(obs_dim, latent_dim)] + [(obs_dim, obs_dim)] * (num_layers - 1)
    thresholds = {shape: condition_threshold(*shape, quantile=cond_quantile, seed=seed)
                  for shape in set(shapes)}
    weights = [(conditioned_matrix(rng, *shape, thresholds[shape]),
                rng.normal(scale=bias_scale, size=obs_dim) if bias_scale else np.zeros(obs_dim))
               for shape in shapes]

    def apply(z):
        w, c = weights[0]
        h = np.asarray(z, np.float64) @ w.T + c
        for w, c in weights[1:]:
            h = np.where(h > 0, h, slope * h) @ w.T + c
        return h

    return apply, weights


def mixing_jacobian(weights, slope, z):
    """The Jacobian df/dz [n, obs_dim, latent_dim] of ``leaky_relu_mlp``'s map at each z.

    f is piecewise affine: J(z) = W_L D_{L-1}(z) W_{L-1} ... D_1(z) W_1 with D_l the diagonal of
    1 (unit active) or ``slope``. The per-layer condition threshold of the TCL/iVAE protocol
    bounds cond(W_l) only; across pieces the local scale of f varies by up to
    slope^-(L-1) (each D_l is between slope I and I), so the singular values of J over the
    latent support span up to prod_l cond(W_l) / slope^(L-1): 10^4 times the layers' own
    spread for 5 layers of slope 0.1, 25 times for 3 layers of slope 0.2."""
    slope = _check_float(slope, "slope", 1e-3, 1.0, "the mixing's leaky-ReLU slope")
    h = np.asarray(z, np.float64) @ weights[0][0].T + weights[0][1]
    jac = np.broadcast_to(weights[0][0], (len(h),) + weights[0][0].shape).copy()
    for w, c in weights[1:]:
        active = np.where(h > 0, 1.0, slope)
        jac = w[None] @ (active[:, :, None] * jac)
        h = np.where(h > 0, h, slope * h) @ w.T + c
    return jac


def cluster_gap(x, labels, quantile=0.05):
    """How close the clusters come in x: the ``quantile`` over examples of the distance from
    each example to the nearest example of another cluster (Euclidean, in x's own units).

    A property of the data alone: a model whose decoder noise (observation scale) is well
    above it sees the closest clusters' points as one blob, whatever its latent prior."""
    from scipy.spatial import cKDTree
    x = np.asarray(x, np.float64)
    labels = np.asarray(labels)
    quantile = _check_float(quantile, "quantile", 0.0, 1.0, "e.g. 0.05")
    gaps = np.empty(len(x))
    for k in np.unique(labels):
        mine = labels == k
        if mine.all():
            raise ValueError("labels has a single cluster; cluster_gap needs two or more")
        gaps[mine] = cKDTree(x[~mine]).query(x[mine])[0]
    return float(np.quantile(gaps, quantile))


def bayes_labels(data):
    """The Bayes classifier's component for each true latent of a ``GMMMixed``: argmax_k
    pi_k N(z; m_k, diag s_k^2) with the true parameters. Its ARI against ``data.labels`` is
    the ceiling of any clustering of the codes (the overlap of the components themselves)."""
    z = np.asarray(data.z, np.float64)[:, None, :]
    log_joint = (np.log(data.weights)
                 - 0.5 * np.sum(((z - data.means) / data.scales) ** 2
                                + 2.0 * np.log(data.scales), axis=-1))
    return log_joint.argmax(-1).astype(np.int32)


@dataclasses.dataclass(frozen=True)
class GMMMixed:
    """``x = f(z) + noise`` with z from a Gaussian mixture; the truth is ``z`` and ``labels``.

    Attributes:
      x: [n, obs_dim] observations.
      z: [n, latent_dim] true latents.
      labels: [n] int32 mixture component of each example.
      means, scales, weights: the mixture's parameters ([K, d], [K, d], [K]).
    """
    x: np.ndarray
    z: np.ndarray
    labels: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    weights: np.ndarray


def gmm_mixed(n=4000, latent_dim=2, num_components=4, obs_dim=10, num_layers=3, slope=0.2,
              bias_scale=0.0, separation=3.0, component_scale=0.4, noise=0.0, cond_quantile=0.25,
              seed=0):
    """GMM latents mixed by a random leaky-ReLU MLP (``leaky_relu_mlp``), with known z.

    z ~ sum_k (1/K) N(m_k, diag s_k^2), x = f(z) + noise * eps. The means are drawn from
    N(0, separation^2 I) and redrawn until every pair is at least ``separation`` apart;
    the scales are ``component_scale`` times U(0.6, 1.4) per coordinate (anisotropic), so
    clusters are distinct and a model that recovers z up to an affine map also recovers them.

    Depth and slope set how close the clusters come in x (``cluster_gap``): the local scale of
    f varies across its pieces by up to slope^-(L-1) (``mixing_jacobian``). With 5 layers of
    slope 0.1 (2-D, seeds 0-5) whole clusters shrink to 1e-3 of the data's spread and two
    clusters' points come within 0.002-0.06 of each other at 5 of 6 seeds (standardised x,
    5 % quantile), below the noise level of a VAE decoder; the defaults (3 layers, TCL's slope
    0.2; iVAE's code also mixes with 3 layers by default) keep that gap at 0.05-0.8.
    """
    n = _check_int(n, "n", 2, "e.g. 4000")
    k = _check_int(num_components, "num_components", 1, "e.g. 4")
    separation = _check_float(separation, "separation", 0.0, 1e6, "e.g. 3.0")
    component_scale = _check_float(component_scale, "component_scale", 1e-6, 1e6, "e.g. 0.4")
    noise = _check_float(noise, "noise", 0.0, 1e6, "e.g. 0.05")
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        means = rng.normal(scale=separation, size=(k, latent_dim))
        gaps = np.linalg.norm(means[:, None] - means[None], axis=-1) + np.eye(k) * 1e9
        if gaps.min() >= separation:
            break
    else:  # pragma: no cover - only for absurd separations
        raise ValueError(f"could not place {k} means {separation} apart; lower separation")
    scales = component_scale * rng.uniform(0.6, 1.4, size=(k, latent_dim))
    labels = rng.integers(0, k, size=n).astype(np.int32)
    z = means[labels] + scales[labels] * rng.normal(size=(n, latent_dim))
    mix, _ = leaky_relu_mlp(latent_dim, obs_dim, num_layers, slope, bias_scale, cond_quantile,
                            seed=seed + 1)
    x = mix(z) + noise * rng.normal(size=(n, obs_dim))
    return GMMMixed(x=x.astype(np.float32), z=z.astype(np.float32), labels=labels,
                    means=means.astype(np.float32), scales=scales.astype(np.float32),
                    weights=np.full(k, 1.0 / k, np.float32))


@dataclasses.dataclass(frozen=True)
class CorrelatedAttributes:
    """Vectors rendered from two binary attributes; ``a``, ``b`` int32 in {0, 1}."""
    x: np.ndarray
    a: np.ndarray
    b: np.ndarray
    rho: float


def correlated_attributes(n, rho, dim=16, strength_a=0.6, strength_b=2.0, nuisance_dim=4,
                          noise=1.0, seed=0, mixing_seed=0):
    """Two binary attributes with correlation ``rho``, rendered into ``dim``-D vectors.

    Attributes a, b in {0, 1} have P(a = 1) = P(b = 1) = 1/2 and corr(a, b) = rho, i.e.
    P(a = b) = (1 + rho) / 2. Each shows as a direction: s = strength_a (2a - 1) u_a +
    strength_b (2b - 1) u_b + nuisance, and x = tanh(s W) with a random mixing W fixed by
    ``mixing_seed`` (the same rendering for train and test sets). a is faint and b strong,
    so a classifier of a trained at rho = 0.9 learns to read b as a shortcut: the correlation
    shift of Funke et al. 2022 ("Disentanglement and generalization under correlation shifts").
    """
    n = _check_int(n, "n", 2, "e.g. 4000")
    rho = _check_float(rho, "rho", -1.0, 1.0, "a correlation, e.g. 0.9 for training")
    dim = _check_int(dim, "dim", 2, "e.g. 16")
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, size=n)
    same = rng.random(n) < (1.0 + rho) / 2.0
    b = np.where(same, a, 1 - a)
    mixing = np.random.default_rng(10_000 + mixing_seed)
    basis, _ = np.linalg.qr(mixing.normal(size=(dim, 2 + nuisance_dim)))
    w = mixing.normal(size=(dim, dim)) / np.sqrt(dim)
    signs = np.stack([(2 * a - 1) * strength_a, (2 * b - 1) * strength_b], axis=1)
    factors = np.concatenate([signs, rng.normal(size=(n, nuisance_dim))], axis=1)
    s = factors @ basis.T + noise * rng.normal(size=(n, dim))
    x = np.tanh(s @ w)
    return CorrelatedAttributes(x=x.astype(np.float32), a=a.astype(np.int32),
                                b=b.astype(np.int32), rho=rho)


@dataclasses.dataclass(frozen=True)
class CorrelatedGaussians:
    """d pairs (x_i, y_i) of standard Gaussians with correlation rho; ``mi_nats`` the truth."""
    x: np.ndarray
    y: np.ndarray
    rho: float
    mi_nats: float


def correlated_gaussians(n, dim, rho, seed=0):
    """y = rho x + sqrt(1 - rho^2) eps with x, eps ~ N(0, I_dim): I(X; Y) = -(d/2) ln(1 - rho^2)
    (Poole et al. 2019's benchmark; ``ibtf.theory.gaussian_mi``)."""
    n = _check_int(n, "n", 2, "e.g. 4000")
    dim = _check_int(dim, "dim", 1, "e.g. 4")
    rho = _check_float(rho, "rho", -0.999999, 0.999999, "|rho| < 1 keeps the MI finite")
    from ibtf.theory.gaussian_mi import gaussian_mi
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim))
    y = rho * x + np.sqrt(1.0 - rho**2) * rng.normal(size=(n, dim))
    return CorrelatedGaussians(x=x.astype(np.float32), y=y.astype(np.float32), rho=rho,
                               mi_nats=float(gaussian_mi(rho, dim)))
