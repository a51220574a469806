"""Batches for the estimators' training loops, from numpy arrays or a tf.data pipeline."""
import numpy as np

from ibtf._keras import tf

__all__ = []


def check_int(value, name, minimum, hint):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}; {hint}")
    return int(value)


def as_matrix(array, name):
    """float32 [n, d] copy of ``array`` (a 1-D array becomes one feature)."""
    if isinstance(array, tf.data.Dataset):
        raise TypeError(
            f"{name} is a tf.data.Dataset; pass the dataset as the first argument with y=None "
            "(its elements must be (x, y) pairs)."
        )
    try:
        matrix = np.asarray(array, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a numeric array of shape [n, d]: {error}") from None
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2:
        raise ValueError(
            f"{name} must have shape [n, d] (or [n]), got shape {matrix.shape}; flatten each "
            "example to a vector first."
        )
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{name} contains NaN or infinite values; drop or impute them first.")
    return matrix


def array_batches(arrays, batch_size, seed, names):
    """Endless tuples of batches drawn without replacement, reshuffled every epoch (seeded)."""
    n = arrays[0].shape[0]
    for array, name in zip(arrays[1:], names[1:]):
        if array.shape[0] != n:
            raise ValueError(
                f"{names[0]} and {name} must have the same number of rows (paired examples), got "
                f"{n} and {array.shape[0]}."
            )
    if n < batch_size:
        raise ValueError(
            f"batch_size={batch_size} exceeds the {n} examples given; pass batch_size <= {n} "
            "or more data."
        )
    rng = np.random.default_rng(seed)

    def generate():
        while True:
            order = rng.permutation(n)
            for start in range(0, n - batch_size + 1, batch_size):
                index = order[start:start + batch_size]
                yield tuple(tf.constant(array[index]) for array in arrays)

    return generate()


def dataset_batches(dataset, batch_size, arity):
    """Endless tuples of [batch_size, d] float32 tensors from a dataset of ``arity``-tuples.

    Elements may be single examples ([d] each) or batches ([b, d]); both are re-batched to
    ``batch_size`` with ``drop_remainder=True`` so every step sees the same static shape.
    """
    spec = dataset.element_spec
    specs = spec if isinstance(spec, tuple) else (spec,)
    if len(specs) != arity or not all(isinstance(s, tf.TensorSpec) for s in specs):
        want = "(x, y) pairs" if arity == 2 else "single tensors z"
        raise TypeError(
            f"the dataset's elements must be {want} of tensors, got element_spec {spec}; map it "
            "to that structure first."
        )
    ranks = {s.shape.rank for s in specs}
    if not ranks <= {1, 2} or len(ranks) != 1:
        raise ValueError(
            f"dataset elements must all be vectors [d] or all batches [b, d], got element_spec "
            f"{spec}."
        )
    if ranks == {2}:
        dataset = dataset.unbatch()
    if arity == 1:
        dataset = dataset.map(lambda z: (z,))
    dataset = dataset.map(lambda *t: tuple(tf.cast(v, tf.float32) for v in t))
    dataset = dataset.repeat().batch(batch_size, drop_remainder=True).prefetch(2)
    return iter(dataset)
