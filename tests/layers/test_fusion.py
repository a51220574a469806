import numpy as np
import pytest
import tensorflow_probability as tfp

from ibtf._keras import keras, tf
from ibtf.layers import MixtureOfExperts, MixtureOfProductsOfExperts, ProductOfExperts
from ibtf.layers.fusion import nonempty_subsets, product_of_experts

tfd = tfp.distributions


def _experts(m=3, b=4, d=2, seed=0):
    rng = np.random.default_rng(seed)
    locs = rng.normal(size=(m, b, d)).astype(np.float32)
    scales = rng.uniform(0.3, 2.0, size=(m, b, d)).astype(np.float32)
    return locs, scales


def test_product_matches_the_gaussian_product_in_numpy_and_drops_missing_experts():
    locs, scales = _experts()
    mask = np.array([[1, 1, 1], [1, 0, 1], [0, 1, 0], [1, 0, 0]], np.float32)
    loc, scale = product_of_experts(tf.constant(locs), tf.constant(scales), mask)
    for i in range(4):
        keep = mask[i] > 0
        precision = 1.0 + (1.0 / scales[keep, i] ** 2).sum(0)
        mean = (locs[keep, i] / scales[keep, i] ** 2).sum(0) / precision
        np.testing.assert_allclose(loc[i], mean, rtol=1e-5)
        np.testing.assert_allclose(scale[i], precision ** -0.5, rtol=1e-5)
    # a missing expert has no influence whatever its parameters
    moved = locs.copy()
    moved[1] += 100.0
    loc2, _ = product_of_experts(tf.constant(moved), tf.constant(scales), mask)
    np.testing.assert_allclose(loc2[1], loc[1])
    assert not np.allclose(loc2[0], loc[0])


def test_product_without_prior_expert_is_the_single_expert():
    locs, scales = _experts(m=2)
    mask = np.array([[1, 0]] * 4, np.float32)
    loc, scale = product_of_experts(tf.constant(locs), tf.constant(scales), mask, False)
    np.testing.assert_allclose(loc, locs[0], rtol=1e-5)
    np.testing.assert_allclose(scale, scales[0], rtol=1e-5)


def test_poe_rate_is_the_analytic_kl():
    locs, scales = _experts()
    mask = np.ones((4, 3), np.float32)
    poe = ProductOfExperts(seed=0)
    _, rate = poe(tf.constant(locs), tf.constant(scales), mask)
    loc, scale = poe.fuse(tf.constant(locs), tf.constant(scales), mask)
    kl = tfd.kl_divergence(tfd.MultivariateNormalDiag(loc, scale),
                           tfd.MultivariateNormalDiag(tf.zeros_like(loc)))
    np.testing.assert_allclose(rate, kl, rtol=1e-5)


def test_mixture_log_prob_and_sampling_follow_the_observed_experts():
    locs, scales = _experts()
    mask = np.array([[1, 1, 1], [1, 0, 1], [0, 1, 0], [1, 0, 0]], np.float32)
    moe = MixtureOfExperts(seed=3)
    z = tf.constant(np.random.default_rng(1).normal(size=(5, 4, 2)), tf.float32)
    got = moe.log_prob(z, tf.constant(locs), tf.constant(scales), mask).numpy()
    for i in range(4):
        keep = np.flatnonzero(mask[i])
        comps = [tfd.MultivariateNormalDiag(locs[m, i], scales[m, i]).log_prob(z[:, i])
                 for m in keep]
        want = tf.reduce_logsumexp(tf.stack(comps), 0) - np.log(len(keep))
        np.testing.assert_allclose(got[:, i], want, rtol=1e-4)
    draws = moe.sample(tf.constant(locs), tf.constant(scales), mask, 4000).numpy()
    # example 2 observes expert 1 only: its draws follow that expert
    np.testing.assert_allclose(draws[:, 2].mean(0), locs[1, 2], atol=0.1)
    np.testing.assert_allclose(draws[:, 2].std(0), scales[1, 2], rtol=0.06)
    # example 1 mixes experts 0 and 2 equally
    np.testing.assert_allclose(draws[:, 1].mean(0), (locs[0, 1] + locs[2, 1]) / 2, atol=0.12)
    strat = moe.stratified_sample(tf.constant(locs), tf.constant(scales), 7)
    assert strat.shape == (7, 3, 4, 2)


def test_laplace_mixture_log_prob_and_draws_follow_laplace_experts():
    locs, scales = _experts()
    mask = np.array([[1, 1, 1], [1, 0, 1], [0, 1, 0], [1, 0, 0]], np.float32)
    moe = MixtureOfExperts(family="laplace", seed=3)
    z = tf.constant(np.random.default_rng(1).normal(size=(5, 4, 2)), tf.float32)
    got = moe.log_prob(z, tf.constant(locs), tf.constant(scales), mask).numpy()
    for i in range(4):
        keep = np.flatnonzero(mask[i])
        comps = [tfd.Independent(tfd.Laplace(locs[m, i], scales[m, i]), 1).log_prob(z[:, i])
                 for m in keep]
        want = tf.reduce_logsumexp(tf.stack(comps), 0) - np.log(len(keep))
        np.testing.assert_allclose(got[:, i], want, rtol=1e-4)
    draws = moe.sample(tf.constant(locs), tf.constant(scales), mask, 20000).numpy()
    # example 2 observes expert 1 only: Laplace(loc, b) has median loc and E|z - loc| = b
    np.testing.assert_allclose(np.median(draws[:, 2], 0), locs[1, 2], atol=0.05)
    np.testing.assert_allclose(np.abs(draws[:, 2] - locs[1, 2]).mean(0), scales[1, 2],
                               rtol=0.04)
    np.testing.assert_allclose(draws[:, 2].std(0), np.sqrt(2) * scales[1, 2], rtol=0.05)
    strat = moe.stratified_sample(tf.constant(locs), tf.constant(scales), 20000).numpy()
    np.testing.assert_allclose(np.abs(strat[:, 0, 0] - locs[0, 0]).mean(0), scales[0, 0],
                               rtol=0.04)
    assert MixtureOfExperts.from_config(moe.get_config()).family == "laplace"
    with pytest.raises(ValueError, match="family="):
        MixtureOfExperts(family="cauchy")


def test_mopoe_weights_use_only_subsets_of_the_observed():
    locs, scales = _experts()
    assert nonempty_subsets(3) == [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)]
    mask = np.array([[1, 1, 1], [1, 0, 1], [0, 1, 0], [1, 0, 0]], np.float32)
    layer = MixtureOfProductsOfExperts(3, seed=0)
    loc, scale, weights = layer.subset_params(tf.constant(locs), tf.constant(scales), mask)
    np.testing.assert_allclose(weights[0], np.full(7, 1 / 7), rtol=1e-6)
    np.testing.assert_allclose(weights[1], [0.5 / 1.5, 0, 0.5 / 1.5, 0, 0.5 / 1.5, 0, 0],
                               rtol=1e-6)
    np.testing.assert_allclose(weights[2], [0, 1, 0, 0, 0, 0, 0])
    full, _ = product_of_experts(tf.constant(locs), tf.constant(scales), np.ones((4, 3)))
    np.testing.assert_allclose(loc[6][0], full[0], rtol=1e-5)  # the full product, row 0


def test_mopoe_prior_expert_only_in_the_full_product():
    locs, scales = _experts(m=2)
    mask = np.array([[1, 1], [1, 0], [0, 1], [1, 1]], np.float32)
    layer = MixtureOfProductsOfExperts(2, prior_expert="full", seed=0)
    loc, scale, _ = layer.subset_params(tf.constant(locs), tf.constant(scales), mask)
    loc, scale = loc.numpy(), scale.numpy()
    # subsets (0,), (1,): the expert alone; (0, 1): precisions 1 + 1/s0^2 + 1/s1^2
    np.testing.assert_allclose(loc[0][[0, 1, 3]], locs[0][[0, 1, 3]], rtol=1e-5)
    np.testing.assert_allclose(scale[1][[0, 2, 3]], scales[1][[0, 2, 3]], rtol=1e-5)
    precision = 1.0 + scales[0] ** -2 + scales[1] ** -2
    np.testing.assert_allclose(scale[2][[0, 3]], precision[[0, 3]] ** -0.5, rtol=1e-5)
    np.testing.assert_allclose(
        loc[2][[0, 3]], ((locs[0] / scales[0] ** 2 + locs[1] / scales[1] ** 2)
                         / precision)[[0, 3]], rtol=1e-5)
    # with the prior in every product, a single expert is shrunk toward 0
    everywhere = MixtureOfProductsOfExperts(2, prior_expert=True, seed=0)
    loc_all = everywhere.subset_params(tf.constant(locs), tf.constant(scales), mask)[0].numpy()
    np.testing.assert_allclose(loc_all[0][[0, 1, 3]], (locs[0] / (1 + scales[0] ** 2))[[0, 1, 3]],
                               rtol=1e-5)
    # example 1 observes modality 0 only: the mixture's mean is its expert's mean
    np.testing.assert_allclose(layer.mean(tf.constant(locs), tf.constant(scales), mask)[1],
                               locs[0, 1], rtol=1e-5)
    with pytest.raises(ValueError, match="prior_expert="):
        MixtureOfProductsOfExperts(2, prior_expert="some")


@pytest.mark.parametrize("layer", [ProductOfExperts(prior_expert=False, seed=4),
                                   MixtureOfExperts(seed=5),
                                   MixtureOfExperts(family="laplace", seed=8),
                                   MixtureOfProductsOfExperts(3, seed=6),
                                   MixtureOfProductsOfExperts(3, prior_expert="full", seed=7)])
def test_fusion_config_round_trip_and_seeded_sampling(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    locs, scales = _experts()
    mask = np.ones((4, 3), np.float32)
    a = layer.sample(tf.constant(locs), tf.constant(scales), mask, 3)
    b = clone.sample(tf.constant(locs), tf.constant(scales), mask, 3)
    np.testing.assert_array_equal(a, b)
    code, rate = layer(tf.constant(locs), tf.constant(scales), mask, training=True)
    assert code.shape == (4, 2) and rate.shape == (4,) and np.isfinite(rate).all()
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_config() == \
        layer.get_config()
