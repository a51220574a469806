"""MINE: the Donsker-Varadhan bound with a moving-average corrected gradient."""
from ibtf._keras import tf
from ibtf.estimators._scores import check_scores, log_mean_exp_off_diagonal, mean_diagonal

__all__ = ["MINELowerBound"]


class MINELowerBound(tf.Module):
    """Donsker-Varadhan value with MINE's bias-corrected gradient, in nats.

    Belghazi et al. 2018, "MINE: Mutual Information Neural Estimation", Sec. 3.2. The DV bound
    ``I_DV = E_p[f] - log E_q[exp f]`` (``q = p(x) p(y)``) has the gradient

        grad I_DV = E_p[grad f] - E_q[exp(f) grad f] / E_q[exp f].

    A single batch estimates the denominator poorly, which biases the gradient. MINE replaces it
    by an exponential moving average over batches, ``m_t = decay m_{t-1} + (1 - decay) M_t``
    with ``M_t`` the batch mean of ``exp f`` over marginal (off-diagonal) pairs. Calling this
    object returns a tensor whose *value* is the batch DV estimate and whose *gradient* is

        grad mean_diag(f) - grad M_t / m_t,

    built as ``log M + stop(M / m) (log M - stop(log M))`` because ``grad M / m =
    (M / m) grad log M``. The average is kept in log space so large scores do not overflow.

    The moving average lives in a variable; call the object once per training step (it updates
    the average as a side effect) and use a fresh object per critic.

    Args:
      decay: weight of the past in the moving average, in [0, 1). 0 recovers the plain DV
        gradient. Poole et al.'s reference implementation uses 0.9; Belghazi et al. use
        ``1 - 0.01``.
      name: module name.

    Raises:
      ValueError: if ``decay`` is outside [0, 1).
    """

    def __init__(self, decay=0.9, name="mine_lower_bound"):
        super().__init__(name=name)
        if not isinstance(decay, (int, float)) or not 0.0 <= float(decay) < 1.0:
            raise ValueError(
                f"decay must be a float in [0, 1), got {decay!r}; 0.9 is a common choice "
                "(0 turns the correction off)."
            )
        self.decay = float(decay)
        self.log_moving_average = tf.Variable(0.0, trainable=False, name="log_moving_average")
        self.started = tf.Variable(False, trainable=False, name="started")

    def reset(self):
        """Forgets the moving average (the next call starts it from that batch)."""
        self.started.assign(False)
        self.log_moving_average.assign(0.0)

    def __call__(self, scores):
        """Returns the DV estimate of ``scores`` with the moving-average corrected gradient.

        Args:
          scores: [B, B] float32 tensor, ``scores[i, j] = critic(x_j, y_i)``.

        Returns:
          Scalar tensor in nats.
        """
        scores = check_scores(scores)
        log_m = log_mean_exp_off_diagonal(scores)
        batch = tf.stop_gradient(tf.cast(log_m, tf.float32))
        # The first batch starts the average at itself, so step one uses the exact batch gradient.
        mixed = tf.reduce_logsumexp(
            tf.stack([tf.math.log(self.decay) + self.log_moving_average,
                      tf.math.log1p(-self.decay) + batch])
        ) if self.decay > 0.0 else batch
        updated = tf.where(self.started, mixed, batch)
        self.log_moving_average.assign(updated)
        self.started.assign(True)
        ratio = tf.cast(tf.exp(batch - updated), scores.dtype)  # M_t / m_t, no gradient
        corrected = tf.stop_gradient(log_m) + ratio * (log_m - tf.stop_gradient(log_m))
        return mean_diagonal(scores) - corrected
