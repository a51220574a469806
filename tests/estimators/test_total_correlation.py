import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.estimators.total_correlation import (
    PermutationDiscriminator,
    TCEstimate,
    estimate_total_correlation,
    permute_dims,
)


def _correlated_gaussian(d, n, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d))
    cov = a @ a.T + 0.1 * d * np.eye(d)
    scale = np.sqrt(np.diag(cov))
    corr = cov / np.outer(scale, scale)
    z = rng.multivariate_normal(np.zeros(d), corr, size=n).astype(np.float32)
    return z, -0.5 * np.linalg.slogdet(corr)[1]    # TC of a Gaussian: -1/2 ln det R


def test_permute_dims_permutes_each_column_independently():
    z = tf.constant(np.arange(40, dtype=np.float32).reshape(10, 4))
    permuted = permute_dims(z, tf.constant([1, 2])).numpy()
    for k in range(4):
        np.testing.assert_array_equal(np.sort(permuted[:, k]), z.numpy()[:, k])
    # Different columns get different permutations (rows are broken apart).
    orders = {tuple(np.argsort(permuted[:, k])) for k in range(4)}
    assert len(orders) > 1
    np.testing.assert_array_equal(permute_dims(z, tf.constant([1, 2])), permuted)


def test_permute_dims_removes_correlation():
    z, _ = _correlated_gaussian(3, 4000, 0)
    permuted = permute_dims(z, tf.constant([0, 0])).numpy()
    off = ~np.eye(3, dtype=bool)
    assert np.max(np.abs(np.corrcoef(z.T)[off])) > 0.3
    assert np.max(np.abs(np.corrcoef(permuted.T)[off])) < 0.05


def test_gaussian_total_correlation_matches_log_det():
    z, truth = _correlated_gaussian(5, 64 * 1000, 1)
    result = estimate_total_correlation(z, steps=1000, batch_size=128, seed=0)
    assert isinstance(result, TCEstimate) and result.history.shape == (1000,)
    assert truth > 0.3
    assert abs(result.tc_nats - truth) <= 0.15 * truth


def test_independent_dimensions_give_about_zero():
    z = np.random.default_rng(2).normal(size=(20000, 4))
    assert abs(estimate_total_correlation(z, steps=300, seed=0).tc_nats) < 0.05


def test_dataset_input():
    z, _ = _correlated_gaussian(3, 512, 3)
    result = estimate_total_correlation(tf.data.Dataset.from_tensor_slices(z).batch(100),
                                        steps=5, batch_size=64, eval_batches=1)
    assert np.isfinite(result.tc_nats)


def test_discriminator_round_trip(tmp_path):
    model = PermutationDiscriminator(hidden_units=[8], seed=4)
    z = tf.random.normal([5, 3], seed=0)
    expected = model(z).numpy()
    model.save(str(tmp_path / "d"), save_format="tf", save_traces=False)
    reloaded = keras.models.load_model(str(tmp_path / "d"))
    assert type(reloaded) is PermutationDiscriminator
    np.testing.assert_allclose(reloaded(z), expected, rtol=1e-6)


@pytest.mark.parametrize("z, kwargs, error, match", [
    (np.zeros((100, 1)), {}, ValueError, "at least 2 dimensions"),
    (np.zeros((100, 2)), {"steps": 0}, ValueError, "steps"),
    (np.zeros((100, 2)), {"batch_size": 1}, ValueError, "batch_size"),
    (np.zeros((10, 2)), {"batch_size": 64}, ValueError, "exceeds"),
    (np.full((10, 2), np.inf), {}, ValueError, "NaN or infinite"),
])
def test_bad_arguments(z, kwargs, error, match):
    with pytest.raises(error, match=match):
        estimate_total_correlation(z, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("d, seed", [(4, 10), (8, 11)])
def test_gaussian_total_correlation_slow(d, seed):
    z, truth = _correlated_gaussian(d, 128 * 3000, seed)
    result = estimate_total_correlation(z, steps=3000, batch_size=128, seed=0)
    assert abs(result.tc_nats - truth) <= 0.1 * truth
