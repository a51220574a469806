"""Plot functions draw the closed forms (values checked on the plotted grid)."""

import numpy as np
import pytest

from ibtf.theory import gaussian_rdc
from ibtf.theory.plots import plot_rdc, plot_rdp, plot_rpc


def test_rdc_plot_covers_feasible_classification_range():
    fig = plot_rdc("gaussian", 1.0, 1.0, 0.9, resolution=20)
    ax = fig.axes[0]
    floor = 0.5 * np.log(2 * np.pi * np.e * (1 - 0.81))
    lo, hi = ax.get_ylim()
    assert lo > floor and hi > 0.5 * np.log(2 * np.pi * np.e)
    assert "R(D,C)" in ax.get_title()
    # The colour scale spans the rates the closed form gives on that grid.
    cbar = fig.axes[1]
    top = cbar.get_ylim()[1]
    assert top >= gaussian_rdc(0.02, lo, 1.0, 1.0, 0.9) * 0.9


@pytest.mark.parametrize(
    "make",
    [
        lambda: plot_rpc(resolution=15),
        lambda: plot_rdp(2.0, resolution=15),
        lambda: plot_rdc("binary", p=0.3, eps=0.2, resolution=15),
    ],
)
def test_other_plots_build(make):
    fig = make()
    assert fig.axes and fig.axes[0].get_xlabel()


def test_unknown_source_raises():
    with pytest.raises(ValueError, match="source must be 'gaussian' or 'binary'"):
        plot_rdc("laplace")
