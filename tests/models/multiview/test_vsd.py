import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.data.planted import two_views
from ibtf.models.multiview import MultiViewVSD, distillation_kl
from ibtf.testing import assert_jit_step_matches_plain, assert_roundtrip

DATA = two_views(256, seed=0)


def _model():
    model = MultiViewVSD((8, 8), 4, latent_dim=3, hidden_units=(16, 16), seed=1)
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=False)
    return model


def test_distillation_kl_equals_the_closed_form_kl():
    teacher = np.array([[2.0, 0.0, -1.0], [0.1, 0.2, 0.3]])
    student = np.array([[0.0, 1.0, 0.0], [1.0, -2.0, 0.5]])
    p = np.exp(teacher) / np.exp(teacher).sum(-1, keepdims=True)
    q = np.exp(student) / np.exp(student).sum(-1, keepdims=True)
    want = (p * np.log(p / q)).sum(-1)
    np.testing.assert_allclose(distillation_kl(teacher, student), want, rtol=1e-6)
    # The reference code's "KL" feeds probabilities where log-probabilities belong:
    # sum p (log p - q). It is not the KL (and is not even zero when p = q).
    reference_bug = (p * (np.log(p) - q)).sum(-1)
    assert not np.allclose(reference_bug, want, rtol=1e-2)
    np.testing.assert_allclose(distillation_kl(teacher, teacher), 0.0, atol=1e-6)
    assert np.all(np.abs((p * (np.log(p) - p)).sum(-1)) > 0.1)


def test_trains_with_finite_terms_and_round_trips(tmp_path):
    model = _model()
    logs = model.fit((DATA.view1, DATA.view2), DATA.y, batch_size=128, epochs=1,
                     verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    assert_roundtrip(model, tmp_path / "vsd", lambda m: m((DATA.view1[:5], DATA.view2[:5])))


def test_jit_step_and_plain_step_agree():
    views = (tf.constant(DATA.view1[:64]), tf.constant(DATA.view2[:64]))
    assert_jit_step_matches_plain(_model, lambda m: m.train_on_batch(views, DATA.y[:64]))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="view_dims"):
        MultiViewVSD((8,), 4)
    with pytest.raises(ValueError, match="pair"):
        _model().fit(DATA.view1, DATA.y)
