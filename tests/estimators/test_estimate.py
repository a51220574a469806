"""Properties of trained estimates on correlated Gaussians with known MI (closed form in-test).

The default-suite versions use small d and few steps where the property already holds; the
`slow` versions run the issue's setting (d = 20, batch 64).
"""
import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.estimators import (
    METHODS,
    ConcatCritic,
    MIEstimate,
    SeparableCritic,
    estimate_mi,
    make_objective,
)
from ibtf.estimators.estimate import make_train_step


def test_smile_within_15_percent_of_truth(gaussian):
    mi, d = 4.0, 5
    x, y = gaussian.sample(mi, d, 64 * 1500 + 2000, 0)
    result = estimate_mi(x, y, method="smile", clip=5.0, steps=1500, batch_size=64, seed=0)
    assert isinstance(result, MIEstimate)
    assert result.history.shape == (1500,)
    assert abs(result.mi_nats - mi) <= 0.15 * mi


def test_infonce_saturates_at_log_batch(gaussian):
    # I = 6 nats >> ln 16: a trained InfoNCE critic gets close to ln 16 but never above it.
    x, y = gaussian.sample(6.0, 5, 16 * 400 + 200, 2)
    result = estimate_mi(x, y, method="infonce", steps=400, batch_size=16, seed=0)
    assert np.all(result.history <= np.log(16) + 1e-5)
    assert 0.85 * np.log(16) < result.mi_nats <= np.log(16)


def test_invariant_under_invertible_map_of_y(gaussian):
    # I(X; Y) = I(X; Y^3): both estimates near the truth and near each other.
    mi = 1.5
    x, y = gaussian.sample(mi, 2, 64 * 800 + 2000, 3)
    plain = estimate_mi(x, y, method="smile", steps=800, seed=0).mi_nats
    cubed = estimate_mi(x, y ** 3, method="smile", steps=800, seed=0).mi_nats
    assert abs(plain - mi) <= 0.1 * mi
    assert abs(cubed - mi) <= 0.1 * mi
    assert abs(plain - cubed) <= 0.1 * mi


def test_copula_makes_cube_invariance_exact(gaussian):
    x, y = gaussian.sample(1.0, 2, 2000, 9)
    plain = estimate_mi(x, y, steps=40, eval_batches=2, copula=True, seed=0)
    cubed = estimate_mi(x, y ** 3, steps=40, eval_batches=2, copula=True, seed=0)
    np.testing.assert_array_equal(plain.history, cubed.history)
    with pytest.raises(ValueError, match="copula=True needs"):
        estimate_mi(tf.data.Dataset.from_tensor_slices((x, y)), copula=True)


@pytest.mark.parametrize("method", ["smile", "ratio"])
def test_independent_variables_give_about_zero(method):
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(20000, 5)), rng.normal(size=(20000, 5))
    assert abs(estimate_mi(x, y, method=method, steps=300, seed=0).mi_nats) < 0.05


def test_vclub_bounds_truth_from_above(gaussian):
    # A well-fitted q(y|x) gives vCLUB ~ d rho^2 / (1 - rho^2) >= I.
    mi, d = 1.0, 2
    rho = gaussian.rho(mi, d)
    x, y = gaussian.sample(mi, d, 64 * 600 + 2000, 5)
    result = estimate_mi(x, y, method="vclub", steps=600, seed=0)
    assert result.mi_nats >= mi
    vclub_limit = d * rho ** 2 / (1 - rho ** 2)
    assert abs(result.mi_nats - vclub_limit) <= 0.15 * vclub_limit


def test_tf_data_input_same_as_arrays_order(gaussian):
    # A dataset of examples and one of batches give the same steps, hence the same history.
    x, y = gaussian.sample(1.0, 2, 640, 6)
    single = tf.data.Dataset.from_tensor_slices((x, y))
    a = estimate_mi(single, method="nwj", steps=30, batch_size=32, eval_batches=2, seed=1)
    b = estimate_mi(single.batch(50), method="nwj", steps=30, batch_size=32, eval_batches=2,
                    seed=1)
    np.testing.assert_array_equal(a.history, b.history)
    assert np.isfinite(a.mi_nats)


def test_tf_data_generator_of_fresh_samples(gaussian):
    mi, d = 1.0, 2
    rho = gaussian.rho(mi, d)

    def fresh(seed):
        x = tf.random.stateless_normal([64, d], seed=tf.stack([seed, 0]))
        eps = tf.random.stateless_normal([64, d], seed=tf.stack([seed, 1]))
        return x, rho * x + np.sqrt(1 - rho ** 2) * eps

    dataset = tf.data.Dataset.range(10 ** 6).map(fresh)
    result = estimate_mi(dataset, method="smile", steps=800, seed=0)
    assert abs(result.mi_nats - mi) <= 0.1 * mi


def test_same_seed_same_history_and_concat_critic(gaussian):
    x, y = gaussian.sample(1.0, 2, 1000, 7)
    a = estimate_mi(x, y, method="mine", steps=20, batch_size=16, critic="concat", seed=3)
    b = estimate_mi(x, y, method="mine", steps=20, batch_size=16, critic="concat", seed=3)
    assert isinstance(a.critic, ConcatCritic)
    np.testing.assert_array_equal(a.history, b.history)
    assert a.mi_nats == b.mi_nats


def test_jit_and_plain_steps_agree(gaussian):
    x, y = gaussian.sample(2.0, 3, 64, 8)
    results = []
    for jit in (False, True):
        critic = SeparableCritic(hidden_units=[32, 32], embed_dim=8, seed=0)
        step = make_train_step(critic, make_objective("smile"),
                               keras.optimizers.Adam(1e-3, jit_compile=False), jit)
        estimates = [float(step(tf.constant(x), tf.constant(y))) for _ in range(3)]
        results.append((estimates, [w.numpy() for w in critic.weights]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4, atol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"method": "kraskov"}, ValueError, "method must be one of"),
    ({"steps": 0}, ValueError, "steps"),
    ({"batch_size": 1}, ValueError, "batch_size"),
    ({"batch_size": 500}, ValueError, "batch_size=500 exceeds"),
    ({"seed": -1}, ValueError, "seed"),
    ({"learning_rate": 0}, ValueError, "learning_rate"),
    ({"critic": "mlp"}, ValueError, "critic must be"),
    ({"critic": "gaussian"}, ValueError, "does not fit this method"),
    ({"y": None}, TypeError, "y is missing"),
])
def test_bad_arguments(kwargs, error, match):
    rng = np.random.default_rng(0)
    args = {"x": rng.normal(size=(100, 2)), "y": rng.normal(size=(100, 2)), "steps": 1}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        estimate_mi(**args)


def test_dataset_with_y_raises():
    dataset = tf.data.Dataset.from_tensor_slices((np.zeros((4, 1)), np.zeros((4, 1))))
    with pytest.raises(TypeError, match="y must be None"):
        estimate_mi(dataset, np.zeros((4, 1)))


# ---- the setting: d = 20, batch 64 (minutes; `tox -e slow`) ----

@pytest.mark.slow
@pytest.mark.parametrize("mi", [2.0, 4.0, 6.0])
def test_smile_within_15_percent_d20(gaussian, mi):
    x, y = gaussian.sample(mi, 20, 64 * 5000 + 2000, 10)
    result = estimate_mi(x, y, method="smile", clip=5.0, steps=5000, batch_size=64, seed=0)
    assert abs(result.mi_nats - mi) <= 0.15 * mi


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "known limitation, measured 2026-11-22: at d = 20 the default separable ReLU critic "
    "learns y^3 (heavy-tailed inputs) far more slowly than y: I = 4 gives 3.75 on y vs 2.75 on "
    "y^3 after 5000 steps (3.13 after 10000); I = 2 gives 1.22 on y^3 after 5000. Strict: "
    "remove this marker once the critic closes the gap; copula=True removes it exactly."))
def test_invariant_under_cube_d20(gaussian):
    mi = 4.0
    x, y = gaussian.sample(mi, 20, 64 * 5000 + 2000, 11)
    plain = estimate_mi(x, y, method="smile", steps=5000, seed=0).mi_nats
    cubed = estimate_mi(x, y ** 3, method="smile", steps=5000, seed=0).mi_nats
    assert abs(plain - cubed) <= 0.15 * mi
    assert abs(cubed - mi) <= 0.15 * mi


@pytest.mark.slow
def test_copula_smile_on_cube_d20_within_15_percent(gaussian):
    mi = 4.0
    x, y = gaussian.sample(mi, 20, 64 * 5000 + 2000, 11)
    cubed = estimate_mi(x, y ** 3, method="smile", steps=5000, copula=True, seed=0).mi_nats
    assert abs(cubed - mi) <= 0.15 * mi


@pytest.mark.slow
@pytest.mark.parametrize("method", [m for m in METHODS if m != "vclub"])
def test_independent_d20_about_zero(method):
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(64 * 2000, 20)), rng.normal(size=(64 * 2000, 20))
    assert abs(estimate_mi(x, y, method=method, steps=2000, seed=0).mi_nats) < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("mi", [2.0, 6.0, 10.0])
def test_infonce_below_log_batch_d20(gaussian, mi):
    x, y = gaussian.sample(mi, 20, 64 * 3000 + 2000, 13)
    result = estimate_mi(x, y, method="infonce", steps=3000, batch_size=64, seed=0)
    assert np.all(result.history <= np.log(64) + 1e-5)
    assert result.mi_nats <= min(mi, np.log(64)) + 0.05
