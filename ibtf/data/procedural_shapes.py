"""Procedural dSprites-like images with known generative factors.

A small stand-in for dSprites (Matthey et al. 2017) that is drawn in numpy, so no download is
needed: one white shape on a black square image, fully determined by five discrete factors

    shape (rectangle, ellipse, triangle), scale, orientation, x position, y position.

The shapes are elongated (aspect 2.2), so the orientation is visible at low resolution, and the
orientations span a quarter turn (no two values give the same image). Every combination of
factor values is one image; ``sample_factors`` draws factors uniformly, ``images`` renders them,
which is the interface the FactorVAE metric (``ibtf.metrics.disentanglement``) uses.
"""
import dataclasses
import functools

import numpy as np

__all__ = ["ProceduralShapes", "FACTOR_NAMES"]

FACTOR_NAMES = ("shape", "scale", "orientation", "x", "y")
_ASPECT = 2.2


def _check_size(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}={value!r} must be an integer >= {low}")
    return int(value)


@dataclasses.dataclass(frozen=True)
class ProceduralShapes:
    """A dSprites-like image family with known factors.

    Attributes:
      image_size: side of the square images in pixels.
      num_scales, num_orientations, num_positions: values of each factor (3 shapes always).

    >>> data = ProceduralShapes(image_size=16)
    >>> data.images(data.sample_factors(4, np.random.default_rng(0))).shape
    (4, 16, 16, 1)
    """

    image_size: int = 24
    num_scales: int = 3
    num_orientations: int = 4
    num_positions: int = 6

    def __post_init__(self):
        _check_size("image_size", self.image_size, 8)
        _check_size("num_scales", self.num_scales, 1)
        _check_size("num_orientations", self.num_orientations, 1)
        _check_size("num_positions", self.num_positions, 1)

    @property
    def factor_sizes(self):
        """Number of values of each factor, in ``FACTOR_NAMES`` order."""
        return (3, self.num_scales, self.num_orientations, self.num_positions,
                self.num_positions)

    @property
    def factor_names(self):
        return FACTOR_NAMES

    @property
    def image_shape(self):
        return (self.image_size, self.image_size, 1)

    def __len__(self):
        return int(np.prod(self.factor_sizes))

    def sample_factors(self, n, rng):
        """n factor vectors, int64 [n, 5], each factor uniform over its values."""
        rng = np.random.default_rng(rng)
        return np.stack([rng.integers(0, k, size=n) for k in self.factor_sizes], axis=1)

    def all_factors(self):
        """Every factor combination, int64 [len(self), 5] (the whole data set)."""
        grids = np.meshgrid(*[np.arange(k) for k in self.factor_sizes], indexing="ij")
        return np.stack([g.reshape(-1) for g in grids], axis=1)

    def factor_values(self, factors):
        """Physical values (shape id, half-length, angle in radians, x, y) in image units."""
        factors = self._check_factors(factors)
        scales = np.linspace(0.25, 0.45, self.num_scales) if self.num_scales > 1 else \
            np.array([0.3])
        angles = np.arange(self.num_orientations) * (0.5 * np.pi / self.num_orientations)
        margin = 0.42
        positions = np.linspace(-1 + margin, 1 - margin, self.num_positions) \
            if self.num_positions > 1 else np.zeros(1)
        return (factors[:, 0], scales[factors[:, 1]], angles[factors[:, 2]],
                positions[factors[:, 3]], positions[factors[:, 4]])

    def images(self, factors):
        """Factor vectors as float32 images in [0, 1], shape [n, size, size, 1].

        The whole family is rendered once (``render``) and indexed, so drawing many batches
        (the FactorVAE metric draws tens of thousands of images) costs a gather.
        """
        factors = self._check_factors(factors)
        return self._table[np.ravel_multi_index(tuple(factors.T), self.factor_sizes)]

    @functools.cached_property
    def _table(self):
        return self.render(self.all_factors())

    def render(self, factors, chunk=256):
        """Draws factor vectors as float32 images in [0, 1], shape [n, size, size, 1].

        Pixels are anti-aliased by 2x2 supersampling, so small moves change pixel values
        smoothly rather than flipping whole pixels. Drawn ``chunk`` images at a time (the
        supersampled grids of a whole 64 px family would take gigabytes).
        """
        factors = self._check_factors(factors)
        parts = [self._render(factors[i:i + chunk]) for i in range(0, len(factors), chunk)]
        return np.concatenate(parts) if parts else np.zeros((0, *self.image_shape), np.float32)

    def _render(self, factors):
        shape, half, angle, cx, cy = self.factor_values(factors)
        sub = 2 * self.image_size
        grid = (np.arange(sub) + 0.5) / sub * 2.0 - 1.0
        px, py = np.meshgrid(grid, -grid)              # y points up, like a plot
        dx = px[None] - cx[:, None, None]
        dy = py[None] - cy[:, None, None]
        cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
        u = (cos * dx + sin * dy) / half[:, None, None]     # along the long axis
        v = (-sin * dx + cos * dy) / half[:, None, None] * _ASPECT
        rectangle = (np.abs(u) <= 1) & (np.abs(v) <= 1)
        ellipse = u ** 2 + v ** 2 <= 1
        # Isoceles triangle pointing along +u: base at u = -1, apex at u = 1.
        triangle = (u >= -1) & (u <= 1) & (np.abs(v) <= (1 - u) / 2 * 1.6)
        masks = np.stack([rectangle, ellipse, triangle], axis=1)
        fine = masks[np.arange(len(shape)), shape].astype(np.float32)
        coarse = fine.reshape(len(shape), self.image_size, 2, self.image_size, 2).mean((2, 4))
        return coarse[..., None]

    def dataset(self):
        """``(images, factors)`` of every factor combination."""
        factors = self.all_factors()
        return self.images(factors), factors

    def _check_factors(self, factors):
        factors = np.asarray(factors)
        if factors.ndim != 2 or factors.shape[1] != 5 or not np.issubdtype(factors.dtype,
                                                                            np.integer):
            raise ValueError(f"factors must be an int array [n, 5] ({', '.join(FACTOR_NAMES)}), "
                             f"got dtype {factors.dtype} shape {factors.shape}; draw them with "
                             "sample_factors")
        sizes = np.asarray(self.factor_sizes)
        if factors.size and (factors.min() < 0 or np.any(factors.max(axis=0) >= sizes)):
            raise ValueError(f"factors must lie in [0, size) per column, sizes {self.factor_sizes}")
        return factors
