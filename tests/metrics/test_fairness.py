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
