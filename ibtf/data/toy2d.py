"""Small synthetic point clouds whose structure is known exactly.

* ``ring_of_gaussians``: a 2-D mixture of K isotropic Gaussians on a circle (InfoGAN's check:
  the modes are known, so a categorical code can be scored against them).
* ``curved_sheet``: a 2-D manifold (a strip of a cylinder) embedded isometrically in D
  dimensions, with its exact geodesic distances (GWAE's check).
"""
import dataclasses

import numpy as np

__all__ = ["RingOfGaussians", "ring_of_gaussians", "CurvedSheet", "curved_sheet"]


def _positive_int(name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name}={value!r} must be an integer >= {low}")
    return int(value)


def _positive_float(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name}={value!r} must be a number > 0")
    return float(value)


@dataclasses.dataclass(frozen=True)
class RingOfGaussians:
    """Points, their mode ids and the mode centres.

    Attributes:
      points: float32 [n, 2].
      modes: int64 [n], the component each point was drawn from.
      centers: float64 [K, 2].
      std: the components' standard deviation.
    """

    points: np.ndarray
    modes: np.ndarray
    centers: np.ndarray
    std: float

    def nearest_mode(self, points):
        """The id of the nearest centre for each point, int64 [n]."""
        points = np.asarray(points, dtype=np.float64)
        return np.argmin(((points[:, None, :] - self.centers[None]) ** 2).sum(-1), axis=1)


def ring_of_gaussians(n, num_modes=8, radius=2.0, std=0.1, seed=0):
    """n points from an equal-weight mixture of ``num_modes`` Gaussians N(mu_k, std^2 I) with
    centres ``mu_k = radius (cos 2 pi k/K, sin 2 pi k/K)`` (the 2-D benchmark of Metz et al.
    2017 and many GAN papers). Returns a ``RingOfGaussians``."""
    n = _positive_int("n", n)
    num_modes = _positive_int("num_modes", num_modes, 2)
    radius, std = _positive_float("radius", radius), _positive_float("std", std)
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    modes = rng.integers(0, num_modes, size=n)
    points = centers[modes] + std * rng.normal(size=(n, 2))
    return RingOfGaussians(points.astype(np.float32), modes, centers, std)


@dataclasses.dataclass(frozen=True)
class CurvedSheet:
    """Points on a curved 2-D sheet in D dimensions and their intrinsic coordinates.

    Attributes:
      points: float32 [n, D].
      coords: float64 [n, 2], the arc-length coordinates (s, h): the sheet unrolled flat.
      embedding: float64 [3, D], the orthonormal rows that place the 3-D sheet in D dims.
    """

    points: np.ndarray
    coords: np.ndarray
    embedding: np.ndarray

    def geodesic_distances(self, index=None):
        """Exact geodesic distances between points (or ``points[index]``): the sheet is a
        developable surface, so they are Euclidean distances of the unrolled coordinates."""
        coords = self.coords if index is None else self.coords[index]
        return np.sqrt(((coords[:, None, :] - coords[None]) ** 2).sum(-1))


def curved_sheet(n, ambient_dim=20, radius=1.0, angle=1.5 * np.pi, height=2.0, noise=0.0,
                 seed=0):
    """n points uniform on a strip of a cylinder, rotated into ``ambient_dim`` dimensions.

    The strip is ``(r cos t, r sin t, h)`` for t in [0, angle], h in [0, height]; it bends
    through ``angle`` radians (1.5 pi: three quarters of a turn, so straight-line distances
    across the bend are much shorter than geodesic ones), and a random orthonormal 3 x D map
    places it in R^D. The geodesic distance between two points is the Euclidean distance of
    their unrolled coordinates ``(r t, h)``. ``noise`` adds isotropic Gaussian noise in R^D.
    """
    n = _positive_int("n", n, 2)
    ambient_dim = _positive_int("ambient_dim", ambient_dim, 3)
    radius, angle, height = (_positive_float("radius", radius), _positive_float("angle", angle),
                             _positive_float("height", height))
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, angle, size=n)
    h = rng.uniform(0, height, size=n)
    sheet = np.stack([radius * np.cos(t), radius * np.sin(t), h], axis=1)
    embedding = np.linalg.qr(rng.normal(size=(ambient_dim, 3)))[0].T
    points = sheet @ embedding
    if noise:
        points = points + noise * rng.normal(size=points.shape)
    return CurvedSheet(points.astype(np.float32), np.stack([radius * t, h], axis=1), embedding)
