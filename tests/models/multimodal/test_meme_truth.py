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


@pytest.fixture(scope="module")
def trained():
    """MEME trained on 4000 pairs (affine experts and decoders, learned likelihood scales,
    d = 2), Adam at 1e-2, 3e-3, 1e-3 for 200 epochs each (~3 min on 2 shared CPU cores)."""
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
    return truth, test, model


def _within_two_se(values, exact, slack=0.0):
    se = values.std() / np.sqrt(len(values))
    return abs(values.mean() - exact) < 2 * se + slack, (values.mean(), exact, se)


@pytest.mark.slow
def test_trained_meme_matches_mutual_information_and_marginals(trained):
    truth, test, model = trained
    joint = model.log_likelihood(test.as_dict(), num_samples=1000)
    marg = [model.log_likelihood({k: test.inputs[k]}, num_samples=1000) for k in "ab"]
    for values, key in zip(marg, "ab"):
        ok, info = _within_two_se(values - truth.marginal_log_likelihood(test.inputs[key], key),
                                  0.0)
        assert ok, (key, info)
    # I(x_a; x_b) = E ln p(a, b) / (p(a) p(b)) from the model's own estimates
    ok, info = _within_two_se(joint - marg[0] - marg[1], truth.mutual_information())
    assert ok, info


def _latent_information(model, test, index):
    locs, scales = model.experts([tf.constant(test.inputs[k]) for k in "ab"])
    z = locs[index] + scales[index] * tf.random.stateless_normal(
        [200, *locs[index].shape], [index, 1])
    rate = _normal_log_prob(z, locs[index], scales[index]) - model.prior_log_prob(z)
    return rate.numpy().mean(0)


@pytest.mark.slow
def test_trained_meme_posterior_of_a_carries_the_exact_information(trained):
    # I(x_a; z) = E KL(q(z|x_a) || p(z)), invariant to reparameterising z
    truth, test, model = trained
    ok, info = _within_two_se(_latent_information(model, test, 0), truth.latent_information("a"),
                              slack=0.05)
    assert ok, info


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured: I(x_b; z) 2.62 nats vs the exact 3.42 (one "
                   "of b's likelihood scales stays at 0.57 vs 0.3 after 600 epochs). Causes "
                   "found: the O(1/K) bias of the self-normalised weights (from the exact "
                   "model, K = 10 drifts I(x_b; z) 3.64 -> 2.83 in 100 epochs; "
                   "benchmarks/multimodal_meme_drift.py) and a nearly flat direction crossed "
                   "slowly; K = 100 with 1000-1300 epochs reaches 3.30 and 3.19 (2 seeds), "
                   "still below 2 se + 0.05")
def test_trained_meme_posterior_of_b_carries_the_exact_information(trained):
    truth, test, model = trained
    ok, info = _within_two_se(_latent_information(model, test, 1), truth.latent_information("b"),
                              slack=0.05)
    assert ok, info
