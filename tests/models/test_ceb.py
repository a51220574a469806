import numpy as np

from ibtf._keras import keras
from ibtf.models import CEBClassifier
from ibtf.testing import assert_same_weights, keras_roundtrip

from sklearn.datasets import load_digits


def _digits():
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    idx = np.random.default_rng(0).permutation(len(x))
    return x[idx[:1400]], data.target[idx[:1400]], x[idx[1400:]], data.target[idx[1400:]]


def test_ceb_learns_digits_and_beta_squeezes_the_residual_information():
    x, y, x_test, y_test = _digits()
    results = {}
    for beta in (1e-3, 1.0):
        model = CEBClassifier(num_classes=10, latent_dim=16, beta=beta, hidden_units=(128,),
                              seed=1)
        model.compile(keras.optimizers.Adam(2e-3))
        model.fit(x, y, epochs=30, batch_size=100, verbose=0)
        results[beta] = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    assert set(results[1.0]) == {"loss", "ce_nats", "residual_nats", "accuracy"}
    assert results[1e-3]["accuracy"] >= 0.95 and results[1.0]["accuracy"] >= 0.9
    assert 0 <= results[1.0]["residual_nats"] < 0.5 * results[1e-3]["residual_nats"]


def test_ceb_round_trip_and_prediction_without_labels(tmp_path):
    x, y, x_test, _ = _digits()
    model = CEBClassifier(num_classes=10, latent_dim=4, hidden_units=(16,), seed=2,
                          backward_learn_scale=False)
    model.compile()
    model.fit(x[:300], y[:300], epochs=1, verbose=0)
    probs = model.predict(x_test, verbose=0)
    assert probs.shape == (len(x_test), 10)
    restored = keras_roundtrip(model, tmp_path / "ceb")
    restored.predict(x_test[:1], verbose=0)
    assert_same_weights(model, restored)
    np.testing.assert_allclose(restored.predict(x_test, verbose=0), probs, rtol=1e-6)
