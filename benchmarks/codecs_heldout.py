"""The shipped pretrained codecs on the held-out package photos, against JPEG and WebP.

Held-out photos: ``ibtf.data.images.HELDOUT_PHOTOS`` (skimage's chelsea, rocket,
motorcycle_left; matplotlib's grace_hopper; 1.09 megapixels), never trained on. Everything
goes through real files: the learned codecs' bpp is 8 * file bytes (32-byte header included)
/ pixels, totalled over the images; JPEG (4:2:0) and WebP are Pillow's encoders swept over
quality on the same images. BD-rate and BD-PSNR (``ibtf.metrics.bjontegaard``, PCHIP) over
0.2-1.5 bpp compare the learned curve (one point per shipped quality) with each reference.
The rate table puts the training-time estimate, the evaluation estimate and the file side by
side on the same held-out photos (``pipeline.rate_agreement``).

    python -m benchmarks.codecs_heldout [--out benchmarks/results] [--models DIR,DIR]
"""
import argparse
import json
import os

import numpy as np


ISSUE_WINDOW = (0.3, 1.0)


def print_curves(logs, curves):
    """Quality vs steps: each evaluation of each training log (held-out estimate, bpp and
    PSNR), with JPEG's and WebP's PSNR at that bpp on the same photos."""
    from ibtf.models.codecs.reference import at_bpp
    print("\n| run | step | wall s | held-out bpp (estimate) | PSNR dB | JPEG PSNR @ bpp | "
          "WebP PSNR @ bpp | vs JPEG dB |")
    print("|---|---|---|---|---|---|---|---|")
    for item in logs.split(","):
        name, path = item.split("=", 1)
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        for r in records:
            if "heldout_bpp_estimate" not in r:
                continue
            jpeg = at_bpp(curves["jpeg"], r["heldout_bpp_estimate"])
            webp = at_bpp(curves["webp"], r["heldout_bpp_estimate"])
            fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
            gap = None if jpeg is None else r["heldout_psnr"] - jpeg
            print(f"| {name} | {r['step']} | {r['wall_s']:.0f} | "
                  f"{r['heldout_bpp_estimate']:.4f} | {r['heldout_psnr']:.2f} | {fmt(jpeg)} | "
                  f"{fmt(webp)} | {'n/a' if gap is None else f'{gap:+.2f}'} |")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks.codecs_heldout",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", default=os.path.join("benchmarks", "results"))
    parser.add_argument("--models", default=None,
                        help="comma-separated codec directories (codec.json + weights); "
                             "default: the shipped q1, q2")
    parser.add_argument("--logs", default=None,
                        help="NAME=LOG.jsonl,... training logs for the quality-vs-steps table")
    args = parser.parse_args(argv)

    from ibtf.data.images import load_photo_split
    from ibtf.models.codecs import pipeline
    from ibtf.models.codecs.plots import plot_rd_curves
    from ibtf.models.codecs.reference import BD_WINDOW, compare, pillow_curve
    from ibtf.models.codecs.shipped import QUALITIES, load_path, pretrained_path

    heldout = load_photo_split()[1]
    names = sorted(heldout)
    images = [heldout[n] for n in names]
    paths = args.models.split(",") if args.models else [pretrained_path(q) for q in QUALITIES]
    points, rates = [], []
    for path in paths:
        codec = load_path(path)
        records = pipeline.evaluate_codec(codec, images, names)
        summary = pipeline.summarize(records)
        point = {"label": "ibtf hyperprior (shipped)", "model": os.path.basename(path),
                 "lambda_d": codec.lambda_d, **summary}
        agreement = pipeline.rate_agreement(codec, images)
        rates.append({"model": os.path.basename(path), **agreement})
        print(json.dumps(point), flush=True)
        print(json.dumps(rates[-1]), flush=True)
        points.append(point)
    curves = {c: pillow_curve(images, c) for c in ("jpeg", "webp")}
    for curve in curves.values():
        for p in curve:
            print(json.dumps(p), flush=True)
    result = compare(points, images, BD_WINDOW, curves=curves)
    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(args.out, "codecs_heldout_rd.png")
    plot_rd_curves(points + curves["jpeg"] + curves["webp"], png,
                   title="held-out package photos (1.09 MP)")

    print("\n| model | lambda_d | bpp (file) | PSNR dB | MS-SSIM | JPEG PSNR @ bpp | "
          "WebP PSNR @ bpp | encode ms/MP | decode ms/MP |")
    print("|---|---|---|---|---|---|---|---|---|")
    for i, p in enumerate(points):
        jpeg, webp = result["jpeg"]["psnr_at_bpp"][i], result["webp"]["psnr_at_bpp"][i]
        fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"| {p['model']} | {p['lambda_d']:g} | {p['bpp']:.3f} | {p['psnr']:.2f} | "
              f"{p['ms_ssim']:.4f} | {fmt(jpeg)} | {fmt(webp)} | "
              f"{p['encode_ms_per_mp']:.0f} | {p['decode_ms_per_mp']:.0f} |")
    for window in (BD_WINDOW, ISSUE_WINDOW):
        if window != BD_WINDOW:
            result = compare(points, images, window, curves=curves)
        print(f"\n| reference | BD-rate over {window[0]}-{window[1]} bpp | BD-PSNR (dB) |")
        print("|---|---|---|")
        for codec in ("jpeg", "webp"):
            rate, gain = result[codec].get("bd_rate"), result[codec].get("bd_psnr")
            print(f"| {codec.upper()} (Pillow) | "
                  f"{'n/a (no common quality)' if rate is None else f'{100 * rate:+.1f} %'} | "
                  f"{'n/a' if gain is None else f'{gain:+.2f}'} |")
    print("\n| model | training estimate bpp | evaluation estimate bpp | payload bpp | "
          "file bpp | payload / estimate | training / evaluation estimate |")
    print("|---|---|---|---|---|---|---|")
    for r in rates:
        print(f"| {r['model']} | {r['training_estimate_bpp']:.4f} | {r['estimate_bpp']:.4f} | "
              f"{r['payload_bpp']:.4f} | {r['file_bpp']:.4f} | "
              f"{r['file_over_estimate']:.4f} | {r['training_over_estimate']:.4f} |")
    if args.logs:
        print_curves(args.logs, curves)
    print(f"\nplot: {png}; held-out: {', '.join(names)}; "
          f"{sum(i.shape[0] * i.shape[1] for i in images) / 1e6:.2f} MP; "
          f"mean JPEG PSNR over its sweep {np.mean([p['psnr'] for p in curves['jpeg']]):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
