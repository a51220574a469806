"""FactorVAE on the dSprites-like 64 px rendering of `benchmarks.zoo_dsprites_fidelity`.

`python -m benchmarks.zoo_dsprites_factorvae [--images N] [--epochs E] [--gamma G]` renders N
random factor vectors (binary images, like dSprites), trains the zoo check's FactorVAE (MLP
256-256, latent 10, 5 D steps, Adam 1e-3, batch 64) and prints one JSON line: the FactorVAE
metric (800/500 votes, L = 64), a linear probe's held-out accuracy per factor (shape, scale,
orientation, x, y) beside chance, and the metric's training votes [dimension][factor].
"""
import argparse
import json
import time

import numpy as np

from benchmarks.zoo_dsprites_fidelity import DSPRITES_SIZES, render_dsprites_like


class DSpritesLike:
    """The factor interface the FactorVAE metric samples (``ProceduralShapes``' methods)."""
    factor_sizes = DSPRITES_SIZES

    def sample_factors(self, n, rng):
        rng = np.random.default_rng(rng)
        return np.stack([rng.integers(0, k, n) for k in self.factor_sizes], 1)

    def images(self, factors):
        return render_dsprites_like(factors)[..., None]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--images", type=int, default=10_000, help="training images")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs")
    parser.add_argument("--gamma", type=float, default=30.0, help="FactorVAE's TC weight")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    from ibtf._keras import keras, tf
    from ibtf.metrics.disentanglement import factor_vae_score, linear_probe_accuracy
    from ibtf.models.disentangle.factorvae import FactorVAE
    data = DSpritesLike()
    factors = data.sample_factors(args.images, np.random.default_rng(args.seed))
    images = data.images(factors).astype(np.float32)
    keras.utils.set_random_seed(args.seed)
    model = FactorVAE((64, 64, 1), latent_dim=10, beta=1.0, gamma=args.gamma,
                      hidden_units=(256, 256), discriminator_units=(256, 256),
                      discriminator_steps=5, seed=args.seed)
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3, beta_1=0.5,
                                                                     beta_2=0.9))
    batches = (tf.data.Dataset.from_tensor_slices(images).shuffle(args.images, seed=args.seed)
               .batch(64, drop_remainder=True))
    start = time.perf_counter()
    history = model.fit(batches, epochs=args.epochs, verbose=0)
    train_seconds = time.perf_counter() - start

    def encode(x):
        return np.concatenate([model.encode(x[i:i + 2000]) for i in range(0, len(x), 2000)])

    _, probes = linear_probe_accuracy(encode(images[:5000]), factors[:5000])
    score = factor_vae_score(encode, data, num_train=800, num_eval=500, seed=args.seed)
    print(json.dumps({
        "images": args.images, "epochs": args.epochs, "gamma": args.gamma, "seed": args.seed,
        "steps": args.epochs * (args.images // 64), "train_seconds": round(train_seconds, 1),
        "recon_nats": round(float(history.history["recon_nats"][-1]), 2),
        "factorvae_metric": score.eval_accuracy, "active_dims": score.active_dims,
        "probe": [round(float(p), 3) for p in probes],
        "chance": [round(1 / k, 3) for k in DSPRITES_SIZES], "votes": score.votes.tolist()}))


if __name__ == "__main__":
    main()
