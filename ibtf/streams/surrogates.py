"""Surrogate sources: series that keep a source's own dynamics but break its link to the target.

A surrogate test asks whether the information a model finds in a source exceeds what a series
with the same own dynamics, but no relation to the target, would give after the same training
(Theiler et al. 1992, "Testing for nonlinearity in time series: the method of surrogate data",
Physica D 58; Schreiber & Schmitz 2000, "Surrogate time series", Physica D 142). For transfer
entropy this is the standard null (Vicente et al. 2011, "Transfer entropy - a model-free measure
of effective connectivity", J. Comput. Neurosci. 30):

- ``"shift"`` (default): a circular time shift of the whole source by a random lag of at least
  ``min_shift`` steps. Every property of the source alone is kept exactly (marginal, nonlinear
  dynamics, seasonality), only its alignment with the target changes; valid for any source.
  The one seam where the end wraps to the start is a single step.
- ``"phase"``: phase randomisation (Theiler et al. 1992; Prichard & Theiler 1994 for several
  columns: the same random phases for every column keep their cross-correlation). Keeps the
  power spectrum, so the linear autocorrelation, and makes the source Gaussian-like; it also
  removes a seasonal phase the source shares with the target, which a shift keeps.
- ``"block_shuffle"``: blocks of ``block`` steps in random order: keeps dynamics within blocks
  only (a placebo for benchmarks, not a surrogate for the test).

Series are handled separately (a long frame with an id column): each series' rows are permuted
among themselves, so no surrogate mixes two series. A panel of many short series (episodes of an
agent, trials) whose shortest series is too short to be shifted on its own is shifted as a whole
for ``"shift"``: the series are laid end to end and the panel's source is shifted circularly by
at least the longest series, so every series gets the source of other series (the "trial
shifting" of trial-based transfer entropy, Lindner et al. 2011, "TRENTOOL: A Matlab open source
toolbox to analyse information flow in time series data with transfer entropy", BMC
Neuroscience 12:119). Each source stretch keeps its own dynamics; a source window that crosses
the end of one series into the next (at most ``history - 1`` of every series' windows) joins two
series' stretches.
"""
import numpy as np

__all__ = ["SURROGATE_KINDS", "surrogate_sources", "circular_shifts", "panel_shifts",
           "phase_randomise", "block_shuffle"]

SURROGATE_KINDS = ("shift", "phase")


def circular_shifts(n_rows, count, rng, min_shift):
    """``count`` lags drawn uniformly from [min_shift, n_rows - min_shift], all different
    while there are enough of them (so no two surrogates are the same series)."""
    if n_rows < 2 * min_shift + 1:
        raise ValueError(f"a series of {n_rows} rows is too short for circular shifts of at "
                         f"least {min_shift} steps: give more rows or a shorter history")
    lags = np.arange(min_shift, n_rows - min_shift + 1)
    return rng.choice(lags, size=count, replace=count > len(lags))


def panel_shifts(bounds, count, rng, min_shift):
    """``count`` circular lags of a whole panel (its series end to end), each at least the
    longest series and ``min_shift``, so no row keeps a source value of its own series; None
    when every series is long enough to be shifted on its own (or there is one series)."""
    lengths = [hi - lo for lo, hi in bounds]
    if len(bounds) < 2 or min(lengths) >= 2 * min_shift + 1:
        return None
    return circular_shifts(sum(lengths), count, rng, max(max(lengths), min_shift))


def phase_randomise(values, rng):
    """Fourier surrogate of ``values`` [T, d]: same amplitudes, random phases shared by the
    columns (the mean and the DC/Nyquist terms kept), so spectra and cross-spectra are kept."""
    values = np.asarray(values, np.float64)
    n = len(values)
    spectrum = np.fft.rfft(values, axis=0)
    phases = rng.uniform(0.0, 2.0 * np.pi, size=(spectrum.shape[0], 1))
    phases[0] = 0.0
    if n % 2 == 0:
        phases[-1] = 0.0
    return np.fft.irfft(spectrum * np.exp(1j * phases), n=n, axis=0)


def block_shuffle(values, rng, block):
    """``values`` [T, d] cut into blocks of ``block`` rows, the blocks in a random order that
    moves every block (a derangement: a plain permutation leaves one block in place on
    average, and that block keeps its link to the target)."""
    n = len(values)
    starts = np.arange(0, n, block)
    if len(starts) < 2:
        raise ValueError(f"{n} rows make a single block of {block}: use a block shorter than "
                         "half the series")
    while True:
        order = rng.permutation(len(starts))
        if (order != np.arange(len(starts))).all():
            break
    return np.concatenate([values[starts[i]:starts[i] + block] for i in order], axis=0)


def surrogate_sources(values, bounds, kind, count, rng, *, min_shift=1, block=None):
    """``count`` surrogates of a source [T, d], made series by series.

    Args:
      values: the source rows [T, d] (all series, series contiguous).
      bounds: [(start, stop)] row ranges of the series.
      kind: "shift", "phase" or "block_shuffle".
      count: how many surrogates.
      rng: a ``numpy.random.Generator``.
      min_shift: the smallest circular shift ("shift").
      block: the block length ("block_shuffle").

    Yields:
      float32 [T, d] arrays.
    """
    if kind not in SURROGATE_KINDS + ("block_shuffle",):
        raise ValueError(f"surrogate kind {kind!r} is unknown: use one of "
                         f"{SURROGATE_KINDS + ('block_shuffle',)}")
    values = np.asarray(values)
    panel = panel_shifts(bounds, count, rng, min_shift) if kind == "shift" else None
    shifts = ([circular_shifts(hi - lo, count, rng, min_shift) for lo, hi in bounds]
              if kind == "shift" and panel is None else None)
    rows = np.concatenate([values[lo:hi] for lo, hi in bounds]) if panel is not None else None
    for i in range(count):
        out = np.empty(values.shape, np.float32)
        if panel is not None:
            out[:] = values
            moved = np.roll(rows, int(panel[i]), axis=0)
            start = 0
            for lo, hi in bounds:
                out[lo:hi] = moved[start:start + hi - lo]
                start += hi - lo
            yield out
            continue
        for j, (lo, hi) in enumerate(bounds):
            part = values[lo:hi]
            if kind == "shift":
                out[lo:hi] = np.roll(part, int(shifts[j][i]), axis=0)
            elif kind == "phase":
                out[lo:hi] = phase_randomise(part, rng)
            else:
                out[lo:hi] = block_shuffle(part, rng, int(block))
        yield out
