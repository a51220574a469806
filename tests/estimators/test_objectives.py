import numpy as np
import pytest

from ibtf._keras import tf
from ibtf.estimators import (
    METHODS,
    classifier_loss,
    dv_lower_bound,
    infonce_lower_bound,
    jsd_objective,
    make_objective,
    nwj_lower_bound,
    vclub_upper_bound,
)


def _gradient(fn, scores):
    variable = tf.Variable(scores)
    with tf.GradientTape() as tape:
        value = fn(variable)
    return tape.gradient(value, variable).numpy()


@pytest.mark.parametrize("method, loss_gradient_of", [
    ("infonce", lambda s: -infonce_lower_bound(s)),
    ("nwj", lambda s: -nwj_lower_bound(s)),
    ("dv", lambda s: -dv_lower_bound(s)),
    ("mine", lambda s: -dv_lower_bound(s)),          # first step: exact DV gradient
    ("jsd", lambda s: -jsd_objective(s)),
    ("smile", lambda s: -jsd_objective(s)),
    ("ratio", classifier_loss),
    ("vclub", lambda s: -tf.reduce_mean(tf.linalg.diag_part(s))),   # maximum likelihood
])
def test_training_loss_has_the_method_gradient(method, loss_gradient_of):
    scores = np.random.default_rng(0).normal(size=(6, 6)) * 2
    objective = make_objective(method)
    np.testing.assert_allclose(_gradient(lambda s: objective.train(s)[0], scores),
                               _gradient(loss_gradient_of, scores), rtol=1e-6, atol=1e-12)


def test_reported_values():
    scores = tf.constant(np.random.default_rng(1).normal(size=(6, 6)))
    assert float(make_objective("infonce").evaluate(scores)) == float(infonce_lower_bound(scores))
    assert float(make_objective("mine").evaluate(scores)) == float(dv_lower_bound(scores))
    assert float(make_objective("vclub").train(scores)[1]) == float(vclub_upper_bound(scores))
    assert make_objective("vclub").critic_kind == "gaussian"
    assert {make_objective(m).name for m in METHODS} == set(METHODS)


def test_unknown_method_and_bad_clip():
    with pytest.raises(ValueError, match="method must be one of"):
        make_objective("mi")
    with pytest.raises(ValueError, match="clip"):
        make_objective("smile", clip=-1)
