"""Disentanglement metrics on data with known generative factors."""
import dataclasses

import numpy as np

__all__ = ["FactorVAEScore", "factor_shares", "factor_vae_score", "linear_probe_accuracy"]


@dataclasses.dataclass(frozen=True)
class FactorVAEScore:
    """Result of ``factor_vae_score``.

    Attributes:
      eval_accuracy: the score, the majority-vote classifier's accuracy on held-out votes.
      train_accuracy: its accuracy on the votes it was fitted to.
      active_dims: number of representation dimensions whose global standard deviation is at
        least the prune threshold (only those vote).
      votes: int [num_dims, num_factors] training votes (which dimension won for which factor).
      per_factor: float [num_factors], the held-out accuracy on the votes of each factor (NaN for
        a factor that drew no evaluation vote): which factors the code holds apart. The score
        is their vote-weighted mean.
    """

    eval_accuracy: float
    train_accuracy: float
    active_dims: int
    votes: np.ndarray = dataclasses.field(repr=False, compare=False)
    per_factor: np.ndarray = dataclasses.field(default=None, repr=False, compare=False)


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}={value!r} must be an integer >= {low}")
    return int(value)


def _represent(represent, observations):
    codes = np.asarray(represent(observations), dtype=np.float64)
    if codes.ndim != 2 or codes.shape[0] != len(observations):
        raise ValueError(f"represent must map n observations to an [n, dims] array, got shape "
                         f"{codes.shape} for {len(observations)} observations")
    return codes


def _lookup(represent, data):
    """``represent`` applied once to every distinct observation of a finite family (one with
    ``all_factors()``), then looked up by factor vector: the same codes for a deterministic
    representation (an encoder's mean), at the cost of ``len(data)`` observations instead of
    one per vote member. Returns ``codes_of(factors)``."""
    every = np.asarray(data.all_factors())
    table = _represent(represent, data.images(every))
    sizes = tuple(data.factor_sizes)
    order = np.empty(len(every), np.int64)
    order[np.ravel_multi_index(tuple(every.T), sizes)] = np.arange(len(every))
    return (lambda factors: table[order[np.ravel_multi_index(tuple(np.asarray(factors).T),
                                                             sizes)]])


def factor_vae_score(represent, data, *, batch_size=64, num_train=800, num_eval=400,
                     num_variance_estimate=5000, prune_std=0.05, seed=0, table=False):
    """The FactorVAE disentanglement metric (Kim & Mnih 2018, Sec. 4).

    One vote: draw a factor k uniformly, draw ``batch_size`` factor vectors that all share the
    same value of factor k (the others free), represent their observations, divide every
    dimension by its global standard deviation s_d (over ``num_variance_estimate`` random
    draws), and take ``d* = argmin_d Var(z_d / s_d)`` over the active dimensions: those with
    s_d >= ``prune_std``, since a collapsed unit (posterior mean ~ 0 for every input) would
    otherwise be rescaled into noise that votes at random (the paper prunes them). The pair
    (d*, k) is one training point; the classifier is the majority vote
    ``k(d) = argmax_k V[d, k]`` and the score is its accuracy on fresh votes. A disentangled
    representation with one dimension per factor scores 1; with F factors a constant
    representation scores 0 (no active dimension) and a random one about 1/F.

    Args:
      represent: function mapping observations [n, ...] to codes [n, dims] (e.g. the encoder's
        mean).
      data: an object with ``factor_sizes``, ``sample_factors(n, rng)`` and ``images(factors)``
        (e.g. ``ibtf.data.procedural_shapes.ProceduralShapes``).
      batch_size: observations per vote (L in the paper; disentanglement_lib uses 64).
      num_train, num_eval: votes to fit and to score the classifier.
      num_variance_estimate: draws for the global variances.
      prune_std: dimensions whose global standard deviation is below this do not vote
        (collapsed units; 0.05 as in the paper). The score is therefore not invariant to
        scaling a dimension below it.
      seed: numpy seed.
      table: represent each distinct observation of ``data`` once and look the codes up
        (``data`` needs ``all_factors()``; for a deterministic ``represent`` the score is
        identical, and votes cost nothing, so disentanglement_lib's 10000 / 5000 votes are
        cheap on a family of a few thousand images).

    Returns:
      ``FactorVAEScore``.
    """
    batch_size = _check_int("batch_size", batch_size, 2)
    num_train = _check_int("num_train", num_train, 1)
    num_eval = _check_int("num_eval", num_eval, 1)
    num_variance_estimate = _check_int("num_variance_estimate", num_variance_estimate, 2)
    rng = np.random.default_rng(seed)
    sizes = tuple(data.factor_sizes)
    if table:
        if not hasattr(data, "all_factors"):
            raise ValueError("table=True needs data with all_factors() (a finite family of "
                             "observations); pass table=False")
        codes_of = _lookup(represent, data)
    else:
        def codes_of(factors):
            return _represent(represent, data.images(factors))
    global_var = np.var(codes_of(data.sample_factors(num_variance_estimate, rng)), axis=0,
                        ddof=1)
    if not prune_std >= 0:
        raise ValueError(f"prune_std={prune_std!r} must be >= 0 (0.05 in the paper)")
    active = np.sqrt(global_var) >= max(prune_std, 1e-12)
    if not active.any():
        votes = np.zeros((len(global_var), len(sizes)), dtype=np.int64)
        return FactorVAEScore(0.0, 0.0, 0, votes, np.zeros(len(sizes)))
    scale = np.sqrt(global_var[active])

    def vote_matrix(num_votes):
        votes = np.zeros((len(global_var), len(sizes)), dtype=np.int64)
        factors_chosen = rng.integers(0, len(sizes), size=num_votes)
        batches = []
        for k in factors_chosen:
            factors = data.sample_factors(batch_size, rng)
            factors[:, k] = factors[0, k]
            batches.append(factors)
        codes = codes_of(np.concatenate(batches))
        codes = codes[:, active].reshape(num_votes, batch_size, -1) / scale
        winners = np.flatnonzero(active)[np.argmin(np.var(codes, axis=1, ddof=1), axis=1)]
        np.add.at(votes, (winners, factors_chosen), 1)
        return votes

    train_votes = vote_matrix(num_train)
    classifier = np.argmax(train_votes, axis=1)
    train_accuracy = train_votes.max(axis=1).sum() / num_train
    eval_votes = vote_matrix(num_eval)
    eval_accuracy = eval_votes[np.arange(len(classifier)), classifier].sum() / num_eval
    right = np.bincount(classifier, weights=eval_votes[np.arange(len(classifier)), classifier],
                        minlength=len(sizes))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_factor = right / eval_votes.sum(axis=0)
    return FactorVAEScore(float(eval_accuracy), float(train_accuracy), int(active.sum()),
                          train_votes, per_factor)


def linear_probe_accuracy(codes, factors, *, test_fraction=0.3, ridge=1e-3, seed=0):
    """Mean over factors of a linear probe's held-out accuracy at predicting the factor value.

    For each factor a ridge-regularised least-squares map from ``[codes, 1]`` to the one-hot
    factor value is fitted on a random ``1 - test_fraction`` of the rows, and the argmax of its
    output is scored on the rest. A code that holds each factor linearly scores 1; chance is
    the mean of 1 / (number of values).

    Args:
      codes: [n, dims] array.
      factors: int [n, F] array of factor values.
      test_fraction: share of rows held out.
      ridge: the l2 penalty (relative to the codes' mean square).
      seed: numpy seed of the split.

    Returns:
      (mean accuracy, [F] per-factor accuracies).
    """
    codes = np.asarray(codes, np.float64)
    factors = np.asarray(factors)
    if codes.ndim != 2 or factors.ndim != 2 or len(codes) != len(factors):
        raise ValueError(f"codes [n, dims] and factors [n, F] must have the same n, got shapes "
                         f"{codes.shape} and {factors.shape}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(codes))
    n_test = max(1, int(round(test_fraction * len(codes))))
    test, train = order[:n_test], order[n_test:]
    mean, std = codes[train].mean(0), codes[train].std(0) + 1e-12
    design = np.concatenate([(codes - mean) / std, np.ones((len(codes), 1))], axis=1)
    gram = design[train].T @ design[train] + ridge * len(train) * np.eye(design.shape[1])
    accuracies = []
    for k in range(factors.shape[1]):
        values = factors[:, k]
        onehot = np.eye(values.max() + 1)[values]
        weights = np.linalg.solve(gram, design[train].T @ onehot[train])
        accuracies.append(np.mean(np.argmax(design[test] @ weights, axis=1) == values[test]))
    return float(np.mean(accuracies)), np.asarray(accuracies)


def factor_shares(codes, factors):
    """eta^2 [dims, F]: the share of each code unit's variance explained by each factor,
    ``Var(E[z_d | v_k]) / Var(z_d)`` (the correlation ratio). Near 1 when unit d is a function
    of factor k alone; a unit that mixes x and y has shares well below 1 for both.

    Args:
      codes: [n, dims] array.
      factors: int [n, F] array of factor values (0 .. size - 1).
    """
    codes = np.asarray(codes, np.float64)
    factors = np.asarray(factors)
    if codes.ndim != 2 or factors.ndim != 2 or len(codes) != len(factors):
        raise ValueError(f"codes [n, dims] and factors [n, F] must have the same n, got shapes "
                         f"{codes.shape} and {factors.shape}")
    shares = np.zeros((codes.shape[1], factors.shape[1]))
    variance = codes.var(axis=0) + 1e-12
    for k in range(factors.shape[1]):
        counts = np.bincount(factors[:, k])
        seen = counts > 0
        for d in range(codes.shape[1]):
            means = np.bincount(factors[:, k], weights=codes[:, d])[seen] / counts[seen]
            lookup = np.zeros(len(counts))
            lookup[seen] = means
            shares[d, k] = np.var(lookup[factors[:, k]]) / variance[d]
    return shares
