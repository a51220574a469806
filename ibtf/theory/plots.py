"""Contour plots of the closed forms, like the figures of Wang et al. 2024 and Zhang et al. 2021.

Matplotlib is imported lazily with the non-interactive Agg backend, so this works headless.
"""

import numpy as np

from ibtf.theory._checks import check_int
from ibtf.theory.rdc import binary_rdc, gaussian_conditional_entropy_floor, gaussian_rdc
from ibtf.theory.entropy import binary_convolution, binary_entropy
from ibtf.theory.rdp import gaussian_rdp
from ibtf.theory.rpc import gaussian_rpc

__all__ = ["plot_rdc", "plot_rpc", "plot_rdp"]


def _figure():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 4.6), dpi=120)
    return fig, ax


def _contour(fig, ax, x, y, z, xlabel, ylabel, title, levels):
    finite = np.isfinite(z)
    top = np.nanmax(np.where(finite, z, np.nan))
    shown = np.where(finite, z, top)  # R = inf only on the boundary C = h(S|X)
    filled = ax.contourf(x, y, shown, levels=levels, cmap="viridis")
    lines = ax.contour(x, y, shown, levels=filled.levels[1::2], colors="white", linewidths=0.6)
    ax.clabel(lines, fmt="%.2f", fontsize=7)
    fig.colorbar(filled, ax=ax, label="rate (nats)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_rdc(
    source="gaussian", var_x=1.0, var_s=1.0, rho=0.9, p=0.5, eps=0.1, resolution=120, levels=14
):
    """Contours of ``R(D, C)`` (Wang et al. 2024) over distortion and classification.

    Args:
        source: ``"gaussian"`` (:func:`~ibtf.theory.rdc.gaussian_rdc`) or ``"binary"``
            (:func:`~ibtf.theory.rdc.binary_rdc`).
        var_x, var_s, rho: Gaussian source parameters.
        p, eps: binary source parameters.
        resolution: grid points per axis (>= 10).
        levels: number of contour levels (>= 2).

    Returns:
        A matplotlib Figure. The classification axis starts just above its floor ``h(S|X)``
        (below it the problem is infeasible).
    """
    n = check_int(resolution, "resolution", 10)
    levels = check_int(levels, "levels", 2)
    fig, ax = _figure()
    if source == "gaussian":
        floor = gaussian_conditional_entropy_floor(var_s, rho)
        top = 0.5 * np.log(2 * np.pi * np.e * var_s) + 0.1
        if not np.isfinite(floor):
            floor = top - 3.0
        d = np.linspace(0.02 * var_x, 1.1 * var_x, n)
        c = np.linspace(floor + 0.01 * (top - floor), top, n)
        D, C = np.meshgrid(d, c)
        R = gaussian_rdc(D, C, var_x, var_s, rho)
        title = f"Gaussian R(D,C): var_x={var_x:g}, var_s={var_s:g}, rho={rho:g}"
        labels = ("distortion D (MSE)", "classification C = h(S|Xhat) (nats)")
    elif source == "binary":
        e = min(eps, 1 - eps)
        floor = binary_entropy(e)
        top = binary_entropy(binary_convolution(min(p, 1 - p), e))
        d = np.linspace(0.0, min(p, 1 - p) * 1.05, n)
        c = np.linspace(floor, top + 0.02 if top + 0.02 <= np.log(2) else top, n)
        D, C = np.meshgrid(d, c)
        R = binary_rdc(D, C, p, eps)
        title = f"Binary R(D,C): p={p:g}, eps={eps:g}"
        labels = ("distortion D (Hamming)", "classification C = H(S|Xhat) (nats)")
    else:
        raise ValueError(f"source must be 'gaussian' or 'binary', got {source!r}")
    return _contour(fig, ax, D, C, R, *labels, title, levels)


def plot_rpc(
    var_x=1.0, var_s=1.0, rho=0.9, divergence="kl", max_perception=1.0, resolution=120, levels=14
):
    """Contours of the Gaussian ``R(P, C)``: vertical bands show no perception dependence.

    Args:
        var_x, var_s, rho: source parameters.
        divergence: ``"kl"``, ``"reverse_kl"`` or ``"w2"``.
        max_perception: upper end of the perception axis (> 0).
        resolution: grid points per axis.
        levels: contour levels.

    Returns:
        A matplotlib Figure.
    """
    n = check_int(resolution, "resolution", 10)
    levels = check_int(levels, "levels", 2)
    if not max_perception > 0:
        raise ValueError(f"max_perception must be > 0, got {max_perception!r}")
    floor = gaussian_conditional_entropy_floor(var_s, rho)
    top = 0.5 * np.log(2 * np.pi * np.e * var_s) + 0.1
    if not np.isfinite(floor):
        floor = top - 3.0
    fig, ax = _figure()
    P, C = np.meshgrid(
        np.linspace(0, max_perception, n), np.linspace(floor + 0.01 * (top - floor), top, n)
    )
    R = gaussian_rpc(P, C, var_x, var_s, rho, divergence)
    # Classification on the x axis, as in the paper's RPC figure.
    return _contour(
        fig,
        ax,
        C,
        P,
        R,
        "classification C = h(S|Xhat) (nats)",
        f"perception P ({divergence})",
        f"Gaussian R(P,C): var_x={var_x:g}, var_s={var_s:g}, rho={rho:g}",
        levels,
    )


def plot_rdp(variance=1.0, max_perception=None, resolution=120, levels=14):
    """Contours of the Gaussian ``R(D, P)`` with squared-W2 perception (Zhang et al. 2021).

    Args:
        variance: source variance.
        max_perception: upper end of the perception axis (default ``variance``).
        resolution: grid points per axis.
        levels: contour levels.

    Returns:
        A matplotlib Figure.
    """
    n = check_int(resolution, "resolution", 10)
    levels = check_int(levels, "levels", 2)
    max_perception = variance if max_perception is None else max_perception
    if not max_perception > 0:
        raise ValueError(f"max_perception must be > 0, got {max_perception!r}")
    fig, ax = _figure()
    D, P = np.meshgrid(
        np.linspace(0.02 * variance, 1.5 * variance, n), np.linspace(0, max_perception, n)
    )
    R = gaussian_rdp(D, P, variance)
    return _contour(
        fig,
        ax,
        D,
        P,
        R,
        "distortion D (MSE)",
        "perception P (squared W2)",
        f"Gaussian R(D,P): variance={variance:g}",
        levels,
    )
