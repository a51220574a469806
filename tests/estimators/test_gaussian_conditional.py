import numpy as np
import pytest
from scipy.stats import norm

from ibtf._keras import keras, tf
from ibtf.estimators.gaussian_conditional import GaussianConditionalCritic


def _pair(n=5, dx=3, dy=2):
    rng = np.random.default_rng(0)
    return (tf.constant(rng.normal(size=(n, dx)), tf.float32),
            tf.constant(rng.normal(size=(n, dy)), tf.float32))


def test_matrix_is_gaussian_log_density_of_every_pair():
    x, y = _pair()
    critic = GaussianConditionalCritic(hidden_units=[8], seed=1)
    log_q = critic((x, y)).numpy()
    loc, log_var = (t.numpy() for t in critic.conditional_params(x))
    for i in range(5):
        for j in range(5):
            expected = norm.logpdf(y[i].numpy(), loc[j], np.exp(0.5 * log_var[j])).sum()
            assert log_q[i, j] == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_log_variance_is_bounded():
    critic = GaussianConditionalCritic(hidden_units=[4], max_log_var=2.0)
    critic((tf.zeros([2, 1]), tf.zeros([2, 1])))
    _, log_var = critic.conditional_params(tf.constant([[1e4], [-1e4]]))
    assert np.all(np.abs(log_var.numpy()) <= 2.0)


def test_save_and_reload_round_trip(tmp_path):
    x, y = _pair()
    critic = GaussianConditionalCritic(hidden_units=[8, 8], max_log_var=4.0, seed=2)
    expected = critic((x, y)).numpy()
    path = str(tmp_path / "q")
    critic.save(path, save_format="tf", save_traces=False)
    reloaded = keras.models.load_model(path)
    assert type(reloaded) is GaussianConditionalCritic
    assert reloaded.get_config() == critic.get_config()
    np.testing.assert_allclose(reloaded((x, y)), expected, rtol=1e-5)


def test_bad_max_log_var():
    with pytest.raises(ValueError, match="max_log_var"):
        GaussianConditionalCritic(max_log_var=0)
