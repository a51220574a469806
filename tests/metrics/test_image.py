import numpy as np
import pytest

from ibtf._keras import tf
from ibtf.metrics.image import bpp, ms_ssim, ms_ssim_scales, psnr, psnr_from_mse


def test_psnr_closed_form():
    x = np.zeros((2, 8, 8, 3), np.float32)
    y = x.copy()
    y[0] += 0.1                     # mse 0.01 -> 20 dB
    y[1, ::2] += 0.2                # half the pixels off by 0.2 -> mse 0.02 -> 16.99 dB
    np.testing.assert_allclose(psnr(x, y), [20.0, 10 * np.log10(1 / 0.02)], rtol=1e-5)
    np.testing.assert_allclose(psnr(x * 255, y * 255, max_val=255.0), psnr(x, y), rtol=1e-5)
    assert float(psnr_from_mse(0.0)) == pytest.approx(100.0)


def test_ms_ssim_is_one_for_copies_and_falls_with_noise():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(1, 64, 64, 1)).astype(np.float32)
    x = tf.nn.avg_pool2d(x, 3, 1, "SAME")
    noisy = [x + s * rng.normal(size=x.shape).astype(np.float32) for s in (0.02, 0.1)]
    same = float(ms_ssim(x, x)[0])
    a, b = (float(ms_ssim(x, tf.clip_by_value(n, 0, 1))[0]) for n in noisy)
    assert same == pytest.approx(1.0, abs=1e-5)
    assert 1.0 > a > b


@pytest.mark.parametrize("size, expected", [
    ((8, 8), (1, 7)), ((11, 40), (1, 11)), ((22, 22), (2, 11)), ((64, 64), (3, 11)),
    ((176, 200), (5, 11)), ((512, 512), (5, 11))])
def test_ms_ssim_scales_fit_the_image(size, expected):
    assert ms_ssim_scales(*size) == expected


def test_ms_ssim_small_images_and_errors():
    x = np.full((2, 8, 8, 1), 0.5, np.float32)
    assert ms_ssim(x, x).shape == (2,)
    with pytest.raises(ValueError, match="too small"):
        ms_ssim_scales(2, 8)


def test_bpp():
    assert bpp(100, 20, 40) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="positive"):
        bpp(10, 0, 4)
