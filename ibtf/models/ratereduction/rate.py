"""Coding rate and rate reduction as TensorFlow ops, for training (MCR^2, CTRL).

The same quantities as :mod:`ibtf.theory.rate_reduction` (the numpy reference and the closed
forms), written for batches of codes with soft class memberships:

    R(Z; eps)      = 1/2 logdet(I_d + d / (n eps^2) Z^T Z)                      (Z: [n, d] rows)
    Rc(Z, Pi; eps) = sum_j (n_j / n) 1/2 logdet(I_d + d / (n_j eps^2) Z^T Pi_j Z),  n_j = tr Pi_j
    Delta R        = R(Z) - Rc(Z, Pi)

Yu et al. 2020 (MCR^2), eqs. (6)-(8); Dai et al. 2022 (CTRL), eq. (3). ``eps`` is the paper's
epsilon and is squared here; the reference code's ``eps`` (default 0.5) is the paper's eps^2.
The log-determinants use a Cholesky factor of the d x d (not n x n) matrix, so the cost is
O(n d^2 + d^3) per class.
"""
from ibtf._keras import tf

__all__ = ["coding_rate", "rate_reduction", "pairwise_rate_reduction"]


def _logdet_spd(matrix):
    return 2.0 * tf.reduce_sum(tf.math.log(tf.linalg.diag_part(tf.linalg.cholesky(matrix))), -1)


def _rate(gram, count, dim, eps):
    """1/2 logdet(I + d / (count eps^2) gram) for gram [..., d, d] and count [...]."""
    scale = dim / (tf.maximum(count, 1e-8) * eps**2)
    eye = tf.eye(dim, dtype=gram.dtype)
    return 0.5 * _logdet_spd(eye + scale[..., None, None] * gram)


def coding_rate(z, eps):
    """R(Z; eps) in nats for codes z [n, d]."""
    z = tf.convert_to_tensor(z)
    n = tf.cast(tf.shape(z)[0], z.dtype)
    return _rate(tf.matmul(z, z, transpose_a=True), n, z.shape[-1], eps)


def rate_reduction(z, memberships, eps):
    """Delta R = R(Z) - Rc(Z, Pi) in nats.

    Args:
      z: [n, d] codes (rows).
      memberships: [n, J] class memberships Pi (one-hot labels, or soft assignments).
      eps: the paper's distortion epsilon (squared inside).

    Returns:
      Scalar tensor in nats.
    """
    z = tf.convert_to_tensor(z)
    pi = tf.cast(memberships, z.dtype)
    n = tf.cast(tf.shape(z)[0], z.dtype)
    counts = tf.reduce_sum(pi, axis=0)                                  # [J]
    grams = tf.einsum("nj,nd,ne->jde", pi, z, z)                        # [J, d, d]
    within = tf.reduce_sum(counts / n * _rate(grams, counts, z.shape[-1], eps))
    return coding_rate(z, eps) - within


def pairwise_rate_reduction(z, z_hat, memberships, eps):
    """sum_j Delta R(Z_j, Z_hat_j) = sum_j [R(Z_j u Z_hat_j) - (R(Z_j) + R(Z_hat_j)) / 2].

    CTRL's class-wise distance between codes of data and of their reconstructions (Dai et al.
    2022, eq. (9)); zero when each class's reconstructed codes span what its data codes span.
    """
    pi = tf.cast(memberships, z.dtype)
    counts = tf.reduce_sum(pi, axis=0)
    dim = z.shape[-1]
    gram = tf.einsum("nj,nd,ne->jde", pi, z, z)
    gram_hat = tf.einsum("nj,nd,ne->jde", pi, z_hat, z_hat)
    joint = _rate(gram + gram_hat, 2.0 * counts, dim, eps)
    own = _rate(gram, counts, dim, eps)
    own_hat = _rate(gram_hat, counts, dim, eps)
    present = tf.cast(counts > 0, z.dtype)
    return tf.reduce_sum(present * (joint - 0.5 * (own + own_hat)))
