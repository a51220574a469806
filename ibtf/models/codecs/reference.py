"""The classical codecs a learned codec must beat: JPEG and WebP through Pillow.

``pillow_curve`` sweeps an encoder's quality setting over a set of images and returns one
aggregate point per quality: bpp = 8 * total bytes / total pixels (as ``pipeline.summarize``
counts the learned codec's files) and the mean per-image PSNR / MS-SSIM. ``at_bpp`` reads a
curve at a given rate (linear interpolation between neighbouring qualities, None outside it),
and ``compare`` reports a learned codec's R-D points against JPEG and WebP: the reference's
PSNR at each point's rate, BD-rate and BD-PSNR (``ibtf.metrics.bjontegaard``) over a window.

JPEG is Pillow's libjpeg at its defaults (4:2:0 chroma subsampling, no optimize); WebP is
libwebp's lossy mode at its default method 4.
"""
import io

import numpy as np

__all__ = ["JPEG_QUALITIES", "WEBP_QUALITIES", "pillow_curve", "at_bpp", "compare",
           "BD_WINDOW"]

JPEG_QUALITIES = (3, 5, 8, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 95)
WEBP_QUALITIES = (0, 2, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95)
BD_WINDOW = (0.2, 1.5)
_FORMATS = {"jpeg": ("JPEG", JPEG_QUALITIES, "JPEG (Pillow)"),
            "webp": ("WEBP", WEBP_QUALITIES, "WebP (Pillow)")}


def _encode(image, fmt, quality):
    from PIL import Image
    array = image[:, :, 0] if image.shape[-1] == 1 else image
    if fmt == "WEBP" and array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)  # WebP codes RGB only
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, quality=int(quality))
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as decoded:
        back = np.asarray(decoded.convert("L" if image.shape[-1] == 1 else "RGB"))
    return len(data), back.reshape(image.shape)


def pillow_curve(images, codec="jpeg", qualities=None, with_ms_ssim=True):
    """[{label, quality, bpp, psnr, ms_ssim}] of Pillow's ``codec`` ("jpeg" or "webp") on
    uint8 images [H, W, C], one point per quality, sorted by bpp (``with_ms_ssim=False``
    skips the slower MS-SSIM)."""
    from ibtf.metrics.image import ms_ssim, psnr
    if codec not in _FORMATS:
        raise ValueError(f"codec={codec!r} must be one of {sorted(_FORMATS)}")
    fmt, default, label = _FORMATS[codec]
    images = [np.asarray(i, np.uint8) for i in images]
    if not images:
        raise ValueError("images is empty; pass at least one uint8 [H, W, C] image")
    pixels = sum(i.shape[0] * i.shape[1] for i in images)
    points = []
    for quality in qualities or default:
        total, psnrs, ssims = 0, [], []
        for image in images:
            size, back = _encode(image, fmt, quality)
            total += size
            x = image[None].astype(np.float32) / 255.0
            y = back[None].astype(np.float32) / 255.0
            psnrs.append(float(psnr(x, y)[0]))
            if with_ms_ssim and min(image.shape[:2]) >= 3:
                ssims.append(float(ms_ssim(x, y)[0]))
        point = {"label": label, "quality": int(quality), "bpp": 8.0 * total / pixels,
                 "psnr": float(np.mean(psnrs))}
        if ssims:
            point["ms_ssim"] = float(np.mean(ssims))
        points.append(point)
    return sorted(points, key=lambda p: p["bpp"])


def at_bpp(curve, bpp, key="psnr"):
    """The curve's ``key`` at rate ``bpp`` (linear in bpp between points); None outside."""
    xs = [p["bpp"] for p in curve]
    if not xs or not xs[0] <= bpp <= xs[-1]:
        return None
    return float(np.interp(bpp, xs, [p[key] for p in curve]))


def compare(points, images, window=BD_WINDOW, curves=None, with_ms_ssim=False):
    """A learned codec's R-D ``points`` ({bpp, psnr}) against JPEG and WebP on ``images``.

    Returns {"jpeg": {...}, "webp": {...}}, each with the reference curve, its PSNR at every
    point's bpp ("psnr_at_bpp"), and, when ``points`` has 2 or more rates, "bd_rate" and
    "bd_psnr" over ``window`` (None where the curves do not overlap there). ``curves`` may
    pass precomputed {"jpeg": curve, "webp": curve}.
    """
    from ibtf.metrics.bjontegaard import bd_psnr, bd_rate
    result = {}
    learned = [(p["bpp"], p["psnr"]) for p in points]
    for codec in ("jpeg", "webp"):
        curve = (curves or {}).get(codec) or pillow_curve(images, codec,
                                                            with_ms_ssim=with_ms_ssim)
        reference = [(p["bpp"], p["psnr"]) for p in curve]
        entry = {"curve": curve, "psnr_at_bpp": [at_bpp(curve, p["bpp"]) for p in points]}
        if len({round(b, 6) for b, _ in learned}) >= 2:
            try:
                entry["bd_rate"] = bd_rate(reference, learned, window)
                entry["bd_psnr"] = bd_psnr(reference, learned, window)
            except ValueError:  # fewer than 2 points on the learned curve's rising frontier
                entry["bd_rate"] = entry["bd_psnr"] = None
        result[codec] = entry
    return result
