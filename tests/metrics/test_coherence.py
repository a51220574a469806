import numpy as np
import pytest

from ibtf.data import digits_pairs
from ibtf.metrics import (cross_coherence, importance_weighted_log_likelihood, joint_coherence,
                          latent_probe_accuracy, unimodal_classifier)


class _Stub:
    """A stand-in model whose generations are chosen by the test."""

    names = ("a", "b")

    def __init__(self, pool, labels, shift):
        self.pool, self.labels, self.shift = pool, labels, shift
        self.rng = np.random.default_rng(0)

    def _image_of(self, classes, modality):
        offset = 1 if modality == "b" else 0
        out = []
        for c in classes:
            rows = np.flatnonzero(self.labels == (c + offset) % 10)
            out.append(self.pool[self.rng.choice(rows)])
        return np.stack(out)

    def generate(self, inputs, target, mask=None, num_samples=None):
        classes = np.asarray(inputs["classes"]) + self.shift
        return self._image_of(classes, target)[None].repeat(num_samples or 1, 0)

    def sample(self, num_samples, seed=0):
        c = np.random.default_rng(seed).integers(0, 10, num_samples)
        return {"a": self._image_of(c, "a"), "b": self._image_of(c + self.shift, "b")}

    def encode(self, inputs, mask=None):
        c = np.asarray(inputs["classes"]) + self.shift
        return np.eye(10)[c % 10] + 0.01 * self.rng.normal(size=(len(c), 10))

    def log_likelihood(self, inputs, mask=None, num_samples=1):
        return np.full(len(inputs["classes"]), -float(num_samples))


@pytest.fixture(scope="module")
def digits():
    train, test = digits_pairs(seed=0)
    classifiers = {"a": unimodal_classifier(train.inputs["a"], train.labels),
                   "b": unimodal_classifier(train.inputs["b"], (train.labels + 1) % 10, offset=1)}
    return train, test, classifiers


def test_classifiers_map_to_the_shared_label(digits):
    _, test, classifiers = digits
    assert np.mean(classifiers["a"](test.inputs["a"]) == test.labels) > 0.9
    assert np.mean(classifiers["b"](test.inputs["b"]) == test.labels) > 0.9


def test_coherence_is_high_for_a_coherent_model_and_chance_for_a_shifted_one(digits):
    _, test, classifiers = digits
    pool, labels = test.inputs["a"], test.labels
    inputs = {"classes": test.labels}
    good, bad = _Stub(pool, labels, 0), _Stub(pool, labels, 3)
    assert cross_coherence(good, inputs, test.labels, "b", classifiers["b"]) > 0.9
    assert cross_coherence(bad, inputs, test.labels, "b", classifiers["b"]) < 0.1
    assert joint_coherence(good, classifiers, num_samples=300) > 0.85
    assert joint_coherence(bad, classifiers, num_samples=300) < 0.1
    with pytest.raises(ValueError, match=r"classifiers lacks modalities \['b'\]"):
        joint_coherence(good, {"a": classifiers["a"]})


def test_latent_probe_and_iw_wrapper(digits):
    train, test, _ = digits
    good = _Stub(test.inputs["a"], test.labels, 0)
    acc = latent_probe_accuracy(good, {"classes": train.labels}, train.labels,
                                {"classes": test.labels}, test.labels)
    assert acc > 0.95
    assert importance_weighted_log_likelihood(good, {"classes": test.labels},
                                              num_samples=7)[0] == -7.0
