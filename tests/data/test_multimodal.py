import numpy as np
import pytest

from ibtf.data import (digits_pairs, digits_with_labels, shared_private_synthetic,
                       with_paired_fraction)


def _label_of(images, x, y):
    """The label of each row of ``images`` by exact lookup among the digits ``x`` (labels y)."""
    index = {row.tobytes(): label for row, label in zip(x, y)}
    return np.array([index[row.tobytes()] for row in images])


def test_digits_pairs_partner_is_the_next_digit():
    train, test = digits_pairs(seed=3)
    assert len(train) + len(test) == 1797
    for split in (train, test):
        partner = _label_of(split.inputs["b"], split.inputs["a"], split.labels)
        assert np.array_equal(partner, (split.labels + 1) % 10)
        assert not np.array_equal(split.inputs["a"], split.inputs["b"])
        assert split.inputs["a"].shape[1] == 64 and split.inputs["a"].max() <= 1.0


def test_digits_with_labels_is_one_hot():
    train, _ = digits_with_labels()
    assert np.array_equal(train.inputs["label"].argmax(1), train.labels)
    assert np.array_equal(train.inputs["label"].sum(1), np.ones(len(train)))


@pytest.mark.parametrize("fraction", [1.0, 0.25, 0.0625, 0.0])
def test_paired_fraction_keeps_f_pairs_and_every_unpaired_modality_once(fraction):
    train, _ = digits_pairs()
    n = len(train)
    data = with_paired_fraction(train, fraction, seed=0)
    paired = int(round(fraction * n))
    assert int((data.mask.sum(1) == 2).sum()) == paired
    assert int((data.mask[:, 0] * (1 - data.mask[:, 1])).sum()) == n - paired
    assert int((data.mask[:, 1] * (1 - data.mask[:, 0])).sum()) == n - paired
    assert len(data) == paired + 2 * (n - paired)
    # a missing modality is zeroed; an observed one is a real image of the split
    missing_b = data.mask[:, 1] == 0
    assert np.all(data.inputs["b"][missing_b] == 0)
    a_rows = {row.tobytes() for row in train.inputs["a"]}
    assert all(row.tobytes() in a_rows for row in data.inputs["a"][data.mask[:, 0] == 1])
    with pytest.raises(ValueError, match="paired_fraction=1.5 must be a number in"):
        with_paired_fraction(train, 1.5)


def test_shared_private_synthetic_shares_only_the_class():
    data = shared_private_synthetic(n=3000, num_classes=4, seed=0)
    assert data.inputs["m0"].shape == (3000, 20) and data.inputs["m1"].shape == (3000, 30)
    from sklearn.linear_model import LogisticRegression
    # each modality reveals the class ...
    for name in data.names:
        x = data.inputs[name]
        acc = LogisticRegression(max_iter=1000).fit(x[:2000], data.labels[:2000]).score(
            x[2000:], data.labels[2000:])
        assert acc > 0.8, (name, acc)
    # ... and, within a class, the two modalities are independent (private styles)
    c = data.labels == 0
    corr = np.corrcoef(data.inputs["m0"][c].T, data.inputs["m1"][c].T)[:20, 20:]
    assert np.abs(corr).max() < 0.2
