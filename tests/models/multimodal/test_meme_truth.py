"""MEME against the closed forms of bimodal linear-Gaussian data."""
import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.data import linear_gaussian_bimodal
from ibtf.models.multimodal import MEME, Modality
from ibtf.models.multimodal.meme import _normal_log_prob
from ibtf.models.multimodal.oracle import linear_gaussian_meme


def test_paired_bounds_are_tight_at_the_generating_model():
    # At the exact model, q(z|s) q(t|z) / q(t|s) is the exact p(z|s, t), so each direction's
    # bound L(s, t) equals ln p(s|t). With the analytic KL(q(z|s) || p(z|t)) in place of the
    # w-weighted log ratio (the earlier code) the a|b bound sat ~3 nats below.
    truth = linear_gaussian_bimodal(seed=0)
    test = truth.sample(500, seed=2)
    model = linear_gaussian_meme(truth)
    xs = [tf.constant(test.inputs["a"]), tf.constant(test.inputs["b"])]
    locs, scales = model.experts(xs)
    joint = truth.log_likelihood(test.inputs["a"], test.inputs["b"])
    for s, t in ((0, 1), (1, 0)):
        bound = np.mean([model._direction(s, t, xs, locs, scales)[0].numpy()
                         for _ in range(20)], 0)
        exact = joint - truth.marginal_log_likelihood(test.inputs["ab"[t]], "ab"[t])
        gap = bound - exact
        se = gap.std() / np.sqrt(len(gap))
        assert abs(gap.mean()) < 2 * se + 0.02, (s, gap.mean(), se)


def test_closed_form_information_matches_monte_carlo():
    truth = linear_gaussian_bimodal(seed=0)
    data = truth.sample(100000, seed=5)
    xa, xb = data.inputs["a"], data.inputs["b"]
    pointwise = (truth.log_likelihood(xa, xb) - truth.marginal_log_likelihood(xa, "a")
                 - truth.marginal_log_likelihood(xb, "b"))
    assert abs(pointwise.mean() - truth.mutual_information()) < 4 * pointwise.std() / 316
    with pytest.raises(ValueError, match="modality"):
        truth.marginal_log_likelihood(xa, "c")


@pytest.mark.slow
def test_trained_meme_matches_the_closed_forms():
    truth = linear_gaussian_bimodal(seed=0)
    train, test = truth.sample(4000, seed=1), truth.sample(500, seed=2)
    keras.utils.set_random_seed(0)
    mods = [Modality((4,), name="a", hidden_units=(), learn_scale=True),
            Modality((3,), name="b", hidden_units=(), learn_scale=True)]
    model = MEME(mods, latent_dim=2, seed=0)
    model.compile(keras.optimizers.Adam(1e-2))
    for rate in (1e-2, 3e-3, 1e-3):
        model.optimizer.learning_rate.assign(rate)
        model.fit(train.as_dict(), epochs=200, batch_size=250, verbose=0)
    n = len(test)
    joint = model.log_likelihood(test.as_dict(), num_samples=1000)
    marg = [model.log_likelihood({k: test.inputs[k]}, num_samples=1000) for k in "ab"]
    # mutual information I(x_a; x_b) within 2 standard errors of the closed form
    mi = joint - marg[0] - marg[1]
    assert abs(mi.mean() - truth.mutual_information()) < 2 * mi.std() / np.sqrt(n), mi.mean()
    # the posterior: I(x_m; z) = E KL(q(z|x_m) || p(z)) (invariant to reparameterising z)
    locs, scales = model.experts([tf.constant(test.inputs[k]) for k in "ab"])
    for i, name in enumerate("ab"):
        z = locs[i] + scales[i] * tf.random.stateless_normal([200, *locs[i].shape], [i, 1])
        rate = (_normal_log_prob(z, locs[i], scales[i]) - model.prior_log_prob(z)).numpy()
        rate = rate.mean(0)
        exact = truth.latent_information(name)
        assert abs(rate.mean() - exact) < 2 * rate.std() / np.sqrt(n) + 0.05, (name, rate.mean(),
                                                                              exact)
