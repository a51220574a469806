"""Rate-distortion plots: bpp vs PSNR and bpp vs MS-SSIM, one curve per label."""
import os

__all__ = ["plot_rd_curves"]


def plot_rd_curves(points, path, title="Rate-distortion"):
    """``points``: dicts with label, bpp, psnr and optionally ms_ssim. Writes a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = {}
    for point in points:
        for key in ("bpp", "psnr"):
            if key not in point:
                raise ValueError(f"point {point} lacks {key!r}; pass `ibtf codec eval` "
                                 "summary lines")
        curves.setdefault(str(point.get("label", "codec")), []).append(point)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for label, curve in sorted(curves.items()):
        curve = sorted(curve, key=lambda p: p["bpp"])
        bpp = [p["bpp"] for p in curve]
        axes[0].plot(bpp, [p["psnr"] for p in curve], "o-", label=label)
        if all("ms_ssim" in p for p in curve):
            axes[1].plot(bpp, [p["ms_ssim"] for p in curve], "o-", label=label)
    axes[0].set(xlabel="bits per pixel (file size)", ylabel="PSNR (dB)", title=title)
    axes[1].set(xlabel="bits per pixel (file size)", ylabel="MS-SSIM")
    for axis in axes:
        axis.grid(alpha=0.3)
        axis.legend()
    fig.tight_layout()
    tmp = f"{path}.tmp-{os.getpid()}.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return path
