"""How the FactorVAE metric grows with training steps on the zoo check's procedural shapes.

`python -m benchmarks.zoo_factorvae_curve [--epochs E] [--every K] [--mlp] [--gamma G]
[--seed N]` trains the check's FactorVAE (``ibtf.models.disentangle.zoo_checks``: latent 10,
Bernoulli decoder, batch 64, Adam 1e-3, 5 discriminator steps) on all 3600 images and prints,
every K epochs (56 steps each), one JSON line: steps, the metric (800 / 500 votes, L = 64), its
per-factor accuracy (shape, scale, orientation, x, y), the number of units with a global std
above 0.5, and for each factor the largest share of one such unit's variance it explains
(eta^2 = Var(E[z_d | factor]) / Var(z_d): near 1 when one unit holds the factor), the
reconstruction and KL (nats) and the discriminator's own TC estimate. ``--mlp`` uses the MLP
(256, 256) the check used before the convolutional networks.
"""
import argparse
import json
import time



def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=100, help="training epochs in all")
    parser.add_argument("--every", type=int, default=20, help="epochs between measurements")
    parser.add_argument("--gamma", type=float, default=30.0, help="FactorVAE's TC weight")
    parser.add_argument("--mlp", action="store_true", help="the MLP (256, 256) networks")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.every < 1:
        raise ValueError("--epochs and --every must be >= 1")
    from ibtf._keras import keras
    from ibtf.metrics.disentanglement import factor_shares, factor_vae_score
    from ibtf.models.disentangle import zoo_checks
    from ibtf.models.disentangle.factorvae import FactorVAE
    data = zoo_checks._shapes()
    images, factors = data.dataset()
    networks = (dict(hidden_units=(256, 256)) if args.mlp else zoo_checks.FACTORVAE_NETWORKS)
    model = FactorVAE(data.image_shape, latent_dim=10, beta=1.0, gamma=args.gamma,
                      **networks, discriminator_units=(256, 256), discriminator_steps=5,
                      seed=args.seed)
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9))
    start, epochs = time.perf_counter(), 0
    while epochs < args.epochs:
        block = min(args.every, args.epochs - epochs)
        history = zoo_checks._fit_images(model, images, block, args.seed + epochs).history
        epochs += block
        score = factor_vae_score(model.encode, data, num_train=800, num_eval=500,
                                 seed=args.seed)
        codes = model.encode(images)
        used = codes.std(0) > 0.5
        shares = factor_shares(codes[:, used], factors)
        print(json.dumps({
            "networks": "mlp" if args.mlp else "conv", "gamma": args.gamma, "seed": args.seed,
            "steps": epochs * (len(images) // 64), "metric": score.eval_accuracy,
            "per_factor": [round(float(a), 2) for a in score.per_factor],
            "units_std_above_0.5": int(used.sum()),
            "best_unit_share": [round(float(s), 2) for s in shares.max(0)] if used.any()
            else None,
            "recon_nats": round(float(history["recon_nats"][-1]), 2),
            "kl_nats": round(float(history["kl_nats"][-1]), 2),
            "own_d_tc_nats": round(float(history["tc_nats"][-1]), 3),
            "seconds": round(time.perf_counter() - start, 1)}), flush=True)


if __name__ == "__main__":
    main()
