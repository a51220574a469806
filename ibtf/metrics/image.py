"""Image quality and rate: PSNR, MS-SSIM (tf.image), bits per pixel from byte counts.

Images are float tensors [batch, height, width, channels] in [0, max_val]; every metric is
per example (reduce with a mean yourself).
"""
import math

import numpy as np

from ibtf._keras import tf

__all__ = ["psnr", "psnr_from_mse", "ms_ssim", "ms_ssim_scales", "bpp"]

# Wang, Simoncelli, Bovik 2003, "Multiscale structural similarity", the 5-scale weights.
_POWER_FACTORS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_FILTER_SIZE = 11


def psnr_from_mse(mse, max_val=1.0):
    """10 log10(max_val^2 / mse) in dB; mse is floored at 1e-10 * max_val^2 (100 dB)."""
    mse = tf.convert_to_tensor(mse, tf.float32)
    floor = 1e-10 * max_val ** 2
    return 10.0 * tf.math.log(max_val ** 2 / tf.maximum(mse, floor)) / math.log(10.0)


def psnr(images, reconstructions, max_val=1.0):
    """Per-example PSNR in dB over all pixels and channels (not per channel)."""
    x = tf.cast(images, tf.float32)
    y = tf.cast(reconstructions, tf.float32)
    return psnr_from_mse(tf.reduce_mean(tf.math.squared_difference(x, y), axis=[-3, -2, -1]),
                         max_val)


def ms_ssim_scales(height, width):
    """(scales, filter_size) used for images of this size.

    The standard MS-SSIM uses 5 scales with an 11x11 window, which needs sides >= 176 pixels.
    Smaller images use as many scales as fit (each scale halves the side, and the smallest
    must still hold the window), with the weights of the kept scales renormalized; images
    smaller than 11 pixels use one scale (plain SSIM) with the largest odd window that fits.
    """
    side = min(int(height), int(width))
    if side < 3:
        raise ValueError(f"images of {height}x{width} are too small for SSIM: both sides "
                         "must be >= 3 pixels")
    if side < _FILTER_SIZE:
        return 1, side if side % 2 else side - 1
    scales = 1 + int(math.floor(math.log2(side / _FILTER_SIZE)))
    return min(len(_POWER_FACTORS), scales), _FILTER_SIZE


def ms_ssim(images, reconstructions, max_val=1.0):
    """Per-example multi-scale SSIM (tf.image.ssim_multiscale); 1 is a perfect copy.

    Height and width must be known statically; see ``ms_ssim_scales`` for small images.
    """
    x = tf.cast(images, tf.float32)
    y = tf.cast(reconstructions, tf.float32)
    height, width = x.shape[-3], x.shape[-2]
    if height is None or width is None:
        raise ValueError("ms_ssim needs images with a static height and width; batch "
                         "fixed-size crops (ibtf.data.images.random_crops)")
    scales, filter_size = ms_ssim_scales(height, width)
    weights = np.asarray(_POWER_FACTORS[:scales], np.float64)
    weights = tuple(float(w) for w in weights / weights.sum())
    return tf.image.ssim_multiscale(x, y, max_val, power_factors=weights,
                                    filter_size=filter_size)


def bpp(num_bytes, height, width):
    """Bits per pixel of a file of ``num_bytes`` holding one height x width image."""
    if int(height) < 1 or int(width) < 1:
        raise ValueError(f"height={height}, width={width} must be positive")
    if num_bytes < 0:
        raise ValueError(f"num_bytes={num_bytes} must be >= 0")
    return 8.0 * float(num_bytes) / (int(height) * int(width))
