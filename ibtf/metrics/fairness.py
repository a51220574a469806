"""What a representation leaks and how fair its predictions are: probes and parity gaps.

A *probe* is a classifier trained after the fact on frozen codes to predict an attribute; its
held-out accuracy against the attribute's base rate says how much of the attribute a code
still carries (Edwards & Storkey 2016; Moyer et al. 2018; Elazar & Goldberg 2018 on why the
adversary used in training is not a trustworthy judge: the probe here is trained fresh).
"""
import numpy as np

__all__ = ["probe_accuracy", "probe_accuracy_restarts", "base_rate", "demographic_parity_gap"]


def base_rate(labels):
    """The accuracy of always guessing the most frequent label."""
    labels = np.asarray(labels).reshape(-1)
    return float(np.bincount(labels).max() / labels.size)


def probe_accuracy(train_codes, train_labels, test_codes, test_labels, *, hidden_units=(64, 64),
                   seed=0):
    """Held-out accuracy of a fresh MLP probe (scikit-learn) trained on frozen codes.

    The codes are standardised with the training split's statistics, so a leak hidden in a small
    scale is found as easily as one in a large scale.
    """
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_codes = np.asarray(train_codes, np.float64)
    test_codes = np.asarray(test_codes, np.float64)
    if train_codes.ndim != 2 or test_codes.ndim != 2:
        raise ValueError("train_codes and test_codes must be [n, d] arrays of codes")
    probe = make_pipeline(StandardScaler(), MLPClassifier(
        hidden_layer_sizes=tuple(hidden_units), max_iter=300, early_stopping=True,
        n_iter_no_change=15, random_state=seed))
    probe.fit(train_codes, np.asarray(train_labels).reshape(-1))
    return float(probe.score(test_codes, np.asarray(test_labels).reshape(-1)))


def probe_accuracy_restarts(train_codes, train_labels, test_codes, test_labels, *, seeds=(0,),
                            hidden_units=(64, 64)):
    """``probe_accuracy`` averaged over probe restarts, with its standard error.

    Each restart is the same probe with another seed (its initialisation and early-stopping
    split), so the mean estimates the accuracy of that probe, not of a chosen best one (a
    maximum over restarts scored on the test split would be biased upwards). The standard
    error combines the restarts' spread and the test split's binomial error:
    ``sqrt(var_restarts / R + a (1 - a) / n_test)``.

    Returns:
      (mean accuracy, standard error, the R accuracies).
    """
    runs = np.array([probe_accuracy(train_codes, train_labels, test_codes, test_labels,
                                    hidden_units=hidden_units, seed=int(k)) for k in seeds])
    if runs.size == 0:
        raise ValueError("seeds is empty; pass at least one probe seed, e.g. seeds=(0,)")
    mean = float(runs.mean())
    n_test = np.asarray(test_labels).size
    spread = runs.var(ddof=1) / runs.size if runs.size > 1 else 0.0
    return mean, float(np.sqrt(spread + mean * (1 - mean) / n_test)), [float(r) for r in runs]


def demographic_parity_gap(predictions, sensitive):
    """max over groups minus min over groups of P(prediction = 1 | s = group).

    Args:
      predictions: [n] binary predictions (0/1).
      sensitive: [n] group ids.
    """
    predictions = np.asarray(predictions).reshape(-1).astype(np.float64)
    sensitive = np.asarray(sensitive).reshape(-1)
    if predictions.shape != sensitive.shape:
        raise ValueError(f"predictions has {predictions.size} entries and sensitive "
                         f"{sensitive.size}; give one group id per prediction")
    rates = [predictions[sensitive == g].mean() for g in np.unique(sensitive)]
    return float(max(rates) - min(rates))
