"""Blahut-Arimoto: classical special cases, the reported figures, and argument checks."""

import numpy as np
import pytest

from ibtf.theory.blahut_arimoto import blahut_arimoto
from ibtf.theory.entropy import binary_entropy, binary_entropy_inverse


def _recompute(p_x, dist, p_s_x, channel):
    """Figures of a channel computed directly from their definitions."""
    joint = p_x[:, None] * channel
    q = joint.sum(0)
    mi = np.sum(joint * np.log(channel / q[None, :]))
    ps_xhat = joint.T @ p_s_x / q[:, None]
    h_s_xhat = -np.sum(q[:, None] * ps_xhat * np.log(ps_xhat))
    return mi, np.sum(joint * dist), h_s_xhat


def test_reported_figures_are_those_of_the_returned_channel():
    rng = np.random.default_rng(0)
    p_x = rng.dirichlet(np.ones(6))
    dist = rng.uniform(0, 1, size=(6, 4))
    p_s_x = rng.dirichlet(np.ones(3), size=6)
    res = blahut_arimoto(p_x, dist, 2.0, p_s_given_x=p_s_x, class_slope=1.5, restarts=3)
    np.testing.assert_allclose(res.channel.sum(1), 1.0)
    mi, d, c = _recompute(p_x, dist, p_s_x, res.channel)
    assert res.rate_nats == pytest.approx(mi, abs=1e-10)
    assert res.distortion == pytest.approx(d, abs=1e-12)
    assert res.classification_nats == pytest.approx(c, abs=1e-10)
    assert res.objective == pytest.approx(mi + 2.0 * d + 1.5 * c, abs=1e-9)


def test_uniform_source_hamming_rd_on_a_larger_alphabet():
    # m-ary uniform source with Hamming distortion: R(D) = ln m - h(D) - D ln(m - 1).
    m = 5
    res = blahut_arimoto(np.full(m, 1 / m), 1.0 - np.eye(m), 3.0)
    d = res.distortion
    assert res.rate_nats == pytest.approx(
        np.log(m) - binary_entropy(d) - d * np.log(m - 1), abs=1e-8
    )


def test_classification_only_recovers_mrs_gerbers_lemma_for_a_symmetric_source():
    eps = 0.1
    p_s_x = np.array([[1 - eps, eps], [eps, 1 - eps]])
    res = blahut_arimoto(
        [0.5, 0.5], 1.0 - np.eye(2), 0.0, p_s_given_x=p_s_x, class_slope=4.0, restarts=3
    )
    # Symmetric optimum: X = Xhat xor Bern(theta), H(S|Xhat) = h(theta * eps).
    theta = (binary_entropy_inverse(res.classification_nats) - eps) / (1 - 2 * eps)
    assert res.rate_nats == pytest.approx(np.log(2) - binary_entropy(theta), abs=1e-6)
    assert res.rate_nats > 0.1


def test_zero_slopes_give_zero_rate_and_restarts_are_deterministic():
    p_x = np.array([0.2, 0.3, 0.5])
    res = blahut_arimoto(p_x, np.ones((3, 3)) - np.eye(3), 0.0)
    assert res.rate_nats == pytest.approx(0.0, abs=1e-9)
    a = blahut_arimoto(
        p_x, 1 - np.eye(3), 1.0, p_s_given_x=np.eye(3), class_slope=1.0, restarts=3, seed=5
    )
    b = blahut_arimoto(
        p_x, 1 - np.eye(3), 1.0, p_s_given_x=np.eye(3), class_slope=1.0, restarts=3, seed=5
    )
    np.testing.assert_array_equal(a.channel, b.channel)


def test_zero_probability_symbols_are_handled():
    res = blahut_arimoto([0.5, 0.0, 0.5], 1.0 - np.eye(3), 2.0)
    assert np.isfinite(res.rate_nats) and res.channel.shape == (3, 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(p_x=[0.5, 0.6]), "p_x must be a 1-D probability vector"),
        (
            dict(distortion=np.ones((3, 2))),
            r"distortion must have shape \(\|X\|, \|Xhat\|\) = \(2, m\)",
        ),
        (dict(distortion=-np.ones((2, 2))), "distortion entries must be >= 0"),
        (dict(slope=-1.0), r"must lie in \[0, inf\)"),
        (dict(class_slope=1.0), "class_slope > 0 needs p_s_given_x"),
        (
            dict(p_s_given_x=[[0.5, 0.6], [0.5, 0.5]], class_slope=1.0),
            "rows must be probability vectors",
        ),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    args = dict(p_x=[0.5, 0.5], distortion=1.0 - np.eye(2), slope=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        blahut_arimoto(**args)
