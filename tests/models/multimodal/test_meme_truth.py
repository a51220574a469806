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
    d = 2), Adam at 1e-2 for 100 epochs, 3e-3 for 1200 and 1e-3 for 100, batch 250.

    K = 1000 draws per pair: the paired bound's self-normalised weights bias the fit toward
    the proposal q(z|s) by O(1/K) (from the generating model, 100 epochs at the paper's K = 10
    raise b's likelihood scales 0.30 -> 0.41 and lower I(x_b; z) 3.64 -> 2.83 nats; without
    the pseudo-sample prior the largest reaches 0.37 at K = 10 and 0.31 at K = 1000:
    benchmarks/multimodal_meme_drift.py), and b's
    scales then cross a nearly flat direction of the likelihood slowly, hence the 1200 epochs
    at 3e-3 (benchmarks/results/multimodal.md, section 1d). About 30 minutes on 2 shared CPU
    cores. The same schedule on seeds 1 and 2 gives I(x_b; z) = 3.310 and 3.262 (exact 3.421,
    se 0.045): seed 2 is 0.02 nats beyond this tolerance, the other checks hold on all three."""
    truth = linear_gaussian_bimodal(seed=0)
    train, test = truth.sample(4000, seed=1), truth.sample(500, seed=2)
    keras.utils.set_random_seed(0)
    mods = [Modality((4,), name="a", hidden_units=(), learn_scale=True),
            Modality((3,), name="b", hidden_units=(), learn_scale=True)]
    model = MEME(mods, latent_dim=2, num_samples=1000, seed=0)
    model.compile(keras.optimizers.Adam(1e-2))
    for rate, epochs in ((1e-2, 100), (3e-3, 1200), (1e-3, 100)):
        model.optimizer.learning_rate.assign(rate)
        model.fit(train.as_dict(), epochs=epochs, batch_size=250, verbose=0)
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
def test_trained_meme_posterior_of_b_carries_the_exact_information(trained):
    truth, test, model = trained
    ok, info = _within_two_se(_latent_information(model, test, 1), truth.latent_information("b"),
                              slack=0.05)
    assert ok, info
