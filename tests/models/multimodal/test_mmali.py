"""MMALI on a two-modality mixture with a known shared class; export."""
import numpy as np
import pytest

from ibtf._keras import keras
from ibtf.data import shared_private_synthetic
from ibtf.metrics import cross_coherence, unimodal_classifier
from ibtf.models.multimodal import MMALI, Modality
from ibtf.serving import export
from ibtf.testing import assert_same_weights, keras_roundtrip


def _model(latent_dim=4, units=(64, 64)):
    mods = [Modality((20,), name="m0", hidden_units=units, seed=0, learn_scale=True),
            Modality((30,), name="m1", hidden_units=units, seed=1, learn_scale=True)]
    return MMALI(mods, latent_dim=latent_dim, critic_units=units, seed=0)


def test_cross_generation_keeps_the_class_and_joint_samples_cover_every_class():
    # the class c is the only content shared by the two modalities (private styles differ)
    data = shared_private_synthetic(n=2000, num_classes=5, seed=0)
    order = np.random.default_rng(0).permutation(len(data))
    train, test = data.take(order[:1500]), data.take(order[1500:])
    keras.utils.set_random_seed(0)
    model = _model()
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(train.as_dict(), epochs=20, batch_size=64, verbose=0)
    judges = {n: unimodal_classifier(train.inputs[n], train.labels) for n in ("m0", "m1")}
    for n in ("m0", "m1"):
        assert np.mean(judges[n](test.inputs[n]) == test.labels) > 0.98
    for source, target in (("m0", "m1"), ("m1", "m0")):
        kept = cross_coherence(model, {source: test.inputs[source]}, test.labels, target,
                               judges[target])
        assert kept >= 0.9, (source, target, kept)        # chance: 0.2
    samples = model.sample(1000)
    freq = np.bincount(judges["m0"](samples["m0"]), minlength=5) / 1000
    assert freq.min() > 0.05, freq                          # every class appears


def test_round_trip_export_and_no_likelihood(tmp_path):
    data = shared_private_synthetic(n=128, seed=1)
    model = _model(latent_dim=3, units=(16,))
    model.compile(keras.optimizers.Adam(1e-3))
    history = model.fit(data.as_dict(), epochs=2, batch_size=32, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    restored = keras_roundtrip(model, tmp_path / "keras")
    restored.encode(data.as_dict())
    assert_same_weights(model, restored)
    assert restored.get_config() == model.get_config()
    np.testing.assert_allclose(restored.generate({"m0": data.inputs["m0"]}, "m1"),
                               model.generate({"m0": data.inputs["m0"]}, "m1"), rtol=1e-5)
    path = export(model, str(tmp_path), "mmali")
    import tensorflow as tf
    loaded = tf.saved_model.load(path)
    assert sorted(loaded.signatures) == ["generate_m0_from_m1", "generate_m1_from_m0",
                                         "sample_joint", "serving_default"]
    got = loaded.signatures["generate_m1_from_m0"](m0=tf.constant(data.inputs["m0"][:4]))
    np.testing.assert_allclose(got["m1"], model.generate({"m0": data.inputs["m0"][:4]}, "m1"),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError, match="implicit"):
        model.log_likelihood(data.as_dict())


def test_weighted_losses_equal_the_package_losses_when_every_row_counts():
    import tensorflow as tf

    from ibtf.estimators.infonce import infonce_lower_bound
    from ibtf.losses.perception import hinge_critic_loss
    model = _model(latent_dim=3, units=(8,))
    model.build()
    rng = np.random.default_rng(0)
    real = [tf.constant(rng.normal(size=(6, d + 3)), tf.float32) for d in (20, 30)]
    fake = [tf.constant(rng.normal(size=(6, d + 3)), tf.float32) for d in (20, 30)]
    ones = [tf.ones([6])] * 2
    want = sum(float(hinge_critic_loss(model.critics[m], real[m], fake[m])) for m in range(2))
    np.testing.assert_allclose(float(model._critic_loss(real, ones, fake)), want, rtol=1e-5)
    mu_a, mu_b = (tf.constant(rng.normal(size=(6, 3)), tf.float32) for _ in range(2))
    scores = -tf.reduce_sum(tf.square(mu_b[:, None, :] - mu_a[None, :, :]), -1)
    np.testing.assert_allclose(float(model._paired_infonce(mu_a, mu_b, tf.ones([6]))),
                               float(infonce_lower_bound(scores)), rtol=1e-5)
    # rows with weight 0 drop out exactly: the paired subset alone gives the same bound
    half = tf.constant([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    sub = float(infonce_lower_bound(scores[:3, :3]))
    np.testing.assert_allclose(float(model._paired_infonce(mu_a, mu_b, half)), sub, rtol=1e-5)


@pytest.mark.slow
def test_jit_and_plain_steps_agree():
    from ibtf.testing import fixed_noise
    data = shared_private_synthetic(n=32, seed=2).as_dict()
    data["mask"][:8, 1] = 0.0
    models = []
    for jit in (False, True):
        model = _model(latent_dim=3, units=(16,))
        model.build()
        if models:
            model.set_weights(models[0].get_weights())
        model.compile(keras.optimizers.SGD(0.05), jit_compile=jit)
        models.append(model)
    with fixed_noise():
        logs = [m.train_on_batch(data, return_dict=True) for m in models]
    for name in logs[0]:
        np.testing.assert_allclose(logs[0][name], logs[1][name], rtol=2e-4, err_msg=name)
