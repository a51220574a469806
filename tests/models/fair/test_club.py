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


@pytest.mark.parametrize("leakage", ["jsd", "ratio", "vclub"])
def test_leakage_terms_are_the_package_estimators_on_the_same_scores(leakage):
    from ibtf.estimators import (classifier_loss, classifier_mi_estimate, jsd_lower_bound,
                                 jsd_objective)
    model = _model(leakage=leakage)
    model.build()                   # untrained weights: any logits will do for the identity
    s, u = tf.constant(DATA.s[:64]), tf.constant(DATA.u[:64])
    logits = model._adversary(model.encode(DATA.x[:64])[0], u)
    # the critic matrix written out by hand: scores[i, j] = f(z_j, s_i) = logits[j, s_i]
    scores = tf.constant(logits.numpy()[:, DATA.s[:64]].T)
    value, penalty = model.leakage_terms(logits, s, u)
    critic = model.critic_loss(logits, s)
    if leakage == "jsd":
        want = (jsd_lower_bound(scores), jsd_lower_bound(scores), -jsd_objective(scores))
    elif leakage == "ratio":
        want = (classifier_mi_estimate(scores), np.log(2.0) - classifier_loss(scores),
                classifier_loss(scores))
    else:
        log_q = tf.constant(tf.nn.log_softmax(logits).numpy()[:, DATA.s[:64]].T)
        want = (vclub_upper_bound(log_q), vclub_upper_bound(log_q),
                tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(s, logits)))
    np.testing.assert_allclose([value, penalty, critic], want, rtol=1e-5, atol=1e-7)


def test_categorical_critic_at_the_true_log_ratio_gives_the_channel_capacity():
    # s ~ Bernoulli(1/2) through a binary symmetric channel with flip rate e: z = s xor flip.
    # The true log density ratio log p(z, s) / (p(z) p(s)) is ln 2(1 - e) where s = z and
    # ln 2e where not, and I(Z; S) = ln 2 - H_b(e) in nats (closed form, Cover & Thomas 7.1.4).
    from ibtf.estimators import classifier_mi_estimate, jsd_lower_bound
    from ibtf.models.fair.club import categorical_critic_scores
    rng, e, n = np.random.default_rng(0), 0.1, 4000
    s = rng.integers(0, 2, n)
    z = s ^ (rng.random(n) < e)
    logits = np.where(np.arange(2)[None, :] == z[:, None], np.log(2 * (1 - e)), np.log(2 * e))
    scores = categorical_critic_scores(tf.constant(logits, tf.float32), tf.constant(s))
    truth = np.log(2.0) + e * np.log(e) + (1 - e) * np.log(1 - e)
    # the plug-in is a mean of n pointwise values (sd ~ 1.1 / sqrt(n) = 0.018 nats)
    np.testing.assert_allclose(classifier_mi_estimate(scores), truth, atol=0.05)
    # NWJ at the critic 1 + log ratio is tight: I_JS at f = log ratio equals the MI
    np.testing.assert_allclose(jsd_lower_bound(scores), truth, atol=0.05)
    # the ratio penalty at the optimal critic: the Jensen-Shannon divergence between the
    # joint (cells (1 - e)/2, e/2) and the product of marginals (1/4 each)
    model = _model(leakage="ratio")
    joint, product = np.array([1 - e, e]) / 2, np.array([0.25, 0.25])
    mixture = (joint + product) / 2
    js = np.sum(joint * np.log(joint / mixture) + product * np.log(product / mixture))
    penalty = model.leakage_terms(tf.constant(logits, tf.float32), tf.constant(s), None)[1]
    # measured penalty - JS (JS = 0.1017 nats): -0.0029 / -0.0021 / +0.0017 for data seeds
    # 0 / 1 / 2 (this test: seed 0; the off-diagonal mean samples the product)
    np.testing.assert_allclose(penalty, js, atol=0.02)


def test_jsd_and_ratio_leakage_train_with_finite_terms_and_reject_conditional():
    for leakage in ("jsd", "ratio"):
        model = _model(leakage=leakage)
        model.compile(keras.optimizers.Adam(1e-3), run_eagerly=True)   # one eager step
        logs = model.fit(DATA.x[:64], {k: v[:64] for k, v in LABELS.items()}, batch_size=64,
                         epochs=1, verbose=0).history
        assert all(np.isfinite(v[-1]) for v in logs.values())
        with pytest.raises(ValueError, match="conditional_leakage"):
            CLUBModel(8, leakage=leakage, conditional_leakage=True)


def test_batch_whiten_gives_identity_covariance_and_ignores_the_scale_of_a_direction():
    from ibtf.models.fair.club import batch_whiten
    rng = np.random.default_rng(0)
    # a code that is almost one-dimensional: variances 1, 1e-2, 1e-4 along rotated axes
    rotation, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    z = (rng.standard_normal((512, 3)) * [1.0, 0.1, 0.01]) @ rotation.T + 2.0
    white = batch_whiten(tf.constant(z, tf.float32)).numpy()
    np.testing.assert_allclose(white.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(np.cov(white.T), np.eye(3), atol=2e-3)
    # shrinking the whole code leaves what the head sees unchanged (up to each axis's sign)
    shrunk = batch_whiten(tf.constant(z * 1e-2, tf.float32)).numpy()
    np.testing.assert_allclose(np.abs(shrunk), np.abs(white), atol=2e-3)


def test_whitened_head_input_is_kept_in_the_config_and_checked():
    model = CLUBModel.from_mode("deterministic_ib", 8, adversary_input="whitened")
    assert CLUBModel.from_config(model.get_config()).adversary_input == "whitened"
    assert CLUBModel.from_mode("deterministic_ib", 8).adversary_input == "raw"
    with pytest.raises(ValueError, match="adversary_input"):
        CLUBModel(8, adversary_input="scaled")


def test_deterministic_ib_releases_its_quantized_code_and_roundtrips(tmp_path):
    model = _model(**{**MODES["deterministic_ib"], "leakage": "vclub"})
    logs = model.fit(DATA.x, LABELS, batch_size=128, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    code, rate = model.encode(DATA.x[:64])
    offset = model.bottleneck.offset().numpy()
    np.testing.assert_allclose(np.round(code.numpy() - offset), code.numpy() - offset,
                               atol=1e-5)                        # on the grid: T = Q(y)
    np.testing.assert_array_equal(model.sample_codes(DATA.x[:64], 1).numpy(), code.numpy())
    assert rate.shape == (64,) and np.all(rate.numpy() >= 0)    # a code length in nats
    assert_roundtrip(model, tmp_path / "dib", lambda m: m.encode(DATA.x[:5])[0])


class _RateRecorder(keras.callbacks.Callback):
    """Records the encoder's and the head's learning rates each batch used."""

    def on_train_begin(self, logs=None):
        self.encoder, self.head = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.encoder.append(float(self.model.optimizer.learning_rate.numpy()))
        self.head.append(float(self.model.adversary_optimizer.learning_rate.numpy()))


def test_encoder_rate_follows_the_cosine_to_zero_while_the_head_keeps_its_rate():
    recorder = _RateRecorder()
    model = _model()                              # the default: encoder_annealing="cosine"
    model.fit(DATA.x, LABELS, batch_size=64, epochs=3, verbose=0, callbacks=[recorder])
    total = 3 * 4                                 # 256 rows / 64 = 4 steps, 3 epochs
    want = [1e-3 * 0.5 * (1 + np.cos(np.pi * t / total)) for t in range(total)]
    np.testing.assert_allclose(recorder.encoder, want, rtol=1e-5, atol=1e-9)
    assert recorder.encoder[-1] < 0.02 * 1e-3     # the last steps barely move the encoder
    np.testing.assert_allclose(recorder.head, 3e-3, rtol=1e-6)
    assert model.optimizer.learning_rate.numpy() == pytest.approx(1e-3)   # restored after fit
    assert model.get_config()["encoder_annealing"] == "cosine"


def test_no_annealing_keeps_the_rate_and_a_schedule_is_refused():
    recorder = _RateRecorder()
    model = _model(encoder_annealing="none")
    model.fit(DATA.x, LABELS, batch_size=64, epochs=2, verbose=0, callbacks=[recorder])
    np.testing.assert_allclose(recorder.encoder, 1e-3, rtol=1e-6)
    model = CLUBModel(8, latent_dim=3, hidden_units=(16, 16), adversary_units=(16,), seed=3)
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(1e-3, 10)),
                  jit_compile=False)
    with pytest.raises(ValueError, match="encoder_annealing='none'"):
        model.fit(DATA.x, LABELS, batch_size=64, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="encoder_annealing"):
        CLUBModel(8, encoder_annealing="linear")
