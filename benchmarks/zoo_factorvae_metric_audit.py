"""The FactorVAE metric on representations that come from the data generator, not from a model.

`python -m benchmarks.zoo_factorvae_metric_audit [--seeds N]` prints one JSON line per
representation with the metric (``ibtf.metrics.disentanglement.factor_vae_score``, 800 / 500
votes, L = 64) over seeds 0..N-1, on the zoo check's procedural shapes (24 px, 3 x 3 x 4 x 10 x
10) and on dSprites' factor grid (3 x 6 x 40 x 32 x 32):

- ``true factors``: the image's own factor vector, looked up from the rendered pixels (all
  images of the check's family are distinct, so the lookup is exact); truth 1.
- ``rotated``: the standardised factors times a random orthogonal 5 x 5 matrix (entangled).
- ``x-y rotated 45 deg``: only x and y mixed.
- ``+ 5 noise dims``: the factors and five N(0, 1) dimensions (still 1: noise never has a
  lower normalised variance than a fixed factor's 0).
- ``+ 5 collapsed dims``: the factors and five dimensions of std 0.01 (pruned).
- ``no shape``: the four other factors only: ceiling (F - 1) / F = 0.8.
- ``no shape + 6 weak dims``: the same with six N(0, 0.1^2) dimensions, i.e. above the 0.05
  prune threshold, like a VAE's half-collapsed units: they collect the shape votes.
- ``identifiable code`` (dSprites' grid): what a perfect encoder can know when the shapes are
  symmetric: a square's orientation only modulo a quarter turn, an ellipse's modulo a half turn
  (dSprites draws all three shapes over a full turn). The code holds the orientation index
  reduced to its canonical value; its score is the metric's ceiling on such data.
"""
import argparse
import json

import numpy as np

from ibtf.data.procedural_shapes import ProceduralShapes
from ibtf.metrics.disentanglement import factor_vae_score

DSPRITES_SIZES = (3, 6, 40, 32, 32)
# Rotation periods in orientation steps (40 per turn): square 90 deg, ellipse 180 deg, heart 360.
DSPRITES_PERIODS = (10, 20, 40)


class FactorGrid:
    """Observations are the factor vectors themselves (for codes defined on factors)."""

    def __init__(self, sizes):
        self.factor_sizes = tuple(sizes)

    def sample_factors(self, n, rng):
        return np.stack([rng.integers(0, k, size=n) for k in self.factor_sizes], axis=1)

    def images(self, factors):
        return np.asarray(factors, np.float64)


def pixel_lookup(data):
    """A representation that reads an image's factors back from its pixels (exact when no two
    factor vectors render the same image; raises otherwise)."""
    factors = data.all_factors()
    table = data.images(factors).reshape(len(factors), -1)
    keys = {row.tobytes(): i for i, row in enumerate(table)}
    if len(keys) != len(factors):
        raise ValueError(f"{len(factors) - len(keys)} factor vectors render an image that "
                         "another one also renders: factors not identifiable from pixels")

    def represent(images):
        rows = np.asarray(images, table.dtype).reshape(len(images), -1)
        return factors[[keys[row.tobytes()] for row in rows]].astype(np.float64)
    return represent


def canonical_orientation(factors, periods=DSPRITES_PERIODS):
    """Factors with the orientation index reduced modulo its shape's rotation period."""
    factors = np.asarray(factors).astype(np.int64)
    factors[:, 2] = factors[:, 2] % np.asarray(periods)[factors[:, 0]]
    return factors


def codes(seed):
    """name -> (representation of factor vectors, family)."""
    rng = np.random.default_rng(1000 + seed)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)

    def standard(f):
        f = np.asarray(f, np.float64)
        return (f - f.mean(0)) / (f.std(0) + 1e-12)

    def xy_rotated(f):
        f = standard(f)
        x, y = f[:, 3].copy(), f[:, 4].copy()
        f[:, 3], f[:, 4] = c * x - s * y, s * x + c * y
        return f
    return {
        "rotated": lambda f: standard(f) @ q,
        "x-y rotated 45 deg": xy_rotated,
        "+ 5 noise dims": lambda f: np.concatenate([f, rng.normal(size=(len(f), 5))], 1),
        "+ 5 collapsed dims": lambda f: np.concatenate(
            [f, 0.01 * rng.normal(size=(len(f), 5))], 1),
        "no shape": lambda f: np.asarray(f, np.float64)[:, 1:],
        "no shape + 6 weak dims": lambda f: np.concatenate(
            [np.asarray(f, np.float64)[:, 1:], 0.1 * rng.normal(size=(len(f), 6))], 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="metric seeds 0..N-1")
    args = parser.parse_args(argv)
    check = ProceduralShapes(image_size=24, num_positions=10)     # the zoo check's data
    rows = {}

    def add(name, family, score):
        rows.setdefault((name, family), []).append(score)

    for seed in range(args.seeds):
        kw = dict(num_train=800, num_eval=500, seed=seed)
        add("true factors (from pixels)", "check", factor_vae_score(
            pixel_lookup(check), check, **kw).eval_accuracy)
        for family, sizes in (("check", check.factor_sizes), ("dSprites grid", DSPRITES_SIZES)):
            for name, represent in codes(seed).items():
                add(name, family, factor_vae_score(represent, FactorGrid(sizes),
                                                   **kw).eval_accuracy)
        add("identifiable code", "dSprites grid", factor_vae_score(
            lambda f: canonical_orientation(f).astype(np.float64), FactorGrid(DSPRITES_SIZES),
            **kw).eval_accuracy)
    for (name, family), scores in rows.items():
        print(json.dumps({"representation": name, "family": family,
                          "scores": [round(s, 3) for s in scores],
                          "mean": round(float(np.mean(scores)), 3)}))


if __name__ == "__main__":
    main()
