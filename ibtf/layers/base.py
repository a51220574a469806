"""What every bottleneck layer shares: seeded sampling, inference mode, optional rate loss."""
import random

from ibtf._keras import keras, tf

__all__ = ["Bottleneck"]

INFERENCE_MODES = ("mean", "sample")


class Bottleneck(keras.layers.Layer):
    """Base of the bottleneck layers.

    ``call`` returns ``(code, rate)`` with ``rate`` the per-example information the code spends,
    in nats. With ``rate_weight`` set, the layer instead adds ``rate_weight * mean(rate)`` as a
    loss, tracks a ``rate_nats`` metric and returns the code alone, so it drops into a
    ``keras.Sequential`` model.

    Sampling is stateless and seeded: the seed for each call is (seed, counter), the counter a
    non-trainable int64 weight, so runs repeat exactly.
    """

    def __init__(self, inference="mean", rate_weight=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if inference not in self.inference_modes:
            raise ValueError(f"inference={inference!r} must be one of {self.inference_modes}")
        if rate_weight is not None and not (float(rate_weight) >= 0):
            raise ValueError(f"rate_weight={rate_weight!r} must be >= 0 (it multiplies the rate "
                             "in nats), or None to return (code, rate)")
        if seed is None:
            seed = random.SystemRandom().randrange(2**31 - 1)
        self.inference = inference
        self.rate_weight = None if rate_weight is None else float(rate_weight)
        self.seed = int(seed)
        if self.rate_weight is not None:
            self.rate_tracker = keras.metrics.Mean(name="rate_nats")

    inference_modes = INFERENCE_MODES

    def build(self, input_shape):
        # ONLY_FIRST_REPLICA lets replicas of a tf.distribute strategy update the counter;
        # next_seed folds in the replica id so replicas draw different noise.
        self._sample_counter = self.add_weight(
            "sample_counter", [], dtype=tf.int64, initializer="zeros", trainable=False,
            aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        super().build(input_shape)

    def next_seed(self):
        """A fresh stateless seed [2] for this call."""
        count = self._sample_counter.assign_add(1)
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync if context is not None else 1
        if replicas > 1:
            count = count * replicas + tf.cast(context.replica_id_in_sync_group, tf.int64)
        return tf.stack([tf.constant(self.seed, tf.int32), tf.cast(count, tf.int32)])

    # All noise goes through these two methods, so ibtf.testing.fixed_noise can replace it:
    # XLA has its own random-number kernels, and jit and plain execution draw different noise
    # from the same seed.
    def standard_normal(self, shape, dtype=tf.float32, seed=None):
        """N(0, 1) noise of ``shape`` from this layer's seed stream."""
        seed = self.next_seed() if seed is None else seed
        return tf.random.stateless_normal(shape, seed=seed, dtype=dtype)

    def uniform(self, shape, dtype=tf.float32):
        """U(0, 1) noise of ``shape``, kept away from 0 and 1 so logs stay finite."""
        tiny = 1e-6
        return tf.random.stateless_uniform(shape, seed=self.next_seed(), minval=tiny,
                                           maxval=1.0 - tiny, dtype=dtype)

    def _select(self, training, sample, deterministic):
        """The sample when training (or inference="sample"), else the deterministic code."""
        if self.inference == "sample":
            return sample
        if training is None or isinstance(training, (bool, int)):
            return sample if training else deterministic
        return tf.where(tf.cast(training, tf.bool), sample, deterministic)

    def _output(self, code, rate):
        if self.rate_weight is None:
            return code, rate
        mean_rate = tf.reduce_mean(rate)
        self.add_loss(self.rate_weight * mean_rate)
        self.rate_tracker.update_state(rate)
        return code

    def get_config(self):
        return {**super().get_config(), "inference": self.inference,
                "rate_weight": self.rate_weight, "seed": self.seed}
