"""What the zoo's checks share: seeding Keras, and probing codes sampled and at the mean.

A stochastic encoder releases sampled codes z ~ q(z|x); its guarantee (a leakage or nuisance
bound) is about those. Its posterior means usually leak more, and the benchmarks report both:
``code_probes`` trains one fresh probe on each (``ibtf.metrics.fairness.probe_accuracy``).
"""
__all__ = ["seed_everything", "code_probes"]


def seed_everything(seed):
    """Seeds Python, NumPy and TensorFlow (Keras shuffles ``fit`` data with the global seed)."""
    from ibtf._keras import keras
    keras.utils.set_random_seed(seed)


def code_probes(sample, mean, train_x, train_labels, test_x, test_labels, seed=0):
    """Held-out probe accuracies (on sampled codes, on posterior means) for one attribute.

    Args:
      sample: ``sample(x, draw) -> codes``, one draw z ~ q(z|x) per row; the training codes use
        draw 0 and the test codes draw 1, so the probe never sees a test draw.
      mean: ``mean(x) -> codes``, the posterior means.
      train_x, test_x: the inputs the encoder takes (anything ``sample`` and ``mean`` accept).
      train_labels, test_labels: the attribute to probe for.
      seed: the probes' seed.
    """
    from ibtf.metrics.fairness import probe_accuracy
    return (probe_accuracy(sample(train_x, 0), train_labels, sample(test_x, 1), test_labels,
                           seed=seed),
            probe_accuracy(mean(train_x), train_labels, mean(test_x), test_labels, seed=seed))
