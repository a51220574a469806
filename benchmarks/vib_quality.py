"""VIB and CEB quality on scikit-learn digits: accuracy at beta = 1e-3 over seeds, and the
rate-accuracy trade-off over beta (a PNG).

Held-out figures (397 test digits, 1400 train). rate_nats upper-bounds I(Z;X); H(Y) - ce_nats
lower-bounds I(Z;Y), which must stay below both the rate and ln 10.
Usage: python -m benchmarks.vib_quality [--seeds 3] [--out benchmarks/results/vib_rate_accuracy.png]
"""
import argparse
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from ibtf._keras import keras  # noqa: E402
from ibtf.models import CEBClassifier, VIBClassifier  # noqa: E402


def digits(seed):
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    idx = np.random.default_rng(seed).permutation(len(x))
    return x[idx[:1400]], data.target[idx[:1400]], x[idx[1400:]], data.target[idx[1400:]]


def fit(cls, beta, seed, epochs=60):
    x, y, x_test, y_test = digits(seed)
    keras.utils.set_random_seed(seed)
    model = cls(num_classes=10, latent_dim=32, beta=beta, hidden_units=(256, 256), seed=seed)
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(x, y, epochs=epochs, batch_size=100, verbose=0)
    result = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    p = np.bincount(y_test, minlength=10) / len(y_test)
    result["iyz_lower"] = -float(np.sum(p * np.log(p))) - result["ce_nats"]
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/vib_rate_accuracy.png")
    args = parser.parse_args(argv)

    print("### Accuracy at beta = 1e-3 (digits, 60 epochs)\n")
    print("| model | seed | accuracy | rate/residual nats | H(Y) - CE nats |")
    print("|---|---|---|---|---|")
    for cls in (VIBClassifier, CEBClassifier):
        accs = []
        for seed in range(args.seeds):
            r = fit(cls, 1e-3, seed)
            accs.append(r["accuracy"])
            rate = r.get("rate_nats", r.get("residual_nats"))
            print(f"| {cls.__name__} | {seed} | {r['accuracy']:.4f} | {rate:.2f} | "
                  f"{r['iyz_lower']:.3f} |", flush=True)
        print(f"| {cls.__name__} | mean | {np.mean(accs):.4f} | | |")

    print("\n### VIB beta sweep (seed 0)\n")
    print("| beta | accuracy | rate_nats | H(Y) - CE | ln 10 |")
    print("|---|---|---|---|---|")
    betas = [1e-4, 1e-3, 1e-2, 1e-1, 0.3, 1.0, 3.0]
    sweep = []
    for beta in betas:
        r = fit(VIBClassifier, beta, 0)
        sweep.append(r)
        print(f"| {beta:g} | {r['accuracy']:.4f} | {r['rate_nats']:.3f} | {r['iyz_lower']:.3f} "
              f"| {math.log(10):.3f} |", flush=True)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    rates = [r["rate_nats"] for r in sweep]
    ax[0].semilogx(betas, rates, "o-", label="rate (≥ I(Z;X))")
    ax[0].semilogx(betas, [r["iyz_lower"] for r in sweep], "s-", label="H(Y) − CE (≤ I(Z;Y))")
    ax[0].axhline(math.log(10), color="gray", ls="--", label="ln 10")
    ax[0].set_xlabel("beta")
    ax[0].set_ylabel("nats")
    ax[0].set_yscale("symlog", linthresh=0.1)
    ax[0].legend()
    ax[1].plot(rates, [r["accuracy"] for r in sweep], "o-")
    for beta, rate, r in zip(betas, rates, sweep):
        ax[1].annotate(f"β={beta:g}", (rate, r["accuracy"]), fontsize=8)
    ax[1].set_xscale("symlog", linthresh=0.1)
    ax[1].set_xlabel("rate_nats (held-out)")
    ax[1].set_ylabel("test accuracy")
    fig.suptitle("Deep VIB on scikit-learn digits")
    fig.tight_layout()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"\nplot: {args.out}")


if __name__ == "__main__":
    main()
