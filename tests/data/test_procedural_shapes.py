import numpy as np
import pytest

from ibtf.data.procedural_shapes import ProceduralShapes
from ibtf.data.toy2d import curved_sheet, ring_of_gaussians


@pytest.mark.parametrize("size", [24, 48])
def test_every_factor_combination_is_a_distinct_image(size):
    # Orientations span a quarter turn of elongated shapes (rectangle and ellipse repeat every
    # half turn, the triangle every full turn), so no two orientation values look alike.
    data = ProceduralShapes(image_size=size, num_positions=6)
    images, factors = data.dataset()
    assert images.shape == (len(data), size, size, 1) and factors.shape == (len(data), 5)
    assert images.min() >= 0 and images.max() <= 1
    flat = images.reshape(len(images), -1).round(4)
    assert len(np.unique(flat, axis=0)) == len(images)


@pytest.mark.parametrize("size", [24, 48])
def test_chunked_rendering_draws_the_same_images_at_any_size(size):
    data = ProceduralShapes(image_size=size, num_positions=4)
    factors = data.sample_factors(300, np.random.default_rng(0))
    whole = data._render(factors)                          # one pass, no chunks
    np.testing.assert_array_equal(data.render(factors, chunk=7), whole)
    assert whole.shape == (300, size, size, 1)
    # the same sprite covers the same share of the image at every size (2x2 supersampling)
    small = ProceduralShapes(image_size=24, num_positions=4)
    np.testing.assert_allclose(whole.mean((1, 2, 3)), small.render(factors).mean((1, 2, 3)),
                               atol=0.01)


def test_factors_move_the_shape_as_documented():
    data = ProceduralShapes(image_size=24, num_positions=6)
    base = np.array([[1, 1, 0, 0, 0]])
    moved = base.copy()
    moved[0, 3] = 5                                       # x: left -> right
    cols = np.arange(24)
    centre = [float((data.images(f)[0, :, :, 0].sum(0) * cols).sum() / data.images(f).sum())
              for f in (base, moved)]
    assert centre[1] > centre[0] + 8
    bigger = base.copy()
    bigger[0, 1] = 2
    assert data.images(bigger).sum() > 1.5 * data.images(base).sum()
    np.testing.assert_array_equal(data.images(base), data.render(base))


def test_bad_factors_are_clear_errors():
    data = ProceduralShapes()
    with pytest.raises(ValueError, match="int array"):
        data.images(np.zeros((2, 4), np.int64))
    with pytest.raises(ValueError, match="lie in"):
        data.images(np.array([[3, 0, 0, 0, 0]]))
    with pytest.raises(ValueError, match="image_size"):
        ProceduralShapes(image_size=4)


def test_ring_of_gaussians_modes():
    ring = ring_of_gaussians(4000, num_modes=6, radius=2.0, std=0.1, seed=0)
    assert (ring.nearest_mode(ring.points) == ring.modes).mean() > 0.999
    np.testing.assert_allclose(np.linalg.norm(ring.centers, axis=1), 2.0)


def test_curved_sheet_geodesics_are_arc_lengths():
    sheet = curved_sheet(300, ambient_dim=20, angle=1.5 * np.pi, seed=0)
    assert sheet.points.shape == (300, 20)
    np.testing.assert_allclose(sheet.embedding @ sheet.embedding.T, np.eye(3), atol=1e-12)
    ambient = np.linalg.norm(sheet.points[:, None] - sheet.points[None], axis=-1)
    geodesic = sheet.geodesic_distances()
    assert np.all(geodesic >= ambient - 1e-5)               # a chord is never longer
    s, h = sheet.coords[:, 0], sheet.coords[:, 1]           # radius 1: s is the angle
    rebuilt = np.stack([np.cos(s), np.sin(s), h], axis=1) @ sheet.embedding
    np.testing.assert_allclose(sheet.points, rebuilt, atol=1e-5)
    assert ambient.max() < 0.8 * geodesic.max()             # the bend shortens chords
