"""R-D curves of freshly trained learned codecs on the held-out package photos vs JPEG and
WebP (Pillow), same run.

Training: random 64x64 crops of the 12 training photos of ``ibtf.data.images.load_photo_split``;
test: its 4 held-out photos (1.09 MP), never trained on. Rates are real file sizes (the
28/32-byte header included) over pixels; JPEG (4:2:0, optimize=False) and WebP are Pillow's
encoders swept over quality, compared at the codec's bpp by linear interpolation of their
curves (``ibtf.models.codecs.reference``). For the shipped pretrained codec see
``benchmarks.codecs_heldout``.

    python -m benchmarks.codecs_photos [--steps 600] [--lambdas 100,400,1600] [--out DIR]
"""
import argparse
import json
import os
import time

import numpy as np

def _photos():
    from ibtf.data.images import load_photo_split
    train, heldout = load_photo_split()
    names = sorted(heldout)
    return names, [train[n] for n in sorted(train)], [heldout[n] for n in names]


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
    from ibtf.models.codecs.reference import at_bpp, pillow_curve

    names, train, test = _photos()
    crops = random_crops(train, 64, 32 * args.batch_size, seed=args.seed)
    epochs = max(1, args.steps // (len(crops) // args.batch_size))
    data = pipeline.CodecData("photos", crops, test, names)
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
    jpeg = pillow_curve(data.eval_images, "jpeg")
    webp = pillow_curve(data.eval_images, "webp")
    for point in jpeg + webp:
        print(json.dumps(point), flush=True)
    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(args.out, "codecs_photos_rd.png")
    plot_rd_curves(points + jpeg + webp, png, title="held-out package photos (1.09 MP)")
    print("\n| codec | lambda_d | bpp (file) | PSNR dB | MS-SSIM | JPEG PSNR @ bpp | "
          "WebP PSNR @ bpp | JPEG MS-SSIM @ bpp | payload / estimate |")
    print("|---|---|---|---|---|---|---|---|---|")
    fmt = lambda v, digits: "n/a" if v is None else f"{v:.{digits}f}"  # noqa: E731
    for p in points:
        print(f"| {p['label']} | {p['lambda_d']:g} | {p['bpp']:.3f} | {p['psnr']:.2f} | "
              f"{p['ms_ssim']:.4f} | {fmt(at_bpp(jpeg, p['bpp']), 2)} | "
              f"{fmt(at_bpp(webp, p['bpp']), 2)} | "
              f"{fmt(at_bpp(jpeg, p['bpp'], 'ms_ssim'), 4)} | "
              f"{p['payload_over_estimate']:.4f} |")
    print(f"\nplot: {png}; {epochs} epochs x {len(crops) // args.batch_size} steps, batch "
          f"{args.batch_size}, 64x64 crops, filters {args.filters}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
