"""Rate-distortion-classification and rate-perception-classification on labelled images, vs theory.

``--dataset digits`` (default): scikit-learn's 8x8 digits, 10 classes. ``--dataset lfw_faces``:
scikit-image's ``data.lfw_subset()``, 200 grey 25x25 crops from Labeled Faces in the Wild, the
first 100 faces and the last 100 non-faces (background crops), per its docstring: label 1 face,
0 non-face; a stratified 70/30 split (140 / 60) and a small frozen CNN classifier trained on the
140 (`faces_classifier`). Both sets ship with the packages; nothing is downloaded.

The low-rate fixed-quantizer codec (`ibtf.models.codecs.QuantizedCodec`) is trained on the
scikit-learn digits (8x8, pixels in [0, 1]; stratified 70/30 split) at rates fixed by the
quantizer, dim * log2(L) bits per image, sweeping the weights of the objective of Wang, Wu,
Ma & Zhang 2024:

* RDC sweep: lambda_d = 1, lambda_p = 0, lambda_c over a grid (distortion vs classification);
* RPC sweep: lambda_d = 0, lambda_c fixed, lambda_p over a grid (perception vs classification).

Each point is measured on the test split: MSE per pixel, the cross-entropy (nats) and accuracy
of the frozen pretrained classifier on the reconstructions, and W1 estimated by a *fresh*
WGAN-GP critic fitted on train-split images vs train-split reconstructions and evaluated on the
test split (independent of the codec's own critic, which is also reported).

Theory: a Gaussian proxy fitted to the train split (see `gaussian_proxy`): the pixel
covariance gives the Gaussian R(D) by reverse water-filling, and the label is replaced by its
first canonical variate S (a scalar function of the class, unit variance) whose correlation
rho with the pixels gives the Gaussian classification rate R_C(C) = R(P, C) of
`ibtf.theory.gaussian_rpc`/`gaussian_rdc`. A codec's proxy classification loss is
1/2 ln(2 pi e Var[S - linear fit of S on Xhat]) (fit on train reconstructions, residual on
test), the Gaussian upper bound on h(S | Xhat) that the proxy theory bounds from below.

Usage: python -m benchmarks.codecs_rdc [--dataset digits] [--epochs 60] [--rates 2x4,4x4]
    [--out PNG] [--quick]
"""
import argparse
import time

import numpy as np

RATES = ((2, 4), (4, 4))                  # (dim, L): 4 and 8 bits per image
RDC_LAMBDA_C = (0.0, 0.003, 0.01, 0.03, 0.1)
RPC_LAMBDA_P = (0.0, 0.03, 0.1, 0.3, 1.0)
RPC_LAMBDA_C = 1.0
TWO_PI_E = 2 * np.pi * np.e


def _floats(text):
    return tuple(float(v) for v in text.split(",") if v)


def _rates(text):
    return tuple(tuple(int(v) for v in item.split("x")) for item in text.split(",") if item)


# -- data sets ---------------------------------------------------------------------------------
def load_lfw_faces_split(test_fraction=0.3, split_seed=0):
    """scikit-image's LFW subset: [N, 25, 25, 1] float32 in [0, 1], label 1 face / 0 not."""
    from skimage.data import lfw_subset
    from sklearn.model_selection import train_test_split
    images = np.asarray(lfw_subset(), np.float32)
    if images.max() > 1.0:  # the docstring says uint8; 0.24 returns floats in [0, 1]
        images = images / 255.0
    labels = np.r_[np.ones(100), np.zeros(len(images) - 100)].astype(np.int32)
    x_tr, x_te, y_tr, y_te = train_test_split(images[..., None], labels,
                                              test_size=test_fraction,
                                              random_state=split_seed, stratify=labels)
    return x_tr, y_tr, x_te, y_te


def faces_classifier(data, seed=0, epochs=60):
    """Conv3x3/2(8) - Conv3x3/2(16) - Dense(2) on the train split, Adam 2e-3; frozen."""
    from ibtf._keras import keras, tf
    x, y, xt, yt = data
    keras.utils.set_random_seed(seed)
    init = keras.initializers.GlorotUniform
    model = keras.Sequential([
        keras.Input(x.shape[1:]),
        keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu",
                            kernel_initializer=init(seed)),
        keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu",
                            kernel_initializer=init(seed + 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(2, kernel_initializer=init(seed + 2))], name="faces_classifier")
    model.compile(keras.optimizers.Adam(2e-3),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=epochs, batch_size=32, shuffle=True, verbose=0)
    model.trainable = False
    return model, float(np.mean(model(xt).numpy().argmax(-1) == yt))


def load_dataset(name, classifier_seed=0):
    """(data, frozen classifier, its test accuracy, number of classes)."""
    if name == "digits":
        from ibtf.losses import load_digits_split, pretrained_digits_classifier
        classifier, acc = pretrained_digits_classifier(seed=classifier_seed,
                                                       return_accuracy=True)
        return load_digits_split(), classifier, acc, 10
    if name == "lfw_faces":
        data = load_lfw_faces_split()
        return (data, *faces_classifier(data, seed=classifier_seed), 2)
    raise ValueError(f"--dataset {name!r} is unknown; pick one of {DATASETS}")


DATASETS = ("digits", "lfw_faces")


# -- the Gaussian proxy --------------------------------------------------------------------
def gaussian_proxy(x_train, y_train, ridge=1e-3, classes=10):
    """Fits the proxy: pixel-covariance eigenvalues and the first canonical label variate.

    CCA between pixels X and the one-hot class (first ``classes - 1`` columns, centred): with
    ``M = Cxx^{-1/2} Cxy Cyy^{-1/2}``, rho is M's largest singular value and ``S = b^T y``,
    ``b = Cyy^{-1/2} v_1`` scaled to unit variance. ``ridge`` (times the mean pixel variance)
    regularises Cxx, which is singular (constant border pixels).
    """
    x = x_train.reshape(len(x_train), -1).astype(np.float64)
    xc = x - x.mean(0)
    onehot = np.eye(classes)[y_train][:, :classes - 1]
    yc = onehot - onehot.mean(0)
    n = len(x)
    cxx = xc.T @ xc / n
    cxx += ridge * np.trace(cxx) / len(cxx) * np.eye(len(cxx))
    cyy, cxy = yc.T @ yc / n, xc.T @ yc / n

    def inv_sqrt(c):
        w, v = np.linalg.eigh(c)
        return v @ np.diag(w**-0.5) @ v.T

    m = inv_sqrt(cxx) @ cxy @ inv_sqrt(cyy)
    u, sv, vt = np.linalg.svd(m)
    b = inv_sqrt(cyy) @ vt[0]
    b /= np.std(yc @ b)
    eig = np.linalg.eigvalsh(xc.T @ xc / n)
    return {"eigenvalues": eig[eig > 1e-8], "rho": float(sv[0]), "label_weights": b,
            "label_mean": onehot.mean(0), "var_s": 1.0, "classes": classes, "pixels": len(cxx)}


def label_variate(proxy, labels):
    k = proxy["classes"]
    return (np.eye(k)[labels][:, :k - 1] - proxy["label_mean"]) @ proxy["label_weights"]


def proxy_classification(proxy, feats_train, y_train, feats_test, y_test, ridge=1e-3):
    """1/2 ln(2 pi e residual variance) of S on a ridge-linear fit from features (nats)."""
    a = feats_train.reshape(len(feats_train), -1).astype(np.float64)
    b = feats_test.reshape(len(feats_test), -1).astype(np.float64)
    mean = a.mean(0)
    a, b = a - mean, b - mean
    s_train, s_test = label_variate(proxy, y_train), label_variate(proxy, y_test)
    gram = a.T @ a + ridge * len(a) * np.eye(a.shape[1])
    w = np.linalg.solve(gram, a.T @ (s_train - s_train.mean()))
    resid = s_test - s_train.mean() - b @ w
    return 0.5 * np.log(TWO_PI_E * np.mean(resid**2))


def theory_distortion(proxy, rate_bits):
    """MSE per pixel at which the proxy's Gaussian R(D) (reverse water-filling) equals R."""
    from ibtf.theory import reverse_water_filling
    eig = proxy["eigenvalues"]
    lo, hi, target = 0.0, float(eig.sum()), rate_bits * np.log(2)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if reverse_water_filling(eig, mid).rate_nats <= target else (mid, hi)
    return hi / proxy["pixels"]


def theory_rate_bits(proxy, mse_per_pixel):
    from ibtf.theory import reverse_water_filling
    distortion = proxy["pixels"] * mse_per_pixel
    return reverse_water_filling(proxy["eigenvalues"], distortion).rate_nats / np.log(2)


def theory_classification(proxy, rate_bits):
    """The least h(S|Xhat) at rate R: the C with R(P, C) = R_C(C) = R (any P), nats.

    Solved from the closed form and checked against `ibtf.theory.gaussian_rpc` and
    `gaussian_rdc` (which must both return R there)."""
    from ibtf.theory import gaussian_rdc, gaussian_rpc
    rho, var_s, r = proxy["rho"], proxy["var_s"], rate_bits * np.log(2)
    c = 0.5 * np.log(TWO_PI_E * var_s * (1 - rho**2 * (1 - np.exp(-2 * r))))
    for p in (0.0, 0.5, 5.0):
        assert abs(gaussian_rpc(p, c, 1.0, var_s, rho) - r) < 1e-6
    assert abs(gaussian_rdc(1e9, c, 1.0, var_s, rho) - r) < 1e-6
    return c


# -- training and measuring ------------------------------------------------------------------
def run_point(data, classifier, proxy, dim, levels, lambda_d, lambda_p, lambda_c, epochs,
              seed, eval_steps, batch_size=64):
    from ibtf._keras import keras
    from ibtf.losses import classification_nats, fit_w1_critic
    from ibtf.models.codecs import QuantizedCodec
    x, y, xt, yt = data
    start = time.time()
    codec = QuantizedCodec(image_shape=x.shape[1:], latent_dim=dim, levels=levels,
                           lambda_d=lambda_d, lambda_p=lambda_p, lambda_c=lambda_c,
                           classifier=classifier, seed=seed)
    codec.compile(keras.optimizers.Adam(1e-3))
    codec.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    own = codec.evaluate(xt, yt, batch_size=len(xt), verbose=0, return_dict=True)
    rec, rec_t = codec(x).numpy(), codec(xt).numpy()
    logits = classifier(rec_t).numpy()
    _, w1 = fit_w1_critic(x, rec, xt, rec_t, steps=eval_steps, seed=seed)
    return {"rate_bits": codec.rate_bits, "bpp": codec.bpp, "dim": dim, "levels": levels,
            "lambda_d": lambda_d, "lambda_p": lambda_p, "lambda_c": lambda_c,
            "mse": float(np.mean((rec_t - xt) ** 2)),
            "ce_nats": float(np.mean(classification_nats(classifier, rec_t, yt))),
            "accuracy": float(np.mean(logits.argmax(-1) == yt)),
            "w1": w1, "own_w1": float(own["perception_w1"]),
            "c_proxy": float(proxy_classification(proxy, rec, y, rec_t, yt,
                                                  ridge=proxy.get("ridge", 1e-3))),
            "distinct_codes": int(len(np.unique(codec.compress(xt).numpy(), axis=0))),
            "seconds": time.time() - start}


def plot(rdc, rpc, proxy, rates, out, c_pixels=None, dataset="digits"):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(11, 9))
    colors = {r: c for r, c in zip(sorted({p["rate_bits"] for p in rdc + rpc}),
                                   ["tab:blue", "tab:orange", "tab:green", "tab:red"])}
    # (a) R(D)
    ax = axes[0, 0]
    var_pixel = proxy["eigenvalues"].sum() / proxy["pixels"]
    r_max = 2 * max(p["rate_bits"] for p in rdc + rpc)
    mse_grid = np.linspace(0.05, 1.0, 200) * var_pixel
    ax.plot(mse_grid, [theory_rate_bits(proxy, m) for m in mse_grid], "k-",
            label="Gaussian proxy R(D) (water-filling)")
    for p in rdc:
        ax.scatter(p["mse"], p["rate_bits"], color=colors[p["rate_bits"]],
                   s=15 + 400 * p["lambda_c"])
    ax.set(xlabel="test MSE per pixel", ylabel="rate (bits / image)",
           xlim=(0.0, 1.1 * var_pixel), ylim=(0, r_max),
           title=f"{dataset} (a) RDC sweep: rate vs distortion (size ~ lambda_c)")
    ax.legend(fontsize=8)
    # (b) R_C(C)
    ax = axes[0, 1]
    c_floor = 0.5 * np.log(TWO_PI_E * (1 - proxy["rho"] ** 2))
    r_grid = np.linspace(0.0, r_max, 200)
    ax.plot([theory_classification(proxy, r) for r in r_grid], r_grid, "k-",
            label=f"Gaussian proxy R_C(C) = R(P, C), rho = {proxy['rho']:.3f}")
    ax.axvline(c_floor, color="k", ls=":", label="h(S|X) floor of the proxy (train rho)")
    if c_pixels is not None:
        ax.axvline(c_pixels, color="gray", ls="--",
                   label="proxy measured on test pixels (Xhat = X)")
    for p in rdc:
        ax.scatter(p["c_proxy"], p["rate_bits"], color=colors[p["rate_bits"]], marker="o")
    for p in rpc:
        ax.scatter(p["c_proxy"], p["rate_bits"], color=colors[p["rate_bits"]], marker="x")
    ax.set(xlabel="proxy h(S | Xhat) (nats)", ylabel="rate (bits / image)", ylim=(0, r_max),
           title="(b) rate vs classification (o RDC, x RPC)")
    ax.legend(fontsize=8)
    # (c) D vs CE at fixed rate
    ax = axes[1, 0]
    for r in sorted({p["rate_bits"] for p in rdc}):
        pts = sorted([p for p in rdc if p["rate_bits"] == r], key=lambda p: p["lambda_c"])
        ax.errorbar([p["mse"] for p in pts], [p["ce_nats"] for p in pts],
                    xerr=[p.get("mse_sd", 0) for p in pts],
                    yerr=[p.get("ce_nats_sd", 0) for p in pts], fmt="o-", color=colors[r],
                    capsize=2, label=f"{r:g} bits: lambda_c {pts[0]['lambda_c']:g} -> "
                                     f"{pts[-1]['lambda_c']:g}")
        ax.axvline(theory_distortion(proxy, r), color=colors[r], ls="--", lw=0.8)
    ax.set(xlabel="test MSE per pixel (dashed: Gaussian-proxy D(R))",
           ylabel="classifier CE on reconstructions (nats)",
           title="(c) distortion vs classification at fixed rate")
    ax.legend(fontsize=8)
    # (d) P vs CE at fixed rate
    ax = axes[1, 1]
    for r in sorted({p["rate_bits"] for p in rpc}):
        pts = sorted([p for p in rpc if p["rate_bits"] == r], key=lambda p: p["lambda_p"])
        ax.errorbar([p["w1"] for p in pts], [p["ce_nats"] for p in pts],
                    xerr=[p.get("w1_sd", 0) for p in pts],
                    yerr=[p.get("ce_nats_sd", 0) for p in pts], fmt="x-", color=colors[r],
                    capsize=2, label=f"{r:g} bits: lambda_p {pts[0]['lambda_p']:g} -> "
                                     f"{pts[-1]['lambda_p']:g}")
    ax.set(xlabel="test W1 (fresh WGAN-GP critic); bars: sd over seeds",
           ylabel="classifier CE on reconstructions (nats)",
           title=f"(d) perception vs classification (lambda_d = 0, lambda_c = {RPC_LAMBDA_C:g})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def _key(p):
    return (p["rate_bits"], p["lambda_d"], p["lambda_p"], p["lambda_c"])


def aggregate(points):
    """Mean and standard deviation over seeds of every measured field, per setting."""
    groups = {}
    for p in points:
        groups.setdefault(_key(p), []).append(p)
    rows = []
    for key in sorted(groups):
        pts = groups[key]
        row = {k: pts[0][k] for k in ("rate_bits", "bpp", "lambda_d", "lambda_p", "lambda_c",
                                      "sweep")}
        row["seeds"] = len(pts)
        for k in MEASURED:
            values = np.array([q[k] for q in pts], dtype=float)
            row[k], row[k + "_sd"] = float(values.mean()), float(values.std(ddof=1)) \
                if len(values) > 1 else 0.0
        rows.append(row)
    return rows


MEASURED = ("mse", "ce_nats", "accuracy", "w1", "own_w1", "c_proxy", "distinct_codes",
            "seconds")


def _row_table(rows):
    keys = ["rate_bits", "lambda_d", "lambda_p", "lambda_c", "seeds"]
    head = "| " + " | ".join(keys + list(MEASURED)) + " |\n|" + "---|" * (
        len(keys) + len(MEASURED)) + "\n"
    lines = []
    for r in rows:
        cells = [f"{r[k]:g}" for k in keys]
        cells += [f"{r[k]:.4g} ± {r[k + '_sd']:.2g}" if r["seeds"] > 1 else f"{r[k]:.4g}"
                  for k in MEASURED]
        lines.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(lines)


def main(argv=None):
    import json
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--dataset", choices=DATASETS, default="digits")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--proxy-ridge", type=float, default=1e-3,
                        help="ridge of the proxy's CCA and of the linear read-out of S; with "
                             "fewer images than pixels (lfw_faces: 140 vs 625) 1e-3 overfits")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--rates", type=_rates, default=RATES, help="dimxL,... e.g. 2x4,4x4")
    parser.add_argument("--rdc", type=_floats, default=RDC_LAMBDA_C, help="lambda_c grid")
    parser.add_argument("--rpc", type=_floats, default=RPC_LAMBDA_P, help="lambda_p grid")
    parser.add_argument("--eval-steps", type=int, default=1500)
    parser.add_argument("--seeds", default="0", help="codec seeds, e.g. 0,1,2")
    parser.add_argument("--classifier-seed", type=int, default=0)
    parser.add_argument("--out", default=None,
                        help="figure (default: benchmarks/results/codecs_rdc.png for digits, "
                             "codecs_rdc_DATASET.png otherwise)")
    parser.add_argument("--points", default=None,
                        help="JSON file of measured points: appended to, and all of it plotted")
    parser.add_argument("--quick", action="store_true", help="one rate, two points, 5 epochs")
    args = parser.parse_args(argv)
    seeds = [int(v) for v in args.seeds.split(",") if v]
    if args.quick:
        args.rates, args.rdc, args.rpc, args.epochs, args.eval_steps, seeds = \
            ((2, 4),), (0.0, 0.1), (0.0, 1.0), 5, 200, [0]
    if args.out is None:
        args.out = "benchmarks/results/codecs_rdc" + (
            "" if args.dataset == "digits" else f"_{args.dataset}") + ".png"
    data, classifier, acc, classes = load_dataset(args.dataset, args.classifier_seed)
    x, y, xt, yt = data
    proxy = gaussian_proxy(x, y, ridge=args.proxy_ridge, classes=classes)
    proxy["ridge"] = args.proxy_ridge
    print(f"{args.dataset}: {len(x)} train / {len(xt)} test images of {x.shape[1:]}, "
          f"{classes} classes; frozen classifier test accuracy {acc:.4f}")
    print(f"Gaussian proxy: {len(proxy['eigenvalues'])} non-zero pixel eigenvalues, total "
          f"variance {proxy['eigenvalues'].sum():.3f} "
          f"({proxy['eigenvalues'].sum() / proxy['pixels']:.4f} "
          f"per pixel); first canonical correlation rho = {proxy['rho']:.4f} (train)")
    c_x = proxy_classification(proxy, x, y, xt, yt, ridge=args.proxy_ridge)
    print(f"proxy h(S|X) on test pixels {c_x:.4f} nats; Gaussian floor "
          f"{0.5 * np.log(TWO_PI_E * (1 - proxy['rho'] ** 2)):.4f}\n")
    points = []
    if args.points:
        try:
            with open(args.points) as f:
                points = json.load(f)
        except FileNotFoundError:
            points = []
    for seed in seeds:
        for dim, levels in args.rates:
            grid = [("rdc", 1.0, 0.0, lc) for lc in args.rdc] + \
                   [("rpc", 0.0, lp, RPC_LAMBDA_C) for lp in args.rpc]
            for sweep, ld, lp, lc in grid:
                point = run_point(data, classifier, proxy, dim, levels, ld, lp, lc,
                                  args.epochs, seed, args.eval_steps, args.batch_size)
                point.update(sweep=sweep, seed=seed, epochs=args.epochs, dataset=args.dataset)
                points.append(point)
                print(sweep, {k: round(v, 4) if isinstance(v, float) else v
                              for k, v in point.items()}, flush=True)
                if args.points:
                    with open(args.points, "w") as f:
                        json.dump(points, f, indent=1)
    rows = aggregate(points)
    rdc = [r for r in rows if r["sweep"] == "rdc"]
    rpc = [r for r in rows if r["sweep"] == "rpc"]
    print("\n### RDC sweep (lambda_d = 1, lambda_p = 0): mean ± sd over seeds\n")
    print(_row_table(rdc))
    print(f"\n### RPC sweep (lambda_d = 0, lambda_c = {RPC_LAMBDA_C:g}): mean ± sd over seeds\n")
    print(_row_table(rpc))
    print("\n### Gaussian-proxy theory at the measured rates\n")
    print("| rate_bits | D(R) MSE/pixel | least proxy h(S|Xhat) = C(R) (nats), any P |\n"
          "|---|---|---|")
    for r in sorted({p["rate_bits"] for p in rows}):
        print(f"| {r:g} | {theory_distortion(proxy, r):.4g} | "
              f"{theory_classification(proxy, r):.4g} |")
    plot(rdc, rpc, proxy, args.rates, args.out, c_pixels=c_x, dataset=args.dataset)
    print(f"\nfigure: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
