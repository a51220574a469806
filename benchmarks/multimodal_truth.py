"""Multimodal VAEs against closed forms on bimodal linear-Gaussian data.

x_a = A_a z + 0.5 eps (4-d), x_b = A_b z + 0.3 eps (3-d), z ~ N(0, I_2), A_m with orthogonal
columns (``ibtf.data.linear_gaussian_bimodal(seed=0)``). The exact p(x_b|x_a) and ln p(x_a, x_b)
are computed in numpy from the generating parameters. Reported: (1) the importance-weighted
estimate of ln p(x_a, x_b) with an inflated (x3) proposal around the exact model, against K;
(2) each model trained on 4000 pairs (affine experts and decoders, learned likelihood scales,
d = 2, Adam at 1e-2, 3e-3, 1e-3 for 50 epochs each): conditional generation b|a (6000 draws at
3 test points) against the analytic mean and covariance, and its IW estimate (K = 1000) of
the mean test ln p(x_a, x_b) against the exact value.
Usage: python -m benchmarks.multimodal_truth
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from ibtf._keras import keras  # noqa: E402
from ibtf.data import linear_gaussian_bimodal  # noqa: E402
from ibtf.models.multimodal import MEME, MMVAE, MVAE, Modality, MoPoE  # noqa: E402
from ibtf.models.multimodal.oracle import linear_gaussian_mvae  # noqa: E402


def _conditional_errors(model, truth, xa):
    mean, cov = truth.conditional_b_given_a(xa)
    samples = model.generate({"a": xa}, "b", num_samples=6000, sample_outputs=True)
    sd = np.sqrt(np.diag(cov))
    mean_err = np.max(np.abs(samples.mean(0) - mean) / sd)
    cov_err = max(np.abs(np.cov(samples[:, i].T) - cov).max() for i in range(len(xa)))
    return mean_err, cov_err / np.abs(cov).max()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    args = parser.parse_args(argv)
    truth = linear_gaussian_bimodal(seed=0)
    train, test = truth.sample(4000, seed=1), truth.sample(200, seed=2)
    exact = truth.log_likelihood(test.inputs["a"], test.inputs["b"]).mean()

    print("### IW estimate of ln p(x_a, x_b) vs K (exact model, proposal widened x3)\n")
    print(f"exact mean ln p(x_a, x_b) over 200 test pairs: {exact:.4f} nats\n")
    print("| K | estimate | exact - estimate |")
    print("|---|---|---|")
    oracle = linear_gaussian_mvae(truth, inflate=3.0)
    for k in (1, 10, 100, 1000, 10000):
        est = oracle.log_likelihood(test.as_dict(), num_samples=k).mean()
        print(f"| {k} | {est:.4f} | {exact - est:.4f} |", flush=True)

    print("\n### Trained models vs the closed forms\n")
    print("| model | max abs mean error / sd | max abs cov error / max abs cov | "
          "IW ln p (K=1000) | exact - IW |")
    print("|---|---|---|---|---|")
    models = {"MVAE": (MVAE, {}), "MMVAE": (MMVAE, {"num_samples": 8}), "MoPoE": (MoPoE, {}),
              "MEME": (MEME, {})}
    xa = test.inputs["a"][:3]
    for name, (cls, kwargs) in models.items():
        keras.utils.set_random_seed(0)
        mods = [Modality((4,), name="a", hidden_units=(), learn_scale=True),
                Modality((3,), name="b", hidden_units=(), learn_scale=True)]
        model = cls(mods, latent_dim=2, seed=0, **kwargs)
        model.compile(keras.optimizers.Adam(1e-2))
        for rate in (1e-2, 3e-3, 1e-3):
            model.optimizer.learning_rate.assign(rate)
            model.fit(train.as_dict(), epochs=args.epochs, batch_size=250, verbose=0)
        mean_err, cov_err = _conditional_errors(model, truth, xa)
        est = model.log_likelihood(test.as_dict(), num_samples=1000).mean()
        print(f"| {name} | {mean_err:.3f} | {cov_err:.3f} | {est:.4f} | {exact - est:.4f} |",
              flush=True)


if __name__ == "__main__":
    main()
