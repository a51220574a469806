"""Test helpers for ibtf and for users' own layers: Keras round trips, weight comparison."""
import contextlib
from unittest import mock

import numpy as np

from ibtf._keras import keras, tf

__all__ = ["keras_roundtrip", "assert_same_weights", "fixed_noise", "assert_roundtrip",
           "assert_jit_step_matches_plain", "sigkill_after_first_checkpoint"]


def _pattern(shape, dtype):
    """A deterministic, noise-like pattern in (0, 1): frac(sin(i) * 43758.5453)."""
    index = tf.cast(tf.range(tf.reduce_prod(shape)), tf.float32)
    values = tf.math.floormod(tf.sin(index * 12.9898 + 78.233) * 43758.5453, 1.0)
    return tf.cast(tf.reshape(0.05 + 0.9 * values, shape), dtype)


@contextlib.contextmanager
def fixed_noise():
    """Replaces every bottleneck's (and codec's) noise with a fixed pattern.

    XLA has its own random-number kernels, so a jit-compiled step and a plain step draw
    different noise from the same seed. Inside this context both see the same pattern, and a
    test can check that the compiled computation agrees with the plain one.
    """
    from ibtf.layers.base import Bottleneck

    def uniform(self, shape, dtype=tf.float32):
        return _pattern(shape, dtype)

    def standard_normal(self, shape, dtype=tf.float32, seed=None):
        u = _pattern(shape, tf.float32)
        return tf.cast(tf.sqrt(2.0) * tf.math.erfinv(2.0 * u - 1.0), dtype)

    from ibtf.models.codecs.base import CodecModel

    with mock.patch.object(Bottleneck, "uniform", uniform), \
            mock.patch.object(Bottleneck, "standard_normal", standard_normal), \
            mock.patch.object(CodecModel, "uniform", uniform):
        yield


def keras_roundtrip(model, path):
    """Saves ``model`` as a SavedModel with ``save_traces=False`` (config + weights only) and
    reloads it: this works only when every layer's ``get_config`` is complete."""
    model.save(str(path), save_format="tf", save_traces=False)
    return keras.models.load_model(str(path))


def assert_same_weights(a, b):
    """Asserts two models hold the same weights, matched by name."""
    wa = {w.name: w.numpy() for w in a.weights}
    wb = {w.name: w.numpy() for w in b.weights}
    assert sorted(wa) == sorted(wb), (sorted(wa), sorted(wb))
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)


def assert_roundtrip(model, path, outputs, *, rtol=1e-6):
    """`keras_roundtrip`, then asserts the reloaded model has the same config, the same weights
    and the same ``outputs(model)`` (a function of the model: a call, a prediction)."""
    loaded = keras_roundtrip(model, path)
    assert loaded.get_config() == model.get_config()
    assert_same_weights(model, loaded)
    np.testing.assert_allclose(outputs(loaded), outputs(model), rtol=rtol)
    return loaded


def assert_jit_step_matches_plain(make_model, step, *, variables=None, rtol=1e-4, atol=1e-5):
    """One training step compiled with XLA and one without give the same weights.

    Each run builds a fresh ``make_model()``, compiles it with SGD(0.1) (Adam's first step is
    sign(g), which hides differences) and runs ``step(model)`` inside `fixed_noise`.
    ``variables(model)`` picks the weights compared (default: the trainable weights).
    """
    weights = []
    for jit in (False, True):
        keras.backend.clear_session()
        model = make_model()
        model.build()
        model.compile(keras.optimizers.SGD(0.1), jit_compile=jit)
        with fixed_noise():
            step(model)
        chosen = variables(model) if variables else model.trainable_weights
        weights.append([w.numpy() for w in chosen])
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def sigkill_after_first_checkpoint(proc, checkpoint_dir, *, max_delay=1.0, timeout=900):
    """Kills a training subprocess with SIGKILL at a random moment after its first checkpoint.

    Waits (the process still running) until a file named ``checkpoint`` exists anywhere under
    ``checkpoint_dir``, sleeps a random 0..``max_delay`` seconds (seeded by the test's process
    id), checks the run has not finished, kills it and checks it died of the signal.
    """
    import os
    import random
    import signal
    import time

    deadline = time.time() + timeout
    while not [f for _, _, files in os.walk(checkpoint_dir) for f in files
               if f == "checkpoint"]:
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.time() < deadline, f"no checkpoint under {checkpoint_dir} in {timeout} s"
        time.sleep(0.1)
    time.sleep(random.Random(os.getpid()).uniform(0.0, max_delay))   # a random moment
    assert proc.poll() is None, "the run finished before the kill: give it more epochs"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
