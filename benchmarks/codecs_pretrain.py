"""Trains the pretrained scale-hyperprior codecs that ship in ``ibtf/models/codecs/pretrained``.

Reproducible: fixed seeds, the photo split of ``ibtf.data.images.load_photo_split`` (training
photos only; the held-out photos are only ever evaluated), random ``--patch`` crops redrawn
every ``--crops`` steps from a seeded generator. Every ``--log-every`` steps one JSON line goes
to stdout and ``OUT/log.jsonl``: step, wall seconds, the running training loss/bpp/PSNR (noisy
latents, crops) and, every ``--eval-every`` steps, the held-out estimate (quantized latents,
the range coder's tables: bpp and PSNR over the whole held-out photos). Weights are saved to
``OUT/ckpt_STEP`` and ``OUT/last`` (TensorFlow checkpoints) at each evaluation
(``OUT/best``: the lowest held-out R-D loss, for information only: the shipped models are
the *last* weights, so that no choice is made on the held-out photos). ``--init`` starts
from saved weights (with a fresh optimizer; a resumed run ignores it).

Resumable: the whole training state (codec, Adam moments, step) goes to ``OUT/state`` every
``--checkpoint-every`` steps; after a kill, rerunning the same command continues from it (the
crops of a step depend on the seed and the step only, the learning-rate schedule on the step).

The shipped models, in two phases on 2 shared CPU cores. Phase 1 (64x64 crops, two runs side
by side):

    nice -n 10 python -m benchmarks.codecs_pretrain --lambda-d 250 --minutes 95 --threads 1 \\
        --patch 64 --log-every 25 --eval-every 100 --checkpoint-every 500 --out runs/l250
    nice -n 10 python -m benchmarks.codecs_pretrain --lambda-d 1600 ...same... --out runs/l1600
    python -m benchmarks.codecs_pretrain --export runs/l250/last --lambda-d 250 \\
        --to ibtf/models/codecs/pretrained/q1

Phase 3 (the shipped weights since then; phase 2 was an abandoned 100-step try at 1e-3):
fine-tuning on 256x256 crops, so that the hyperprior's side information sees a 4x4 map and
the rate it promises on whole photos is the file's; one run at a time:

    nice -n 10 python -m benchmarks.codecs_pretrain --lambda-d 1600 \\
        --init ibtf/models/codecs/pretrained/q2/weights --patch 256 --batch-size 4 \\
        --learning-rate 2e-4 --warmup 100 --steps 1000 --decay-step 850 --minutes 36 \\
        --log-every 25 --eval-every 100 --checkpoint-every 100 --out runs/q2
    nice -n 10 python -m benchmarks.codecs_pretrain --lambda-d 250 \\
        --init ibtf/models/codecs/pretrained/q1/weights ...same... --steps 800 \\
        --decay-step 650 --minutes 32 --out runs/q1
    python -m benchmarks.codecs_pretrain --export runs/q2/last --lambda-d 1600 \\
        --to ibtf/models/codecs/pretrained/q2

Phase 4 (the shipped weights since 2026-12-06): the phase-3 runs resumed from their state
(weights and Adam moments) with more steps, the same command with a larger ``--steps``:

    nice -n 10 python -m benchmarks.codecs_pretrain --lambda-d 1600 ...phase 3's flags... \\
        --steps 2900 --decay-step 2750 --minutes 60 --out runs/q2
    nice -n 10 python -m benchmarks.codecs_pretrain --lambda-d 250 ...phase 3's flags... \\
        --steps 2000 --decay-step 1850 --minutes 34 --out runs/q1

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


def _crops_for(group, train_images, args):
    """The batches of crop group ``group`` (steps group * crops + 1 ...): a function of the
    seed and the group only, so a resumed run draws the same crops as an uninterrupted one."""
    from ibtf.data.images import random_crops
    return random_crops(train_images, args.patch, args.crops * args.batch_size,
                        seed=args.seed + group)


def _trim_log(path, step):
    """Drops log lines past ``step`` (written after the checkpoint a resumed run starts from)."""
    if not os.path.isfile(path):
        return
    with open(path) as f:
        lines = [line for line in f if line.strip() and json.loads(line)["step"] <= step]
    with open(path, "w") as f:
        f.writelines(lines)


def train(args):
    """Trains (or resumes) the run in ``args.out``. The full state (codec, optimizer moments,
    learning rate, step) is checkpointed to ``OUT/state`` every ``--checkpoint-every`` steps
    and at each evaluation; a rerun of the same command after a kill continues from it."""
    from ibtf._keras import keras, tf
    from ibtf.data.images import load_photo_split

    os.makedirs(args.out, exist_ok=True)
    train_photos, heldout = load_photo_split()
    train_images = [train_photos[n] for n in sorted(train_photos)]
    heldout_images = [heldout[n] for n in sorted(heldout)]
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    tf.random.set_seed(args.seed)
    codec = build_codec(args.lambda_d, args.seed)
    optimizer = keras.optimizers.Adam(args.learning_rate, clipnorm=args.clipnorm or None)
    codec.compile(optimizer, jit_compile=False)
    optimizer.build(codec.codec_variables)
    step_var = tf.Variable(0, dtype=tf.int64, trainable=False)
    state = tf.train.Checkpoint(codec=codec, optimizer=optimizer, step=step_var)
    manager = tf.train.CheckpointManager(state, os.path.join(args.out, "state"), max_to_keep=2)
    log_path = os.path.join(args.out, "log.jsonl")
    if manager.latest_checkpoint:
        state.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        _trim_log(log_path, int(step_var.numpy()))
        print(json.dumps({"resumed": manager.latest_checkpoint,
                          "step": int(step_var.numpy())}), flush=True)
    elif args.init:
        codec.load_weights(args.init).expect_partial()  # weights only: a fresh optimizer
    step_fn = tf.function(codec.train_step)
    decay_step = args.decay_step if args.decay_step is not None else int(0.8 * args.steps)
    settings = {**vars(args), "decay_step": decay_step, "arch": ARCH,
                "train_photos": sorted(train_photos), "heldout_photos": sorted(heldout)}
    with open(os.path.join(args.out, "settings.json"), "w") as f:
        json.dump(settings, f, indent=1)
    log = open(log_path, "a")
    start, crops, group = time.time(), None, None
    best = np.inf
    if os.path.isfile(log_path):
        with open(log_path) as f:
            best = min([json.loads(line).get("heldout_objective", np.inf) for line in f
                        if line.strip()] or [np.inf])
    first = int(step_var.numpy()) + 1
    for step in range(first, args.steps + 1):
        if (step - 1) // args.crops != group:
            group = (step - 1) // args.crops
            crops = _crops_for(group, train_images, args)
        index = (step - 1) % args.crops
        batch = crops[index * args.batch_size:(index + 1) * args.batch_size]
        # the last steps from --decay-step on at a tenth of the rate (by step: reproducible)
        rate = args.learning_rate / 10 if step > decay_step else args.learning_rate
        if step <= args.warmup:  # a linear warm-up: fresh Adam moments on trained weights
            rate *= step / args.warmup
        optimizer.learning_rate.assign(rate)
        logs = step_fn(tf.constant(batch, tf.float32) / 255.0)
        step_var.assign(step)
        done = step == args.steps or time.time() - start > 60 * args.minutes
        evaluate = step % args.eval_every == 0 or done
        if step % args.log_every == 0 or evaluate:
            record = {"step": step, "wall_s": round(time.time() - start, 1),
                      "learning_rate": float(optimizer.learning_rate.numpy()),
                      **{k: round(float(v), 5) for k, v in logs.items()}}
            if evaluate:
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
        if evaluate or step % args.checkpoint_every == 0:
            manager.save(checkpoint_number=step)
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
    init = settings.get("init")
    if init and os.path.isfile(os.path.join(os.path.dirname(init), "codec.json")):
        with open(os.path.join(os.path.dirname(init), "codec.json")) as f:
            previous = json.load(f)  # the shipped model this run fine-tuned: its provenance
        config["fine_tuned_from"] = {k: previous.get(k) for k in
                                     ("model_id", "settings", "checkpoint", "fine_tuned_from")
                                     if previous.get(k) is not None}
    with open(os.path.join(args.to, "codec.json"), "w") as f:
        json.dump(config, f, indent=1)
    print(json.dumps({"export": args.to, "model_id": config["model_id"]}))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks.codecs_pretrain",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--lambda-d", type=float, default=650.0)
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--minutes", type=float, default=90.0,
                        help="wall-clock budget of this invocation (the state is saved: rerun "
                             "the same command to continue)")
    parser.add_argument("--learning-rate", type=float, default=1e-3,
                        help="Adam; divided by 10 after --decay-step")
    parser.add_argument("--decay-step", type=int, default=None,
                        help="the step after which the rate is divided by 10 "
                             "(default: 80%% of --steps)")
    parser.add_argument("--warmup", type=int, default=0,
                        help="steps of linear learning-rate warm-up (for fine-tuning)")
    parser.add_argument("--clipnorm", type=float, default=0.0,
                        help="clip each gradient to this norm (0: no clipping)")
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
