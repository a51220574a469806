"""How faint is each factor? The procedural shapes of the zoo's FactorVAE check vs a dSprites-like
rendering.

`python -m benchmarks.zoo_dsprites_fidelity` prints, for each image family, the mean shape area
(pixels), the mean number of pixels changed by one step of each factor (shape: the next shape;
others: the neighbouring value), and each factor's share of the pixel variance,
sum_pixels Var_v(E[x | factor = v]) / sum_pixels Var(x) (estimated from random draws).

The dSprites-like family follows dSprites' factor grid (Matthey et al. 2017: 64 x 64, square /
ellipse / heart, 6 scales in [0.5, 1], 40 orientations over a full turn, 32 x and 32 y
positions). The sprites' pixel sizes and the position range are not stated by dSprites'
documentation and are approximations here (a square of side 0.3 x 64 px at scale 1, centres over
the middle 60% of the image), so its figures are indicative, not dSprites' own.
"""
import argparse
import json

import numpy as np

from ibtf.data.procedural_shapes import FACTOR_NAMES, ProceduralShapes

DSPRITES_SIZES = (3, 6, 40, 32, 32)


def render_dsprites_like(factors, size=64, base=0.3, ellipse_aspect=2.0, supersample=1):
    """Images [n, size, size] in [0, 1] of the dSprites factor grid: binary like dSprites with
    ``supersample=1``, anti-aliased by averaging ``supersample``^2 sub-pixels otherwise."""
    factors = np.asarray(factors)
    scales = np.linspace(0.5, 1.0, 6)
    angles = np.arange(40) * 2 * np.pi / 40
    positions = np.linspace(0.2, 0.8, 32) * 2 - 1
    fine = supersample * size
    grid = ((np.arange(fine) + 0.5) / fine * 2 - 1).astype(np.float32)
    px, py = np.meshgrid(grid, -grid)
    out = np.zeros((len(factors), size, size), np.float32)
    for start in range(0, len(factors), 500):
        f = factors[start:start + 500]
        half = (base * scales[f[:, 1]])[:, None, None].astype(np.float32)
        angle = angles[f[:, 2]][:, None, None].astype(np.float32)
        dx = px[None] - positions[f[:, 3]][:, None, None].astype(np.float32)
        dy = py[None] - positions[f[:, 4]][:, None, None].astype(np.float32)
        u = (np.cos(angle) * dx + np.sin(angle) * dy) / half
        v = (-np.sin(angle) * dx + np.cos(angle) * dy) / half
        masks = np.zeros(u.shape, bool)
        for shape in range(3):
            rows = f[:, 0] == shape
            su, sv = u[rows], v[rows]
            if shape == 0:                                   # square
                masks[rows] = (np.abs(su) <= 1) & (np.abs(sv) <= 1)
            elif shape == 1:                                 # ellipse
                masks[rows] = su ** 2 + (ellipse_aspect * sv) ** 2 <= 1
            else:                                # heart: (x^2 + y^2 - 1)^3 <= x^2 y^3
                hu, hv = 1.1 * su, 0.25 - 1.1 * sv
                masks[rows] = (hu ** 2 + hv ** 2 - 1) ** 3 - hu ** 2 * hv ** 3 <= 0
        out[start:start + 500] = masks.reshape(len(f), size, supersample, size,
                                               supersample).mean((2, 4))
    return out


def faintness(render, sizes, n=400, n_variance=3000, per_value=150, seed=0):
    rng = np.random.default_rng(seed)

    def draw(m):
        return np.stack([rng.integers(0, k, m) for k in sizes], 1)

    factors = draw(n)
    base = render(factors).reshape(n, -1)
    out = {"area_px": float(base.sum(1).mean()), "pixels_changed_by_one_step": {},
           "variance_share": {}}
    for k, name in enumerate(FACTOR_NAMES):
        moved = factors.copy()
        if k == 0:
            moved[:, 0] = (moved[:, 0] + 1) % sizes[0]
        else:
            moved[:, k] = np.where(moved[:, k] + 1 < sizes[k], moved[:, k] + 1, moved[:, k] - 1)
        out["pixels_changed_by_one_step"][name] = float(
            np.abs(render(moved).reshape(n, -1) - base).sum(1).mean())
    total = render(draw(n_variance)).reshape(n_variance, -1).var(0).sum()
    for k, name in enumerate(FACTOR_NAMES):
        means = []
        for value in range(sizes[k]):
            fixed = draw(per_value)
            fixed[:, k] = value
            means.append(render(fixed).reshape(per_value, -1).mean(0))
        out["variance_share"][name] = float(np.var(np.array(means), 0).sum() / total)
    return out


def _rounded(value):
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round(value, 3) if value < 1 else round(value, 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    check = ProceduralShapes(image_size=24, num_positions=10)   # the FactorVAE check's data
    families = {"zoo check (24 px)": (lambda f: check.render(f)[..., 0], check.factor_sizes),
                "dSprites-like (64 px)": (lambda f: render_dsprites_like(f, supersample=2),
                                           DSPRITES_SIZES)}
    for name, (render, sizes) in families.items():
        figures = faintness(render, sizes, seed=args.seed)
        print(json.dumps({"family": name, **_rounded(figures)}))


if __name__ == "__main__":
    main()
