"""Trains the pretrained scale-hyperprior codecs that ship in ``ibtf/models/codecs/pretrained``.

Reproducible: fixed seeds, the photo split of ``ibtf.data.images.load_photo_split`` (training
photos only; the held-out photos are only ever evaluated), random ``--patch`` crops redrawn
every ``--crops`` steps from a seeded generator. Every ``--log-every`` steps one JSON line goes
to stdout and ``OUT/log.jsonl``: step, wall seconds, the running training loss/bpp/PSNR (noisy
latents, crops) and, every ``--eval-every`` steps, the held-out estimate (quantized latents,
the range coder's tables: bpp and PSNR over the whole held-out photos). Weights are saved to
``OUT/ckpt_STEP`` and ``OUT/last`` (TensorFlow checkpoints) at each evaluation
(``OUT/best``: the lowest held-out R-D loss, for information only: the shipped models are
the *last* weights, so that no choice is made on the held-out photos). ``--init``
continues from saved weights.

The shipped models (two runs side by side, 2 shared CPU cores):

    nice -n 10 python -m benchmarks.codecs_pretrain --lambda-d 250 --minutes 95 --threads 1 \\
        --patch 64 --log-every 25 --eval-every 100 --checkpoint-every 500 --out runs/l250
    nice -n 10 python -m benchmarks.codecs_pretrain --lambda-d 1600 ...same... --out runs/l1600
    python -m benchmarks.codecs_pretrain --export runs/l250/last --lambda-d 250 \\
        --to ibtf/models/codecs/pretrained/q1

Settings and logs of the shipped models: ``benchmarks/results/codecs_pretrain.md``.
"""
import argparse
import glob
import json
import os
import time

import numpy as np

ARCH = {"filters": 48, "latent_filters": 64, "stages": 4, "hyper_filters": 48,
        "hyper_stages": 2}


def build_codec(lambda_d, seed=0, arch=None):
    from ibtf.models.codecs import ScaleHyperpriorCodec
    codec = ScaleHyperpriorCodec(channels=3, lambda_d=lambda_d, seed=seed, **(arch or ARCH))
    codec.build([None, None, None, 3])
    return codec


def heldout_estimate(codec, images):
    """Aggregate (bpp, mean PSNR, mean MSE) over the held-out photos: the coders' estimated
    bits of the quantized latents and the decoder's 8-bit output (what a real file gives,
    header aside)."""
    from ibtf.metrics.image import psnr
    bits, pixels, psnrs, mses = 0.0, 0, [], []
    for image in images:
        x = image[None].astype(np.float32) / 255.0
        bits += float(codec.estimated_bits(x).numpy()[0])
        pixels += image.shape[0] * image.shape[1]
        x_hat = codec.reconstruct(x).numpy()
        psnrs.append(float(psnr(x, x_hat)[0]))
        mses.append(float(np.mean((x - x_hat) ** 2)))
    return bits / pixels, float(np.mean(psnrs)), float(np.mean(mses))


def train(args):
    from ibtf._keras import keras, tf
    from ibtf.data.images import load_photo_split, random_crops

    os.makedirs(args.out, exist_ok=True)
    train_photos, heldout = load_photo_split()
    train_images = [train_photos[n] for n in sorted(train_photos)]
    heldout_images = [heldout[n] for n in sorted(heldout)]
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    tf.random.set_seed(args.seed)
    codec = build_codec(args.lambda_d, args.seed)
    if args.init:
        codec.load_weights(args.init)
    optimizer = keras.optimizers.Adam(args.learning_rate)
    codec.compile(optimizer, jit_compile=False)
    step_fn = tf.function(codec.train_step)
    settings = {**vars(args), "arch": ARCH, "train_photos": sorted(train_photos),
                "heldout_photos": sorted(heldout)}
    with open(os.path.join(args.out, "settings.json"), "w") as f:
        json.dump(settings, f, indent=1)
    log = open(os.path.join(args.out, "log.jsonl"), "a")
    start, best, crops = time.time(), np.inf, None
    rng_seed, decayed = args.seed, False
    for step in range(1, args.steps + 1):
        if (step - 1) % args.crops == 0:
            crops = random_crops(train_images, args.patch, args.crops * args.batch_size,
                                 seed=rng_seed)
            rng_seed += 1
        index = (step - 1) % args.crops
        batch = crops[index * args.batch_size:(index + 1) * args.batch_size]
        elapsed = time.time() - start
        if (step > 0.8 * args.steps or elapsed > 0.8 * 60 * args.minutes) and \
                not decayed:  # the last 20% (of steps or of the time) at a tenth of the rate
            optimizer.learning_rate.assign(args.learning_rate / 10)
            decayed = True
        logs = step_fn(tf.constant(batch, tf.float32) / 255.0)
        done = step == args.steps or time.time() - start > 60 * args.minutes
        if step % args.log_every == 0 or done:
            record = {"step": step, "wall_s": round(time.time() - start, 1),
                      "learning_rate": float(optimizer.learning_rate.numpy()),
                      **{k: round(float(v), 5) for k, v in logs.items()}}
            if step % args.eval_every == 0 or done:
                for metric in codec.metrics:
                    metric.reset_state()
                bpp, psnr_db, mse = heldout_estimate(codec, heldout_images)
                objective = bpp + args.lambda_d * mse
                record.update({"heldout_bpp_estimate": round(bpp, 4),
                               "heldout_psnr": round(psnr_db, 3),
                               "heldout_objective": round(objective, 4)})
                codec.save_weights(os.path.join(args.out, "last"))
                if step % args.checkpoint_every == 0:
                    codec.save_weights(os.path.join(args.out, f"ckpt_{step}"))
                if objective < best:
                    best = objective
                    codec.save_weights(os.path.join(args.out, "best"))
                    record["best"] = True
            line = json.dumps(record)
            print(line, flush=True)
            log.write(line + "\n")
            log.flush()
        if done:
            break
    log.close()
    return 0


def export(args):
    """Writes weights and codec.json (architecture, lambda_d, model id, provenance) into
    ``--to``, the layout of ``ibtf.models.codecs.shipped``."""
    codec = build_codec(args.lambda_d, args.seed)
    codec.load_weights(args.export).expect_partial()  # no optimizer slots
    os.makedirs(args.to, exist_ok=True)
    for name in glob.glob(os.path.join(args.to, "weights.*")):
        os.remove(name)
    codec.save_weights(os.path.join(args.to, "weights"))  # the codec's variables only
    run = os.path.dirname(os.path.abspath(args.export))
    settings, last = {}, {}
    if os.path.isfile(os.path.join(run, "settings.json")):
        with open(os.path.join(run, "settings.json")) as f:
            settings = json.load(f)
    config = {"arch": ARCH, "lambda_d": args.lambda_d, "model_id": codec.model_id().hex(),
              "trained_by": "benchmarks/codecs_pretrain.py", "weights": os.path.basename(
                  args.export), "settings": {k: v for k, v in settings.items()
                                             if k not in ("out", "init", "export", "to")}}
    if os.path.isfile(os.path.join(run, "log.jsonl")):
        with open(os.path.join(run, "log.jsonl")) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        evaluated = [r for r in lines if "heldout_bpp_estimate" in r]
        last = evaluated[-1] if evaluated else (lines[-1] if lines else {})
    config["checkpoint"] = last
    with open(os.path.join(args.to, "codec.json"), "w") as f:
        json.dump(config, f, indent=1)
    print(json.dumps({"export": args.to, "model_id": config["model_id"]}))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks.codecs_pretrain",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--lambda-d", type=float, default=650.0)
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--minutes", type=float, default=90.0, help="wall-clock budget")
    parser.add_argument("--learning-rate", type=float, default=1e-3,
                        help="Adam; divided by 10 after 80%% of --steps or of --minutes")
    parser.add_argument("--threads", type=int, default=0,
                        help="TensorFlow intra/inter-op threads (0: TensorFlow's default)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--patch", type=int, default=96)
    parser.add_argument("--crops", type=int, default=200,
                        help="batches per draw of fresh random crops")
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--checkpoint-every", type=int, default=1000)
    parser.add_argument("--init", default=None,
                        help="weights (a TensorFlow checkpoint prefix) to start from")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="run directory (training)")
    parser.add_argument("--export", default=None, metavar="WEIGHTS",
                        help="export these weights instead of training")
    parser.add_argument("--to", default=None, help="export directory (with --export)")
    args = parser.parse_args(argv)
    if args.export:
        if not args.to:
            parser.error("--export needs --to")
        return export(args)
    if not args.out:
        parser.error("--out is required for training")
    return train(args)


if __name__ == "__main__":
    raise SystemExit(main())
