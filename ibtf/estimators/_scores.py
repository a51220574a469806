"""Shared helpers for bounds on a critic's score matrix.

Convention used by every bound in ``ibtf.estimators``: ``scores[i, j] = critic(x_j, y_i)`` for a
batch of ``B`` pairs ``(x_k, y_k)`` drawn from the joint ``p(x, y)``. The diagonal holds the joint
pairs; an off-diagonal entry pairs ``x_j`` with an unrelated ``y_i`` and so is a draw from the
product of marginals ``p(x) p(y)``.
"""
from ibtf._keras import tf

__all__ = []


def check_scores(scores, name="scores"):
    """Converts ``scores`` to a float tensor and checks it is a square matrix of side >= 2."""
    if not isinstance(scores, tf.Tensor) and not isinstance(scores, tf.Variable):
        scores = tf.convert_to_tensor(scores)
    if not scores.dtype.is_floating:
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {scores.dtype.name}; cast it "
            "with tf.cast(scores, tf.float32)."
        )
    shape = scores.shape
    if shape.rank is not None and shape.rank != 2:
        raise ValueError(
            f"{name} must be a [batch, batch] matrix with scores[i, j] = critic(x_j, y_i), got "
            f"shape {shape}; build it with a critic from ibtf.estimators.critics."
        )
    if shape.rank == 2 and shape[0] is not None and shape[1] is not None:
        if shape[0] != shape[1]:
            raise ValueError(
                f"{name} must be square (one row per y_i, one column per x_j of the same "
                f"batch), got shape {shape}."
            )
        if shape[0] < 2:
            raise ValueError(
                f"{name} needs a batch of at least 2 pairs to have off-diagonal (marginal) "
                f"entries, got shape {shape}; use a larger batch."
            )
    return scores


def off_diagonal_mask(scores):
    """Boolean [B, B] mask that is True off the diagonal."""
    n = tf.shape(scores)[0]
    return tf.logical_not(tf.cast(tf.eye(n), tf.bool))


def mean_diagonal(scores):
    """Mean of the joint (diagonal) scores."""
    return tf.reduce_mean(tf.linalg.diag_part(scores))


def mean_off_diagonal(values):
    """Mean over the B (B - 1) off-diagonal entries."""
    n = tf.cast(tf.shape(values)[0], values.dtype)
    masked = tf.where(off_diagonal_mask(values), values, tf.zeros_like(values))
    return tf.reduce_sum(masked) / (n * (n - 1.0))


def log_mean_exp_off_diagonal(scores):
    """log( mean over off-diagonal entries of exp(scores) ), computed stably."""
    n = tf.cast(tf.shape(scores)[0], scores.dtype)
    minus_inf = tf.fill(tf.shape(scores), tf.constant(-float("inf"), scores.dtype))
    masked = tf.where(off_diagonal_mask(scores), scores, minus_inf)
    return tf.reduce_logsumexp(masked) - tf.math.log(n * (n - 1.0))
