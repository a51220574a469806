"""MEME's finite-K bias, measured from the generating model of linear-Gaussian data.

``ibtf.models.multimodal.oracle.linear_gaussian_meme`` sets MEME's experts to the exact
unimodal posteriors p(z|x_m) and its decoders to the generating model of
``linear_gaussian_bimodal(seed=0)``; here the likelihood scales are made learnable, the
pseudo-samples are fitted first (everything else frozen, 100 epochs at 1e-2), then everything
trains at 1e-3. The exact model is a stationary point of the bound (it is tight there), so any
drift of b's likelihood scales away from 0.3, and of I(x_b; z) = E KL(q(z|x_b) || p(z)) away
from the closed form 1/2 sum_i ln(1 + s_i^2 / sigma_b^2), comes from the estimator: the
paired bound weighs draws z ~ q(z|s) by q(t|z) / q(t|s), self-normalised over K draws, a bias
of O(1/K) toward the proposal. ``--no-marginals`` drops the pseudo-sample prior
(``paired_marginals=False``) to show the drift does not come from it.
Usage: python -m benchmarks.multimodal_meme_drift --samples 10 100 1000
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from ibtf._keras import keras, tf  # noqa: E402
from ibtf.data import linear_gaussian_bimodal  # noqa: E402
from ibtf.models.multimodal import MEME, Modality  # noqa: E402
from ibtf.models.multimodal.meme import _normal_log_prob  # noqa: E402
from ibtf.models.multimodal.oracle import linear_gaussian_meme  # noqa: E402


def _from_truth(truth, num_samples, paired_marginals):
    exact = linear_gaussian_meme(truth, num_samples=num_samples)
    keras.utils.set_random_seed(0)
    mods = [Modality((4,), name="a", hidden_units=(), learn_scale=True),
            Modality((3,), name="b", hidden_units=(), learn_scale=True)]
    model = MEME(mods, latent_dim=2, num_samples=num_samples,
                 paired_marginals=paired_marginals, seed=0)
    model.build()
    for mine, theirs in zip(model.modality_layers, exact.modality_layers):
        mine.expert.params.set_weights(theirs.expert.params.get_weights())
        mine.decoder.layers[0].set_weights(theirs.decoder.layers[0].get_weights())
        mine.log_scale.assign(theirs.log_scale)
    return model


def _information(model, test, index):
    locs, scales = model.experts([tf.constant(test.inputs[k]) for k in "ab"])
    z = locs[index] + scales[index] * tf.random.stateless_normal(
        [200, *locs[index].shape], [index, 1])
    return float(tf.reduce_mean(_normal_log_prob(z, locs[index], scales[index])
                                - model.prior_log_prob(z)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--samples", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--no-marginals", action="store_true")
    args = parser.parse_args(argv)
    truth = linear_gaussian_bimodal(seed=0)
    train, test = truth.sample(4000, seed=1), truth.sample(500, seed=2)
    print(f"exact I(x_b; z) = {truth.latent_information('b'):.3f}; b's scales 0.3")
    print("| K | epochs | b's likelihood scales | I(x_b; z) |\n|---|---|---|---|")
    for k in args.samples:
        model = _from_truth(truth, k, not args.no_marginals)
        for m in model.modality_layers:
            m.trainable = False
        model.compile(keras.optimizers.Adam(1e-2))
        if not args.no_marginals:
            model.fit(train.as_dict(), epochs=100, batch_size=250, verbose=0)
        scales = ", ".join(f"{v:.3f}" for v in np.exp(model.modality_layers[1].log_scale.numpy()))
        print(f"| {k} | 0 | {scales} | "
              f"{_information(model, test, 1):.3f} |", flush=True)
        for m in model.modality_layers:
            m.trainable = True
        model.compile(keras.optimizers.Adam(1e-3))
        model.fit(train.as_dict(), epochs=args.epochs, batch_size=250, verbose=0)
        scales = ", ".join(f"{v:.3f}" for v in np.exp(model.modality_layers[1].log_scale.numpy()))
        print(f"| {k} | {args.epochs} | {scales} | "
              f"{_information(model, test, 1):.3f} |", flush=True)


if __name__ == "__main__":
    main()
