import numpy as np
import pytest
from PIL import Image

from ibtf.data.images import (crop_dataset, load_digits_images, load_sample_photos,
                              random_crops, read_image, read_image_dir, write_png)


def test_digits_and_photos():
    images, labels = load_digits_images()
    assert images.shape == (1797, 8, 8, 1) and images.dtype == np.uint8
    assert images.max() == 255 and labels.shape == (1797,) and set(labels) == set(range(10))
    photos = load_sample_photos()
    assert sorted(photos) == ["china", "flower"]
    assert photos["china"].shape == (427, 640, 3) and photos["china"].dtype == np.uint8


def test_crops_are_deterministic_and_sized():
    photos = list(load_sample_photos().values())
    a = random_crops(photos, 32, 5, seed=1)
    assert a.shape == (5, 32, 32, 3)
    np.testing.assert_array_equal(a, random_crops(photos, 32, 5, seed=1))
    assert not np.array_equal(a, random_crops(photos, 32, 5, seed=2))
    with pytest.raises(ValueError, match="smaller than the crop size"):
        random_crops(photos, 1000, 1)
    batch = next(iter(crop_dataset(a, 4, seed=0)))
    assert batch.shape == (4, 32, 32, 3) and float(batch.numpy().max()) <= 1.0
    with pytest.raises(ValueError, match="one batch"):
        crop_dataset(a, 8)


def test_read_image_modes(tmp_path):
    rgb = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(rgb[:, :, 0]).save(tmp_path / "gray.png")
    Image.fromarray(np.dstack([rgb, np.full((4, 6), 9, np.uint8)])).save(tmp_path / "a.png")
    np.testing.assert_array_equal(read_image(str(tmp_path / "rgb.png")), rgb)
    np.testing.assert_array_equal(read_image(str(tmp_path / "a.png")), rgb)  # alpha dropped
    gray = read_image(str(tmp_path / "gray.png"), channels=3)
    assert gray.shape == (4, 6, 3) and (gray[:, :, 1] == rgb[:, :, 0]).all()
    assert read_image(str(tmp_path / "gray.png"), channels=1).shape == (4, 6, 1)
    with pytest.raises(ValueError, match="grayscale"):
        read_image(str(tmp_path / "rgb.png"), channels=1)


def test_bad_image_files(tmp_path):
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ValueError, match="not an image"):
        read_image(str(tmp_path / "text.png"))
    Image.fromarray(np.full((4, 4), 40000, np.uint16)).save(tmp_path / "deep.png")
    with pytest.raises(ValueError, match="16-bit"):
        read_image(str(tmp_path / "deep.png"))
    with pytest.raises(FileNotFoundError):
        read_image(str(tmp_path / "missing.png"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no"):
        read_image_dir(str(tmp_path / "empty"))


def test_png_round_trip_and_dir(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    write_png(str(tmp_path / "x.png"), image)
    write_png(str(tmp_path / "y.png"), image[:, :, :1])
    files = read_image_dir(str(tmp_path), channels=3)
    assert [n for n, _ in files] == ["x.png", "y.png"]
    np.testing.assert_array_equal(files[0][1], image)
    with pytest.raises(ValueError, match="uint8"):
        write_png(str(tmp_path / "z.png"), image.astype(np.float32))
