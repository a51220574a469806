"""R-D curves of the learned codecs on sklearn's sample photos vs JPEG (Pillow), same run.

Training: random 64x64 crops from the left 384 columns of china.jpg and flower.jpg; test: the
held-out right 256 columns of both (427x256 each). Rates are real file sizes (the 28/32-byte
header included) over pixels; JPEG is Pillow's encoder (4:2:0, optimize=False) swept over
quality, and compared at the codec's bpp by linear interpolation of its R-D curve.

    python -m benchmarks.codecs_photos [--steps 600] [--lambdas 100,400,1600] [--out DIR]
"""
import argparse
import io
import json
import os
import time

import numpy as np

SPLIT_COLUMN = 384


def _photos():
    from ibtf.data.images import load_sample_photos
    photos = load_sample_photos()
    names = sorted(photos)
    train = [photos[n][:, :SPLIT_COLUMN] for n in names]
    test = [photos[n][:, SPLIT_COLUMN:] for n in names]
    return names, train, test


def jpeg_curve(images, qualities=(5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 95)):
    """Aggregate (bpp, mean psnr, mean ms_ssim) of Pillow JPEG at each quality."""
    from PIL import Image

    from ibtf.metrics.image import ms_ssim, psnr
    points = []
    pixels = sum(i.shape[0] * i.shape[1] for i in images)
    for quality in qualities:
        total, psnrs, ssims = 0, [], []
        for image in images:
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
            total += buffer.tell()
            decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
            x = image[None].astype(np.float32) / 255
            y = decoded[None].astype(np.float32) / 255
            psnrs.append(float(psnr(x, y)[0]))
            ssims.append(float(ms_ssim(x, y)[0]))
        points.append({"label": "JPEG (Pillow)", "quality": quality,
                       "bpp": 8.0 * total / pixels, "psnr": float(np.mean(psnrs)),
                       "ms_ssim": float(np.mean(ssims))})
    return points


def at_bpp(curve, bpp, key):
    xs = [p["bpp"] for p in curve]
    ys = [p[key] for p in curve]
    if not xs[0] <= bpp <= xs[-1]:
        return None
    return float(np.interp(bpp, xs, ys))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks.codecs_photos")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--lambdas", default="100,400,1600")
    parser.add_argument("--models", default="factorized,hyperprior")
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--out", default=os.path.join("benchmarks", "results"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from ibtf.data.images import random_crops
    from ibtf.models.codecs import pipeline
    from ibtf.models.codecs.plots import plot_rd_curves

    names, train, test = _photos()
    crops = random_crops(train, 64, 32 * args.batch_size, seed=args.seed)
    epochs = max(1, args.steps // (len(crops) // args.batch_size))
    data = pipeline.CodecData("photos", crops, test, [f"{n}_right" for n in names])
    points = []
    for model in args.models.split(","):
        for lam in (float(v) for v in args.lambdas.split(",")):
            start = time.time()
            codec, history = pipeline.train_codec(
                data, model=model, epochs=epochs, lambda_d=lam, seed=args.seed,
                batch_size=args.batch_size, filters=args.filters, learning_rate=1e-3)
            train_s = time.time() - start
            records = pipeline.evaluate_codec(codec, data.eval_images, data.eval_names)
            estimated = float(np.sum([float(codec.estimated_bits(
                image[None] / 255.0).numpy()[0]) for image in data.eval_images]))
            coded_bits = 8.0 * sum(r["bytes"] for r in records)
            header_bits = 8.0 * len(records) * (24 + 4 * codec.num_strings)
            point = {"label": model, "lambda_d": lam, **pipeline.summarize(records),
                     "train_s": train_s, "steps": epochs * (len(crops) // args.batch_size),
                     "payload_over_estimate": (coded_bits - header_bits) / estimated}
            print(json.dumps(point), flush=True)
            points.append(point)
    jpeg = jpeg_curve(data.eval_images)
    for point in jpeg:
        print(json.dumps(point), flush=True)
    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(args.out, "codecs_photos_rd.png")
    plot_rd_curves(points + jpeg, png, title="sklearn photos, held-out 427x256 regions")
    print("\n| codec | lambda_d | bpp (file) | PSNR dB | MS-SSIM | JPEG PSNR @ bpp | "
          "JPEG MS-SSIM @ bpp | payload / estimate |")
    print("|---|---|---|---|---|---|---|---|")
    for p in points:
        jp, js = at_bpp(jpeg, p["bpp"], "psnr"), at_bpp(jpeg, p["bpp"], "ms_ssim")
        print(f"| {p['label']} | {p['lambda_d']:g} | {p['bpp']:.3f} | {p['psnr']:.2f} | "
              f"{p['ms_ssim']:.4f} | {'n/a' if jp is None else f'{jp:.2f}'} | "
              f"{'n/a' if js is None else f'{js:.4f}'} | {p['payload_over_estimate']:.4f} |")
    print(f"\nplot: {png}; {epochs} epochs x {len(crops) // args.batch_size} steps, batch "
          f"{args.batch_size}, 64x64 crops, filters {args.filters}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
