import numpy as np
import pytest

from ibtf._keras import keras
from ibtf.models.ratereduction import CTRL
from ibtf.testing import assert_jit_step_matches_plain, assert_roundtrip

RNG = np.random.default_rng(0)
X = RNG.random((120, 16)).astype(np.float32)
Y = np.arange(120) % 3


def _model():
    model = CTRL(16, 3, latent_dim=6, hidden_units=(16,), seed=0)
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=False)
    return model


def test_codes_lie_on_the_sphere_and_a_step_is_finite(tmp_path):
    model = _model()
    logs = model.fit(X, Y, batch_size=60, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    np.testing.assert_allclose(np.linalg.norm(model.encode(X), axis=-1), 1.0, rtol=1e-5)
    assert_roundtrip(model, tmp_path / "ctrl", lambda m: m(X[:4]))


def test_jit_step_and_plain_step_agree():
    assert_jit_step_matches_plain(_model, lambda m: m.train_on_batch(X[:60], Y[:60]),
                                  variables=lambda m: m._encoder_variables(), rtol=1e-3)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="eps"):
        CTRL(16, 3, eps=0)
    with pytest.raises(ValueError, match="decoder_steps"):
        CTRL(16, 3, decoder_steps=0)
