import math

import numpy as np
import pytest
from sklearn.datasets import load_digits

from ibtf._keras import keras, tf
from ibtf.models import VIBClassifier
from ibtf.testing import assert_same_weights, fixed_noise, keras_roundtrip


def _digits(seed=0):
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    idx = np.random.default_rng(seed).permutation(len(x))
    return x[idx[:1400]], data.target[idx[:1400]], x[idx[1400:]], data.target[idx[1400:]]


def _informative_data(n, seed, num_classes=4, nuisance=8):
    """Two class-informative dimensions (class means on a circle) plus independent nuisance."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, n)
    angle = 2 * np.pi * y / num_classes
    signal = np.stack([np.cos(angle), np.sin(angle)], 1) * 1.5 + 0.5 * rng.normal(size=(n, 2))
    x = np.concatenate([signal, rng.normal(size=(n, nuisance))], 1).astype(np.float32)
    return x, y


def test_digits_accuracy_at_beta_1e_3():
    x, y, x_test, y_test = _digits()
    model = VIBClassifier(num_classes=10, latent_dim=32, beta=1e-3, hidden_units=(256, 256),
                          seed=0)
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(x, y, epochs=40, batch_size=100, verbose=0)
    result = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    assert result["accuracy"] >= 0.96
    assert set(result) == {"loss", "ce_nats", "rate_nats", "accuracy"}


def test_beta_sweep_trades_rate_for_accuracy_and_respects_the_data_processing_bound():
    x, y = _informative_data(3000, seed=1)
    x_test, y_test = _informative_data(2000, seed=2)
    h_y = -np.sum([p * math.log(p) for p in np.bincount(y_test) / len(y_test)])
    results = []
    for beta in (1e-3, 1e-1, 1.0, 10.0):
        model = VIBClassifier(num_classes=4, latent_dim=8, beta=beta, hidden_units=(64,),
                              scale_shift=0.0, seed=3)
        model.compile(keras.optimizers.Adam(3e-3))
        model.fit(x, y, epochs=12, batch_size=100, verbose=0)
        results.append(model.evaluate(x_test, y_test, verbose=0, return_dict=True))
    rates = [r["rate_nats"] for r in results]
    accs = [r["accuracy"] for r in results]
    assert all(a > b for a, b in zip(rates, rates[1:])), rates
    assert all(a >= b - 0.01 for a, b in zip(accs, accs[1:])), accs
    assert accs[0] > 0.85 and accs[-1] < 0.4  # 4 classes: chance is 0.25
    assert rates[-1] < 0.05
    for r in results:
        # I(Z;Y) >= H(Y) - CE (variational bound) and I(Z;Y) <= I(Z;X) <= rate.
        assert h_y - r["ce_nats"] <= r["rate_nats"] + 0.02
        assert h_y - r["ce_nats"] <= math.log(4) + 1e-6


def test_predictions_average_samples_and_do_not_depend_on_the_batch():
    x, y, x_test, _ = _digits()
    model = VIBClassifier(num_classes=10, latent_dim=8, hidden_units=(32,), num_samples=12,
                          scale_shift=0.0, seed=5)
    model.compile()
    model.fit(x[:200], y[:200], epochs=1, verbose=0)
    full = model.predict(x_test, batch_size=397, verbose=0)
    pieces = np.concatenate([model.predict(x_test[i:i + 7], verbose=0)
                             for i in range(0, 35, 7)])
    np.testing.assert_allclose(full[:35], pieces, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(full.sum(-1), 1.0, rtol=1e-5)
    # The same average computed by hand from the posterior.
    features = model.encoder(x_test[:4])
    posterior = model.bottleneck.posterior(features).distribution
    eps = model.bottleneck.standard_normal([12, 1, 8], seed=model._predict_seed())
    manual = tf.reduce_mean(tf.nn.softmax(model.head(posterior.loc + posterior.scale * eps)), 0)
    np.testing.assert_allclose(full[:4], manual.numpy(), rtol=1e-5)
    single = VIBClassifier.from_config({**model.get_config(), "num_samples": 1})
    single.build((None, 64))
    single.set_weights(model.get_weights())
    assert not np.allclose(single.predict(x_test[:4], verbose=0), full[:4], atol=1e-4)


def test_jit_and_plain_train_steps_agree():
    x, y, _, _ = _digits()
    models = []
    for jit in (False, True):
        model = VIBClassifier(num_classes=10, latent_dim=8, hidden_units=(32,), seed=6,
                              scale_shift=0.0)
        model.build((None, 64))
        if models:
            model.set_weights(models[0].get_weights())
        model.compile(keras.optimizers.SGD(0.1), jit_compile=jit)
        models.append(model)
    with fixed_noise():
        logs = [m.train_on_batch(x[:64], y[:64], return_dict=True) for m in models]
    for key in logs[0]:
        np.testing.assert_allclose(logs[0][key], logs[1][key], rtol=1e-5, err_msg=key)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_save_and_reload_round_trip(tmp_path):
    x, y, x_test, _ = _digits()
    encoder = keras.Sequential([keras.layers.Dense(16, activation="tanh")], name="enc")
    model = VIBClassifier(num_classes=10, latent_dim=4, encoder=encoder, prior="mixture",
                          beta=0.01, seed=7)
    model.compile()
    model.fit(x[:200], y[:200], epochs=1, verbose=0)
    restored = keras_roundtrip(model, tmp_path / "vib")
    restored.predict(x_test[:2], verbose=0)
    assert_same_weights(model, restored)
    config, restored_config = model.get_config(), restored.get_config()
    assert config.pop("encoder")["config"]["name"] == restored_config.pop("encoder")["config"][
        "name"]
    assert restored_config == config
    np.testing.assert_allclose(model.predict(x_test, verbose=0),
                               restored.predict(x_test, verbose=0), rtol=1e-6)


def test_bad_input_raises_clear_errors():
    x, y, _, _ = _digits()
    model = VIBClassifier(num_classes=10, latent_dim=4, hidden_units=(8,), seed=0)
    model.compile()
    bad = x[:100].copy()
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match=r"x has non-finite values .* first \[3\]"):
        model.fit(bad, y[:100], verbose=0)
    with pytest.raises(ValueError, match="one-hot"):
        model.fit(x[:100], np.eye(10)[y[:100]], verbose=0)
    with pytest.raises(ValueError, match=r"class ids in \[1, 10\] but num_classes=10"):
        model.fit(x[:100], y[:100] + 1, verbose=0)
    model.fit(x[:100], y[:100], verbose=0)
    with pytest.raises(ValueError, match=r"feature shape \(63,\) but the model was built for"):
        model.predict(x[:5, :63], verbose=0)
    with pytest.raises(ValueError, match="beta"):
        model.beta = -1.0
    with pytest.raises(ValueError, match="beta"):
        VIBClassifier(num_classes=3, beta=float("nan"))
    with pytest.raises(ValueError, match="unknown|not a known prior"):
        VIBClassifier(num_classes=3, prior="uniform")
    with pytest.raises(ValueError, match="CEBClassifier"):
        VIBClassifier(num_classes=3, prior="conditional")
