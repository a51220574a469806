"""Coding rate and rate reduction (MCR^2), with closed forms for codes on subspaces.

Yu, Chan, You, Song & Ma 2020, "Learning Diverse and Discriminative Representations via the
Principle of Maximal Coding Rate Reduction", eqs. (6)-(8); Dai et al. 2022, "CTRL: Closed-Loop
Transcription to an LDR via Minimaxing Rate Reduction", eq. (3). For codes Z = [z_1 .. z_n]
in R^{d x n} (columns), in nats:

    R(Z; eps)   = 1/2 logdet(I_d + d / (n eps^2) Z Z^T)
    Rc(Z; eps)  = sum_j (n_j / n) * 1/2 logdet(I_d + d / (n_j eps^2) Z_j Z_j^T)
    Delta R     = R(Z) - Rc(Z)

**eps versus eps^2.** Every function here takes the paper's distortion ``eps`` and squares it.
The MCR^2/CTRL reference code passes its ``eps`` straight into ``d / (n * eps)``, i.e. its
argument is the paper's eps^2: the code's default ``eps=0.5`` is the paper's
eps = sqrt(0.5) ~ 0.707. Pass ``eps=math.sqrt(0.5)`` to reproduce it.

Closed forms (``subspace_codes`` builds such codes exactly): J classes of m codes each, class j
spanning a k-dimensional subspace with Z_j Z_j^T = (m / k) U_j U_j^T (unit mean squared norm):

    R(Z_j)           = k/2 ln(1 + d / (k eps^2))                       every class
    orthogonal U_j:  R(Z) = J k/2 ln(1 + d / (J k eps^2)),  Delta R = R(Z) - R(Z_j)
    shared U_j = U:  R(Z) = R(Z_j),                          Delta R = 0
"""
import math

import numpy as np

__all__ = ["coding_rate", "rate_reduction", "subspace_rate_reduction", "subspace_codes"]


def _check_eps(eps):
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"eps={eps!r} must be a positive number: the paper's distortion "
                         "epsilon (squared inside; the reference code's eps is its square)")
    return float(eps)


def coding_rate(z, eps):
    """R(Z; eps) = 1/2 logdet(I + d / (n eps^2) Z^T Z) in nats, for z of shape [n, d] (rows)."""
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] < 1:
        raise ValueError(f"z has shape {z.shape}; expected [n, d] codes, one per row")
    n, d = z.shape
    gram = np.eye(d) + d / (n * _check_eps(eps) ** 2) * (z.T @ z)
    return 0.5 * np.linalg.slogdet(gram)[1]


def rate_reduction(z, labels, eps):
    """Delta R(Z, labels; eps) = R(Z) - sum_j (n_j / n) R(Z_j) in nats (numpy reference)."""
    z = np.asarray(z, dtype=np.float64)
    labels = np.asarray(labels).reshape(-1)
    if labels.shape[0] != z.shape[0]:
        raise ValueError(f"labels has {labels.shape[0]} entries for {z.shape[0]} codes; give "
                         "one label per row of z")
    n = z.shape[0]
    within = sum((np.sum(labels == j) / n) * coding_rate(z[labels == j], eps)
                 for j in np.unique(labels))
    return coding_rate(z, eps) - within


def subspace_rate_reduction(dim, subspace_dim, num_classes, eps, shared=False):
    """The closed form of Delta R for `subspace_codes` (see the module docstring)."""
    eps = _check_eps(eps)
    k, big_j, d = subspace_dim, num_classes, dim
    within = 0.5 * k * math.log1p(d / (k * eps**2))
    if shared:
        return 0.0
    if big_j * k > d:
        raise ValueError(f"{num_classes} orthogonal {subspace_dim}-dim subspaces need dim >= "
                         f"{num_classes * subspace_dim}, got dim={dim}")
    return 0.5 * big_j * k * math.log1p(d / (big_j * k * eps**2)) - within


def subspace_codes(dim, subspace_dim, num_classes, per_class, shared=False, seed=0):
    """Codes [num_classes * per_class, dim] and labels with Z_j^T Z_j = (m/k) U_j U_j^T exactly.

    Class j's codes are ``sqrt(m / k) A_j U_j^T`` with A_j [m, k] orthonormal columns (QR of a
    Gaussian matrix) and U_j [dim, k] orthonormal: mutually orthogonal across classes, or one
    shared U for every class when ``shared``.
    """
    k, m = subspace_dim, per_class
    if m < k:
        raise ValueError(f"per_class={per_class} must be >= subspace_dim={subspace_dim}")
    if not shared and num_classes * k > dim:
        raise ValueError(f"{num_classes} orthogonal {subspace_dim}-dim subspaces need dim >= "
                         f"{num_classes * subspace_dim}, got dim={dim}")
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((dim, dim)))[0]
    codes, labels = [], []
    for j in range(num_classes):
        u = basis[:, :k] if shared else basis[:, j * k:(j + 1) * k]
        a = np.linalg.qr(rng.standard_normal((m, k)))[0]
        codes.append(math.sqrt(m / k) * a @ u.T)
        labels.append(np.full(m, j))
    return np.concatenate(codes), np.concatenate(labels)
