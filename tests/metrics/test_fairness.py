import numpy as np
import pytest

from ibtf.metrics.fairness import base_rate, demographic_parity_gap


def test_demographic_parity_gap_is_the_difference_of_positive_rates():
    predictions = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert demographic_parity_gap(predictions, groups) == pytest.approx(0.5 - 0.25)
    with pytest.raises(ValueError, match="one group id"):
        demographic_parity_gap(predictions, groups[:3])


def test_base_rate_is_the_majority_share():
    assert base_rate([0, 1, 1, 1]) == 0.75


def test_probe_restarts_average_the_probe_and_report_its_standard_error():
    """A label carried by one code coordinate with a known error rate: the probe's accuracy is
    the Bayes accuracy Phi(2) = 0.977 (the label flips the coordinate's sign of a N(+-2, 1));
    the restarts' mean is within its reported standard error (x4) of it, and the s.e. is at
    least the binomial error of the test split. An unrelated label reads chance."""
    from ibtf.metrics.fairness import probe_accuracy_restarts
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 6000)
    codes = np.c_[(2 * labels - 1) * 2.0 + rng.standard_normal(6000), rng.standard_normal(6000)]
    mean, se, runs = probe_accuracy_restarts(codes[:2000], labels[:2000], codes[2000:],
                                             labels[2000:], seeds=(0, 1, 2))
    assert len(runs) == 3 and mean == pytest.approx(np.mean(runs))
    assert se >= np.sqrt(mean * (1 - mean) / 4000) - 1e-12
    assert abs(mean - 0.97725) <= 4 * se
    unrelated = rng.integers(0, 2, 6000)
    mean, se, _ = probe_accuracy_restarts(codes[:2000], unrelated[:2000], codes[2000:],
                                          unrelated[2000:], seeds=(0,))
    assert abs(mean - 0.5) <= 4 * se + 0.01
    with pytest.raises(ValueError, match="seeds"):
        probe_accuracy_restarts(codes[:10], labels[:10], codes[10:20], labels[10:20], seeds=())
