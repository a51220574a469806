import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.data.planted import planted_sensitive
from ibtf.estimators import vclub_upper_bound
from ibtf.models.fair import MODES, CLUBModel
from ibtf.models.fair.club import categorical_log_likelihoods, conditional_vclub
from ibtf.testing import assert_jit_step_matches_plain, assert_roundtrip

DATA = planted_sensitive(256, seed=0)
LABELS = {"u": DATA.u, "s": DATA.s}


def _model(**kwargs):
    model = CLUBModel(8, latent_dim=3, hidden_units=(16, 16), adversary_units=(16,),
                      adversary_steps=2, seed=3, **kwargs)
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=False)
    return model


def test_categorical_log_likelihood_matrix_indexes_labels_by_row_and_codes_by_column():
    logits = tf.constant([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]])
    labels = tf.constant([1, 0, 1])
    got = categorical_log_likelihoods(logits, labels).numpy()
    log_q = tf.nn.log_softmax(logits).numpy()
    want = np.array([[log_q[j, labels[i]] for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_conditional_vclub_with_one_group_is_vclub():
    scores = tf.random.stateless_normal([6, 6], seed=[1, 2])
    np.testing.assert_allclose(conditional_vclub(scores, tf.zeros([6], tf.int32)),
                               vclub_upper_bound(scores), rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_mode_trains_a_step_with_finite_terms(mode):
    model = CLUBModel.from_mode(mode, 8, latent_dim=3, hidden_units=(16, 16),
                                adversary_units=(16,), seed=1)
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=False)
    logs = model.fit(DATA.x, LABELS, batch_size=128, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())


def test_config_roundtrip_keeps_weights_and_outputs(tmp_path):
    model = _model(conditional_leakage=True)
    model.fit(DATA.x, LABELS, batch_size=128, epochs=1, verbose=0)
    assert_roundtrip(model, tmp_path / "club", lambda m: m.predict_utility(DATA.x[:5]))


def test_jit_step_and_plain_step_agree():
    labels = {k: v[:128] for k, v in LABELS.items()}
    assert_jit_step_matches_plain(
        _model, lambda m: m.fit(DATA.x[:128], labels, batch_size=128, epochs=1, verbose=0,
                                shuffle=False),
        variables=lambda m: m._encoder_variables())


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="leakage"):
        CLUBModel(8, leakage="mine")
    with pytest.raises(ValueError, match="mode"):
        CLUBModel.from_mode("funnel", 8)
    with pytest.raises(ValueError, match="'u'"):
        _model().fit(DATA.x, {"y": DATA.u}, epochs=1, verbose=0)
