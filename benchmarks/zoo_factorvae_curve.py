"""How the FactorVAE metric grows with training steps on the zoo check's procedural shapes.

`python -m benchmarks.zoo_factorvae_curve [--epochs E] [--every K] [--mlp] [--gamma G]
[--seed N] [--lr A] [--d-lr B] [--d-steps S] [--gamma-warmup W] [--beta-warmup W]` trains
the check's FactorVAE (``ibtf.models.disentangle.zoo_checks``: latent 10,
Bernoulli decoder, batch 64, Adam 1e-3, 5 discriminator steps) on all 3600 images and prints,
every K epochs (56 steps each), one JSON line: steps, the metric (the check's: 10000 / 5000
votes, L = 64, each image encoded once), its
per-factor accuracy (shape, scale, orientation, x, y), the number of units with a global std
above 0.5, and for each factor the largest share of one such unit's variance it explains
(eta^2 = Var(E[z_d | factor]) / Var(z_d): near 1 when one unit holds the factor), the
reconstruction and KL (nats), the discriminator's own TC estimate, and a 5-NN probe's
held-out accuracy per factor from the whole code and from the units above std 0.5 (is the
factor in the code at all, in any form?). ``--mlp`` uses the MLP
(256, 256) the check used before the convolutional networks. ``--lr``, ``--d-lr`` and
``--d-steps`` change the optimisation (Kim & Mnih: 1e-4, 1e-4, 1); ``--gamma-warmup W`` ramps
the TC weight linearly from 0 to gamma over W steps after ``--gamma-delay`` steps at 0 and
``--beta-warmup W`` the KL weight from 0 to 1 (``ibtf.callbacks.BetaSchedule``);
``--positions P`` uses a P x P position grid instead of the check's 10 x 10.

The discriminator: ``--d-units 1000,1000,1000,1000,1000,1000 --d-activation leaky_relu`` is
Kim & Mnih's (the check: 256,256 relu); ``--d-pool P`` trains it on the last P sampled codes
(a ring buffer, ``FactorVAE(discriminator_pool=P)``) instead of the batch's 64.
``--tc-diag`` adds estimates of the total correlation that the in-training discriminator
cannot game, on codes sampled from q(z|x) for all images (16 draws each): the Gaussian TC
-1/2 ln det R of their correlation matrix R (and of the posterior means' active units), the
in-training discriminator's mean logit on them, and that of a fresh discriminator (``--fresh-d
-units``, 2000 Adam steps of 256 at 1e-3) trained on the frozen codes and read on fresh draws.
``--tc-calibration`` shows on the true factors, x and y rotated, what that fresh discriminator
sees (item 26 of ``results/zoo.md``). ``--seeds 0,1,2`` runs several seeds in turn;
``--latent``, ``--batch-size``, ``--beta`` change the model; ``--d-batch N`` feeds batches of
N rows, the VAE trains on the first ``--batch-size`` and the discriminator sees all N codes
(``FactorVAE(vae_batch_size=...)``).
"""
import argparse
import json
import time

import numpy as np



def knn_accuracy(codes, labels, k=5, folds=3, seed=0):
    """Held-out accuracy of a k-nearest-neighbour vote (Euclidean, standardised codes) over
    ``folds`` random folds: whether a factor is in the code at all, linearly or not."""
    codes = (codes - codes.mean(0)) / (codes.std(0) + 1e-9)
    order = np.random.default_rng(seed).permutation(len(codes))
    right = 0
    for fold in np.array_split(order, folds):
        rest = np.setdiff1d(order, fold)
        dist = ((codes[fold, None, :] - codes[None, rest, :]) ** 2).sum(-1)
        neighbours = labels[rest][np.argsort(dist, axis=1)[:, :k]]
        votes = np.apply_along_axis(np.bincount, 1, neighbours, minlength=labels.max() + 1)
        right += int((votes.argmax(1) == labels[fold]).sum())
    return right / len(codes)


def gaussian_tc(codes):
    """-1/2 ln det of the correlation matrix of ``codes`` [n, d]: the total correlation of a
    Gaussian with those correlations (blind to dependence that is not linear)."""
    return float(-0.5 * np.linalg.slogdet(np.corrcoef(codes, rowvar=False))[1])


def tc_diagnostics(model, images, seed, fresh_units=(256, 256), fresh_steps=2000, draws=16):
    """TC estimates on codes sampled from q(z|x) over all ``images`` (see the module doc)."""
    from ibtf._keras import tf
    from ibtf.estimators.total_correlation import estimate_total_correlation
    posterior = model.bottleneck.posterior(model.encoder(tf.constant(images)))
    mean, std = posterior.mean().numpy(), posterior.stddev().numpy()
    rng = np.random.default_rng(seed)

    def sample():
        return (np.repeat(mean, draws, 0) + np.repeat(std, draws, 0)
                * rng.standard_normal((len(mean) * draws, mean.shape[1]))).astype(np.float32)

    train, held_out = sample(), sample()
    active = mean.std(0) > 0.05
    fresh = estimate_total_correlation(train, steps=fresh_steps, batch_size=256, seed=seed,
                                       hidden_units=fresh_units)
    permuted = np.stack([rng.permutation(c) for c in held_out.T], 1)
    return {"gauss_tc_sampled": round(gaussian_tc(held_out), 3),
            "gauss_tc_means_active": round(gaussian_tc(mean[:, active]), 3)
            if active.sum() > 1 else 0.0,
            "own_d_tc_all": round(float(np.mean(model.discriminator(held_out).numpy())), 3),
            "own_d_tc_permuted": round(float(np.mean(model.discriminator(permuted).numpy())),
                                       3),
            "fresh_d_tc": round(float(np.mean(fresh.discriminator(held_out).numpy())), 3),
            "fresh_d_tc_permuted": round(float(np.mean(fresh.discriminator(permuted).numpy())),
                                         3)}


def tc_calibration(seed=0, draws=16):
    """The fresh discriminator of ``tc_diagnostics`` on codes built from the true factors
    (scale, orientation, x, y standardised, plus 6 N(0, 1) units), with x and y rotated by 0,
    20 and 45 degrees and posterior noise 0.05 or 0.2: does it see a rotated pair? One JSON line
    each (the Gaussian TC is 0 for every rotation of two equal-variance factors)."""
    from ibtf.estimators.total_correlation import estimate_total_correlation
    from ibtf.models.disentangle import zoo_checks
    _, factors = zoo_checks._shapes().dataset()
    z = (factors - factors.mean(0)) / factors.std(0)
    rng = np.random.default_rng(seed)
    for noise in (0.05, 0.2):
        for degrees in (0, 20, 45):
            t = np.deg2rad(degrees)
            code = np.concatenate([z[:, 1:3], z[:, 3:4] * np.cos(t) - z[:, 4:5] * np.sin(t),
                                   z[:, 3:4] * np.sin(t) + z[:, 4:5] * np.cos(t),
                                   np.zeros((len(z), 6))], 1)
            scale = np.r_[[noise] * 4, [1.0] * 6]

            def sample():
                rows = np.repeat(code, draws, 0)
                return (rows + scale * rng.standard_normal(rows.shape)).astype(np.float32)

            train, held_out = sample(), sample()
            fresh = estimate_total_correlation(train, steps=2000, batch_size=256, seed=seed)
            permuted = np.stack([rng.permutation(c) for c in held_out.T], 1)
            real = float(np.mean(fresh.discriminator(held_out).numpy()))
            print(json.dumps({"calibration": "true factors, x and y rotated", "noise": noise,
                              "degrees": degrees, "fresh_d_tc": round(real, 3),
                              "fresh_d_tc_permuted": round(float(np.mean(
                                  fresh.discriminator(permuted).numpy())), 3),
                              "gauss_tc": round(gaussian_tc(held_out), 3)}), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=100, help="training epochs in all")
    parser.add_argument("--every", type=int, default=20, help="epochs between measurements")
    parser.add_argument("--gamma", type=float, default=30.0, help="FactorVAE's TC weight")
    parser.add_argument("--mlp", action="store_true", help="the MLP (256, 256) networks")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--lr", type=float, default=1e-3, help="VAE Adam learning rate")
    parser.add_argument("--d-lr", type=float, default=1e-3,
                        help="discriminator Adam learning rate (betas 0.5, 0.9)")
    parser.add_argument("--d-steps", type=int, default=5, help="D steps per VAE step")
    parser.add_argument("--gamma-warmup", type=int, default=0,
                        help="steps of the linear gamma ramp from 0 (0: none)")
    parser.add_argument("--gamma-delay", type=int, default=0,
                        help="steps trained as a plain VAE (gamma 0) before the gamma ramp")
    parser.add_argument("--positions", type=int, default=10,
                        help="x and y positions of the data (the check: 10)")
    parser.add_argument("--image-size", type=int, default=24,
                        help="image side in pixels (the check: 24; dSprites: 64)")
    parser.add_argument("--conv-filters", default="32,32,64",
                        help="encoder convolutions, comma-separated (Kim & Mnih at 64 px: "
                             "32,32,64,64; the image side must divide by 2**count)")
    parser.add_argument("--beta-warmup", type=int, default=0,
                        help="steps of the linear KL-weight ramp from 0 to 1 (0: none)")
    parser.add_argument("--d-units", default="256,256",
                        help="discriminator widths (Kim & Mnih: six of 1000)")
    parser.add_argument("--d-activation", default="relu",
                        help="discriminator activation (Kim & Mnih: leaky_relu, slope 0.2)")
    parser.add_argument("--d-pool", type=int, default=0,
                        help="discriminator trains on the last P sampled codes (0: the batch)")
    parser.add_argument("--d-batch", type=int, default=0,
                        help="rows per batch whose codes the discriminator sees (the VAE "
                             "trains on the first --batch-size; 0: the same batch)")
    parser.add_argument("--beta", type=float, default=1.0,
                        help="KL weight (FactorVAE: 1; below 1 weighs reconstruction up, as "
                             "larger images do)")
    parser.add_argument("--latent", type=int, default=10, help="code size")
    parser.add_argument("--batch-size", type=int, default=64, help="VAE batch size")
    parser.add_argument("--tc-diag", action="store_true",
                        help="TC estimates the in-training discriminator cannot game")
    parser.add_argument("--fresh-d-units", default="256,256",
                        help="widths of the fresh discriminator of --tc-diag")
    parser.add_argument("--seeds", default=None,
                        help="comma-separated seeds run in turn (overrides --seed)")
    parser.add_argument("--tc-calibration", action="store_true",
                        help="only calibrate --tc-diag's fresh discriminator on rotated true "
                             "factors (no training)")
    args = parser.parse_args(argv)
    if args.tc_calibration:
        return tc_calibration(args.seed)
    if args.epochs < 1 or args.every < 1:
        raise ValueError("--epochs and --every must be >= 1")
    seeds = ([int(s) for s in args.seeds.split(",")] if args.seeds else [args.seed])
    for seed in seeds:
        args.seed = seed
        run(args)


def run(args):
    from ibtf._keras import keras
    from ibtf.callbacks import BetaSchedule
    from ibtf.metrics.disentanglement import factor_shares, factor_vae_score
    from ibtf.models.disentangle import zoo_checks
    from ibtf.models.disentangle.factorvae import FactorVAE
    data = zoo_checks._shapes()
    if args.positions != data.num_positions or args.image_size != data.image_size:
        from ibtf.data.procedural_shapes import ProceduralShapes
        data = ProceduralShapes(image_size=args.image_size, num_positions=args.positions)
    images, factors = data.dataset()
    filters = tuple(int(f) for f in args.conv_filters.split(",") if f.strip())
    networks = (dict(hidden_units=(256, 256)) if args.mlp else
                dict(zoo_checks.FACTORVAE_NETWORKS, conv_filters=filters))
    d_units = tuple(int(u) for u in args.d_units.split(","))
    model = FactorVAE(data.image_shape, latent_dim=args.latent, beta=args.beta, gamma=args.gamma,
                      **networks, discriminator_units=d_units, discriminator_steps=args.d_steps,
                      discriminator_activation=args.d_activation,
                      discriminator_pool=args.d_pool,
                      vae_batch_size=args.batch_size if args.d_batch else 0, seed=args.seed)
    model.compile(keras.optimizers.Adam(args.lr),
                  keras.optimizers.Adam(args.d_lr, beta_1=0.5, beta_2=0.9))
    callbacks = []
    if args.gamma_warmup or args.gamma_delay:
        callbacks.append(BetaSchedule(args.gamma, warmup_steps=max(1, args.gamma_warmup),
                                      delay_steps=args.gamma_delay, attribute="gamma"))
    if args.beta_warmup:
        callbacks.append(BetaSchedule(1.0, warmup_steps=args.beta_warmup))
    start, cpu, epochs = time.perf_counter(), time.process_time(), 0
    steps_per_epoch = len(images) // args.batch_size
    # with --d-batch an epoch has fewer (larger) batches: repeat it to keep the VAE's steps
    rows = args.d_batch or args.batch_size
    repeat = steps_per_epoch // (len(images) // rows)
    if steps_per_epoch % (len(images) // rows):
        raise ValueError("--d-batch must give a whole number of batch-size epochs")
    while epochs < args.epochs:
        block = min(args.every, args.epochs - epochs)
        history = zoo_checks._fit_images(model, images, block * repeat, args.seed + epochs,
                                         batch_size=rows,
                                         callbacks=callbacks).history
        train_cpu = time.process_time() - cpu
        epochs += block
        score = factor_vae_score(model.encode, data, num_train=10_000, num_eval=5_000,
                                 num_variance_estimate=10_000, seed=args.seed, table=True)
        codes = model.encode(images)
        used = codes.std(0) > 0.5
        shares = factor_shares(codes[:, used], factors)
        diag = (tc_diagnostics(model, images, args.seed,
                               tuple(int(u) for u in args.fresh_d_units.split(",")))
                if args.tc_diag else {})
        print(json.dumps({
            "networks": "mlp" if args.mlp else "conv", "gamma": args.gamma, "seed": args.seed,
            "lr": args.lr, "d_lr": args.d_lr, "d_steps": args.d_steps,
            "gamma_warmup": args.gamma_warmup, "gamma_delay": args.gamma_delay,
            "beta_warmup": args.beta_warmup, "positions": args.positions,
            "image_size": args.image_size, "conv_filters": list(filters),
            "d_units": list(d_units), "d_activation": args.d_activation,
            "d_pool": args.d_pool, "d_batch": args.d_batch, "latent": args.latent,
            "beta": args.beta,
            "batch_size": args.batch_size,
            "steps": epochs * steps_per_epoch, "metric": score.eval_accuracy,
            "per_factor": [round(float(a), 2) for a in score.per_factor],
            "units_std_above_0.5": int(used.sum()),
            "best_unit_share": [round(float(s), 2) for s in shares.max(0)] if used.any()
            else None,
            "knn5_per_factor": [round(knn_accuracy(codes, factors[:, k]), 2) for k in range(5)],
            "knn5_units_above_0.5": [round(knn_accuracy(codes[:, used], factors[:, k]), 2)
                                     for k in range(5)] if used.any() else None,
            "recon_nats": round(float(history["recon_nats"][-1]), 2),
            "kl_nats": round(float(history["kl_nats"][-1]), 2),
            "own_d_tc_nats": round(float(history["tc_nats"][-1]), 3), **diag,
            "seconds": round(time.perf_counter() - start, 1),
            "cpu_s": round(train_cpu, 1)}), flush=True)


if __name__ == "__main__":
    main()
