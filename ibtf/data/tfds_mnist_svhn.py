"""MNIST-SVHN pairs through tensorflow-datasets (the ``tfds`` extra; the data downloads once).

The pairing of Shi et al. 2019 (MMVAE, Sec. 4 and their released ``make_mnist_svhn_idx``):
for every digit d, the MNIST and SVHN images of class d are shuffled and zipped (up to the
shorter list), ``repeats`` times with fresh shuffles, so each pair shares only its class.
"""
import numpy as np

from ibtf.data.multimodal import MultimodalData

__all__ = ["load_mnist_svhn", "pair_by_label"]


def pair_by_label(labels_a, labels_b, repeats=20, max_per_class=None, seed=0):
    """Index pairs (i, j) with labels_a[i] == labels_b[j], ``repeats`` shuffled zips per class."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats={repeats!r} must be a positive integer (shuffled pairings "
                         "per class; Shi et al. use 20)")
    labels_a, labels_b = np.asarray(labels_a), np.asarray(labels_b)
    rng = np.random.default_rng(seed)
    left, right = [], []
    for d in np.intersect1d(np.unique(labels_a), np.unique(labels_b)):
        ia, ib = np.flatnonzero(labels_a == d), np.flatnonzero(labels_b == d)
        count = min(len(ia), len(ib))
        if max_per_class is not None:
            count = min(count, int(max_per_class))
        for _ in range(repeats):
            left.append(rng.permutation(ia)[:count])
            right.append(rng.permutation(ib)[:count])
    if not left:
        raise ValueError("the two label arrays share no class: nothing to pair")
    return np.concatenate(left), np.concatenate(right)


def _load(tfds, name, split, data_dir, download):
    # Batched iteration, not batch_size=-1 (which aborts under tfds.testing.mock_data).
    dataset = tfds.load(name, split=split, as_supervised=True, data_dir=data_dir,
                        download=download).batch(4096)
    images, labels = zip(*tfds.as_numpy(dataset))
    return np.concatenate(images), np.concatenate(labels)


def load_mnist_svhn(split="train", repeats=20, max_per_class=None, data_dir=None,
                    download=True, seed=0):
    """MNIST-SVHN pairs as a ``MultimodalData``: "mnist" [N, 28, 28, 1] and "svhn"
    [N, 32, 32, 3] float32 in [0, 1], labels = the shared digit.

    Args:
      split: a tfds split of both sets ("train", "test", "train[:10%]", ...).
      repeats: shuffled pairings per class (Shi et al. use 20 for train, 20 for test).
      max_per_class: cap the pairs per class and repeat (keeps memory small).
      data_dir, download: passed to ``tfds.load`` (no network here: pre-download the sets or
        use ``tfds.testing.mock_data`` in tests).
    """
    from ibtf.data._optional import require
    tfds = require("tensorflow_datasets", "load_mnist_svhn")
    mnist, mnist_labels = _load(tfds, "mnist", split, data_dir, download)
    svhn, svhn_labels = _load(tfds, "svhn_cropped", split, data_dir, download)
    i, j = pair_by_label(mnist_labels, svhn_labels, repeats, max_per_class, seed)
    inputs = {"mnist": mnist[i].astype(np.float32) / 255.0,
              "svhn": svhn[j].astype(np.float32) / 255.0}
    return MultimodalData(inputs, np.ones((len(i), 2), np.float32),
                          np.asarray(mnist_labels[i], np.int64), ("mnist", "svhn"))
