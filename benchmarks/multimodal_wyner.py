"""The variational Wyner model: common information of Gaussian pairs against the closed form,
and generation / style-content swaps on the digits pairing.

(1) (A, B) bivariate Gaussian with correlation rho (4000 training pairs, 2000 test pairs),
W, U, V one-dimensional, affine experts and decoders with learned scales, beta = 1, Adam 1e-2
(40 epochs) then 1e-3 (20), batch 200: the common rate E KL(q(w|a,b) || p(w)) and the
density-ratio estimate of I(A, B; W) against C = 1/2 ln((1 + rho)/(1 - rho)).
(2) digits pairs (f = 1), MLPs 64-128-128, common 4, private 8, beta 2 on the common rate (a
small, costly W keeps the class and leaves the style to U), ``--steps`` Adam steps:
a PNG with rows = content images of a, columns = style images of a, cells = decode(w of the
row's image, u of the column's image).
Usage: python -m benchmarks.multimodal_wyner [--steps 3000] [--out-dir benchmarks/results]
"""
import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def gaussian_rows(rhos=(0.2, 0.4, 0.6, 0.8)):
    from ibtf._keras import keras
    from ibtf.models.multimodal import Modality, VariationalWyner
    from ibtf.theory.wyner import gaussian_wyner_ci
    rows = []
    for rho in rhos:
        cov = [[1, rho], [rho, 1]]
        rng = np.random.default_rng(0)
        train = rng.multivariate_normal([0, 0], cov, size=4000).astype(np.float32)
        test = np.random.default_rng(1).multivariate_normal([0, 0], cov, size=2000).astype(
            np.float32)
        keras.utils.set_random_seed(0)
        mods = [Modality((1,), name=k, hidden_units=(), learn_scale=True) for k in "ab"]
        model = VariationalWyner(mods, common_dim=1, private_dim=1, seed=0)
        model.compile(keras.optimizers.Adam(1e-2))
        for rate, epochs in ((1e-2, 40), (1e-3, 20)):
            model.optimizer.learning_rate.assign(rate)
            model.fit({"a": train[:, :1], "b": train[:, 1:]}, epochs=epochs, batch_size=200,
                      verbose=0)
        rate, marginal, info = model.common_information({"a": test[:, :1], "b": test[:, 1:]})
        rows.append({"rho": rho, "C": float(gaussian_wyner_ci(rho)), "rate": rate,
                     "marginal_kl": marginal, "info": info})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def digits_swap(path, steps, common_dim, private_dim, beta):
    from ibtf.data import digits_pairs
    from ibtf.models.multimodal import VariationalWyner, protocol
    protocol.register_model("Wyner-swap", lambda mods, latent_dim, seed, settings:
                            VariationalWyner(mods, common_dim=common_dim,
                                             private_dim=private_dim, beta=beta, seed=seed))
    train, test = digits_pairs(seed=0)
    model, info = protocol.train("Wyner-swap", train, "short", seed=0, steps=steps)
    judges = protocol.make_classifiers(train, "multivae")
    pick = [int(np.flatnonzero(test.labels == d)[0]) for d in range(10)]
    styles = [int(np.flatnonzero(test.labels == d)[1]) for d in (0, 1, 4, 7, 8)]
    content, style = test.inputs["a"][pick], test.inputs["a"][styles]
    grid = np.stack([model.swap(content, np.repeat(style[j:j + 1], 10, 0), "a")
                     for j in range(len(styles))], 1)                       # [10, 5, 64]
    kept = float(np.mean([judges["a"](grid[:, j]) == test.labels[pick]
                          for j in range(len(styles))]))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(11, 6, figsize=(4.2, 7.6))
    for ax in axes.ravel():
        ax.axis("off")
    for j in range(len(styles)):
        axes[0, j + 1].imshow(style[j].reshape(8, 8), cmap="gray_r")
    for i in range(10):
        axes[i + 1, 0].imshow(content[i].reshape(8, 8), cmap="gray_r")
        for j in range(len(styles)):
            axes[i + 1, j + 1].imshow(grid[i, j].reshape(8, 8), cmap="gray_r")
    fig.suptitle("Wyner swap: rows keep w (content), columns give u (style)", fontsize=7)
    fig.savefig(path, dpi=110)
    return {"swap_class_kept": kept, **info}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--common-dim", type=int, default=4)
    parser.add_argument("--private-dim", type=int, default=8)
    parser.add_argument("--beta", type=float, default=2.0,
                        help="weight of the common rate (the Wyner multiplier) on digits")
    parser.add_argument("--skip-gaussian", action="store_true")
    parser.add_argument("--out-dir", default="benchmarks/results")
    args = parser.parse_args(argv)
    rows = [] if args.skip_gaussian else gaussian_rows()
    print("| rho | C (closed form) | common rate | I(A,B;W) (density ratio) |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['rho']} | {r['C']:.3f} | {r['rate']:.3f} | {r['info']:.3f} |")
    swap = digits_swap(os.path.join(args.out_dir, "multimodal_wyner_swap.png"), args.steps,
                       args.common_dim, args.private_dim, args.beta)
    print(json.dumps({"gaussian": rows, "digits": swap}))


if __name__ == "__main__":
    main()
