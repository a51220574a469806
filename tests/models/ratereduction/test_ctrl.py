import numpy as np
import pytest

from ibtf._keras import keras
from ibtf.models.ratereduction import CTRL
from ibtf.testing import assert_same_weights, keras_roundtrip

RNG = np.random.default_rng(0)
X = RNG.random((120, 16)).astype(np.float32)
Y = np.arange(120) % 3


def _model(jit=False, optimizer=None):
    model = CTRL(16, 3, latent_dim=6, hidden_units=(16,), seed=0)
    model.compile(optimizer or keras.optimizers.Adam(1e-3), jit_compile=jit)
    return model


def test_codes_lie_on_the_sphere_and_a_step_is_finite(tmp_path):
    model = _model()
    logs = model.fit(X, Y, batch_size=60, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    np.testing.assert_allclose(np.linalg.norm(model.encode(X), axis=-1), 1.0, rtol=1e-5)
    loaded = keras_roundtrip(model, tmp_path / "ctrl")
    assert loaded.get_config() == model.get_config()
    assert_same_weights(model, loaded)
    np.testing.assert_allclose(loaded(X[:4]), model(X[:4]), rtol=1e-6)


def test_jit_step_and_plain_step_agree():
    weights = []
    for jit in (False, True):
        keras.backend.clear_session()
        model = _model(jit, keras.optimizers.SGD(0.1))   # Adam's first step is sign(g)
        model.build()
        model.train_on_batch(X[:60], Y[:60])
        weights.append([w.numpy() for w in model._encoder_variables()])
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="eps"):
        CTRL(16, 3, eps=0)
    with pytest.raises(ValueError, match="decoder_steps"):
        CTRL(16, 3, decoder_steps=0)
