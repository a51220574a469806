import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm

from ibtf._keras import keras, tf
from ibtf.layers import (ConditionalGaussianPrior, GaussianBottleneck, LearnedGaussianPrior,
                         MixturePrior, StandardNormalPrior, get_prior)


def test_standard_normal_log_density():
    prior = StandardNormalPrior(latent_dim=3)
    z = np.array([[0.1, -2.0, 0.5]], np.float32)
    np.testing.assert_allclose(prior.distribution().log_prob(z).numpy(),
                               norm.logpdf(z).sum(-1), rtol=1e-5)


def test_mixture_log_density_matches_the_formula():
    prior = MixturePrior(num_components=3, latent_dim=2, seed=4)
    dist = prior.distribution()
    z = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    weights = tf.nn.softmax(prior.logits).numpy()
    locs = prior.locs.numpy()
    scales = tf.nn.softplus(prior.raw_scales).numpy() + 1e-5
    per_component = norm.logpdf(z[:, None, :], locs[None], scales[None]).sum(-1)
    expected = logsumexp(per_component + np.log(weights)[None], axis=1)
    np.testing.assert_allclose(dist.log_prob(z).numpy(), expected, rtol=1e-4)


def test_learned_priors_are_trainable_through_the_rate():
    for prior in (LearnedGaussianPrior(), MixturePrior(num_components=2, seed=0)):
        layer = GaussianBottleneck(3, prior=prior, seed=1)
        x = tf.random.stateless_normal([6, 4], seed=[1, 1])
        layer(x)
        with tf.GradientTape() as tape:
            _, rate = layer(x, training=True)
        grads = tape.gradient(rate, prior.trainable_variables)
        assert prior.trainable_variables and all(g is not None for g in grads)


def test_conditional_prior_depends_on_the_context():
    prior = ConditionalGaussianPrior(latent_dim=2)
    context = tf.one_hot([0, 1, 0], 2)
    dist = prior.distribution(context)
    assert dist.batch_shape == [3] and dist.event_shape == [2]
    loc = dist.mean().numpy()
    np.testing.assert_allclose(loc[0], loc[2])
    w, b = prior.params.get_weights()
    np.testing.assert_allclose(loc[1], (w[1] + b)[:2], rtol=1e-6)
    fixed = ConditionalGaussianPrior(latent_dim=2, learn_scale=False)
    np.testing.assert_allclose(fixed.distribution(context).stddev().numpy(), 1.0)


def test_mixture_prior_with_fixed_weights_keeps_them_uniform_and_untrained():
    prior = MixturePrior(num_components=4, latent_dim=2, seed=0, learn_weights=False)
    prior.build()
    assert prior.logits.name not in [w.name for w in prior.trainable_weights]
    assert len(prior.trainable_weights) == 2
    np.testing.assert_allclose(prior.distribution().mixture_distribution.probs_parameter(), 0.25)


def test_prior_configs_round_trip():
    for prior in (StandardNormalPrior(4), LearnedGaussianPrior(4), MixturePrior(3, 4, seed=2),
                  MixturePrior(3, 4, seed=2, learn_weights=False),
                  ConditionalGaussianPrior(4, learn_scale=False, min_scale=1e-3)):
        clone = keras.layers.deserialize(keras.layers.serialize(prior))
        assert type(clone) is type(prior) and clone.get_config() == prior.get_config()


def test_bad_prior_arguments():
    with pytest.raises(ValueError, match="not a known prior"):
        get_prior("laplace")
    with pytest.raises(ValueError, match="latent_dim=3 but the bottleneck has units=4"):
        GaussianBottleneck(4, prior=LearnedGaussianPrior(latent_dim=3))
    with pytest.raises(ValueError, match="num_components"):
        MixturePrior(num_components=0)
    with pytest.raises(ValueError, match="needs latent_dim"):
        LearnedGaussianPrior().distribution()
    with pytest.raises(TypeError, match="prior must be"):
        get_prior(3.0)
