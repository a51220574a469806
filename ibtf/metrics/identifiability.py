"""Identifiability scores: how well learned latents recover known ones.

The mean correlation coefficient (MCC) of Khemakhem et al. 2020 ("Variational autoencoders and
nonlinear ICA: a unifying framework", Sec. 6): correlate every true latent with every learned
one, match them one to one (Hungarian algorithm on |corr|) and average the matched |corr|.
With ``alignment="linear"`` the learned latents are first mapped by least squares onto the
true ones (fitted on one half of the examples, scored on the other), which scores recovery up
to an affine map: the identifiability class of Gaussian-mixture-prior VAEs (Kivva et al. 2022,
"Identifiability of deep generative models without auxiliary information", Thm. 1).
"""
import numpy as np

__all__ = ["mean_correlation_coefficient", "supervised_ceiling", "ALIGNMENTS"]

ALIGNMENTS = ("permutation", "linear")


def _matrix(value, name):
    array = np.asarray(value, np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or len(array) < 4:
        raise ValueError(f"{name} has shape {array.shape}; pass a [examples, dims] array with at "
                         "least 4 examples")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} has NaN or inf values; drop those rows first")
    return array


def _abs_corr(a, b):
    a = (a - a.mean(0)) / (a.std(0) + 1e-12)
    b = (b - b.mean(0)) / (b.std(0) + 1e-12)
    return np.abs(a.T @ b) / len(a)


def mean_correlation_coefficient(z_true, z_learned, alignment="permutation"):
    """MCC in [0, 1] between true latents [n, d] and learned latents [n, k] (k >= d).

    Args:
      z_true: the generative factors.
      z_learned: the model's codes for the same examples.
      alignment: "permutation" (match dimensions one to one) or "linear" (least-squares affine
        map of the learned codes onto the true ones, fitted on the first half of the examples
        and scored on the second).

    Returns:
      The mean matched absolute Pearson correlation, a float.

    >>> z = np.random.default_rng(0).normal(size=(100, 2))
    >>> round(mean_correlation_coefficient(z, z[:, ::-1] * [2.0, -1.0]), 6)
    1.0
    """
    from scipy.optimize import linear_sum_assignment
    z_true, z_learned = _matrix(z_true, "z_true"), _matrix(z_learned, "z_learned")
    if len(z_true) != len(z_learned):
        raise ValueError(f"z_true has {len(z_true)} examples and z_learned {len(z_learned)}: "
                         "pass codes of the same examples, in the same order")
    if alignment not in ALIGNMENTS:
        raise ValueError(f"alignment={alignment!r} must be one of {ALIGNMENTS}")
    if z_learned.shape[1] < z_true.shape[1]:
        raise ValueError(f"z_learned has {z_learned.shape[1]} dims but z_true "
                         f"{z_true.shape[1]}; the learned code needs at least as many")
    if alignment == "linear":
        half = len(z_true) // 2
        design = np.concatenate([z_learned, np.ones([len(z_learned), 1])], axis=1)
        coef, *_ = np.linalg.lstsq(design[:half], z_true[:half], rcond=None)
        z_true, z_learned = z_true[half:], design[half:] @ coef
    corr = _abs_corr(z_true, z_learned)
    rows, cols = linear_sum_assignment(-corr)
    return float(corr[rows, cols].mean())


def supervised_ceiling(x, z_true, neighbours=10):
    """The MCC (linear alignment) of a k-nearest-neighbour regression of z on x that is given
    the truth: fitted on the first half of the examples, scored on the second.

    A reference for unsupervised scores on the same data, not a bound in theory: when even a
    regressor trained on (x, z) pairs scores low, z is not recoverable from x (the mixing
    squashed it below the noise) and a low unsupervised MCC is the data's, not the model's.

    >>> z = np.random.default_rng(0).normal(size=(400, 2))
    >>> supervised_ceiling(np.tanh(z) * 3.0, z) > 0.95
    True
    """
    from sklearn.neighbors import KNeighborsRegressor
    x, z_true = _matrix(x, "x"), _matrix(z_true, "z_true")
    if len(x) != len(z_true):
        raise ValueError(f"x has {len(x)} examples and z_true {len(z_true)}: pass the "
                         "observations and latents of the same examples, in the same order")
    half = len(x) // 2
    if half < neighbours:
        raise ValueError(f"neighbours={neighbours} needs at least {2 * neighbours} examples, "
                         f"got {len(x)}; pass more examples or fewer neighbours")
    predicted = KNeighborsRegressor(neighbours).fit(x[:half], z_true[:half]).predict(x[half:])
    return mean_correlation_coefficient(z_true[half:], predicted, "linear")
