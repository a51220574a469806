import numpy as np
import pytest
import tensorflow_probability as tfp

from ibtf._keras import keras
from ibtf.data.planted import planted_sensitive
from ibtf.models.fair import FarconVAE
from ibtf.models.fair.farcon import contrastive_pairs, symmetric_gaussian_kl
from ibtf.testing import assert_jit_step_matches_plain, assert_roundtrip

tfd = tfp.distributions
DATA = planted_sensitive(256, p_sensitive=0.7, seed=0)


def _model():
    model = FarconVAE(8, latent_dim=3, sensitive_dim=2, hidden_units=(16, 16), seed=2)
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=False)
    return model


def test_symmetric_kl_per_dimension_matches_the_closed_form():
    a = tfd.Independent(tfd.Normal([0.0, 1.0], [1.0, 2.0]), 1)
    b = tfd.Independent(tfd.Normal([1.0, 1.0], [1.0, 1.0]), 1)
    # KL(N(m1,s1)||N(m2,s2)) = ln(s2/s1) + (s1^2 + (m1-m2)^2) / (2 s2^2) - 1/2, per coordinate.
    def kl(m1, s1, m2, s2):
        return np.log(s2 / s1) + (s1**2 + (m1 - m2)**2) / (2 * s2**2) - 0.5
    want = (kl(0, 1, 1, 1) + kl(1, 2, 1, 1) + kl(1, 1, 0, 1) + kl(1, 1, 1, 2)) / 4
    assert float(symmetric_gaussian_kl(a, b)) == pytest.approx(want, rel=1e-6)


def test_pairs_share_the_label_and_differ_in_the_sensitive_attribute():
    i, j = contrastive_pairs(DATA.u, DATA.s, seed=0)
    assert np.all(DATA.u[i] == DATA.u[j]) and np.all(DATA.s[i] != DATA.s[j])
    with pytest.raises(ValueError, match="only one sensitive group"):
        contrastive_pairs([0, 0, 1], [0, 1, 1])


def test_trains_with_finite_terms_and_round_trips(tmp_path):
    model = _model()
    logs = model.fit((DATA.x, DATA.s), DATA.u, batch_size=128, epochs=2, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    assert_roundtrip(model, tmp_path / "farcon", lambda m: m((DATA.x[:5], DATA.s[:5])))


def test_jit_step_and_plain_step_agree():
    i, j = contrastive_pairs(DATA.u, DATA.s, seed=0)
    batch = ((DATA.x[i][:64], DATA.s[i][:64], DATA.x[j][:64], DATA.s[j][:64]), DATA.u[i][:64])
    assert_jit_step_matches_plain(_model, lambda m: m.train_on_batch(*batch))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="pair"):
        _model().fit(DATA.x, DATA.u)
    with pytest.raises(ValueError, match="alpha"):
        FarconVAE(8, alpha=-1)
