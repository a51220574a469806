"""Serving latency per model family: package small trained exports into a TF Serving model
repository and run `ibtf serving check` (each version loaded in a fresh process without ibtf,
its warm-up requests replayed; p50/p99 of the timed signature calls).

Models: VIB and CEB on scikit-learn digits (64 features), TEB on a coupled AR pair (history 6),
an MVAE on two synthetic modalities, a factorized-prior codec's transforms on 32x32 crops.
Usage: python -m benchmarks.serving_latency [--repeats 50] [--out DIR]
"""
import argparse
import os
import platform
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from ibtf._keras import keras  # noqa: E402
from ibtf.serving import export  # noqa: E402
from ibtf.serving.repository import check, package  # noqa: E402


def build_exports(base, seed=0):
    from sklearn.datasets import load_digits

    from ibtf.data import coupled_ar
    from ibtf.models import CEBClassifier, VIBClassifier
    from ibtf.models.codecs import FactorizedPriorCodec
    from ibtf.models.codecs.export import export_transforms
    from ibtf.models.multimodal import MVAE, Modality
    from ibtf.models.teb.export import export_teb
    from ibtf.models.teb.fit import fit_teb
    from ibtf.streams import PairedStreams

    rng = np.random.default_rng(seed)
    digits = load_digits()
    x, y = (digits.data / 16).astype(np.float32), digits.target
    for name, cls in (("vib_digits", VIBClassifier), ("ceb_digits", CEBClassifier)):
        model = cls(num_classes=10, latent_dim=16, hidden_units=(128,), seed=seed)
        model.compile(keras.optimizers.Adam(3e-3))
        model.fit(x[:1400], y[:1400], epochs=5, batch_size=100, verbose=0)
        export(model, base, name, warmup_inputs={"features": x[1400:1408]})
    sim = coupled_ar(2000, coupling=1.0, target_ar=0.5, seed=seed)
    streams = PairedStreams(sim.frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=6, horizon=1)
    export_teb(fit_teb(streams, epochs=5, seed=seed, hidden_units=(16,)), base, "teb_ar")
    mods = [Modality((16,), name="a", hidden_units=(64,), seed=1),
            Modality((16,), likelihood="bernoulli", name="b", hidden_units=(64,), seed=2)]
    mvae = MVAE(mods, latent_dim=4, seed=seed)
    z = rng.normal(size=(512, 4))
    data = {"a": (z @ rng.normal(size=(4, 16))).astype(np.float32),
            "b": (z @ rng.normal(size=(4, 16)) > 0).astype(np.float32)}
    mvae.compile(keras.optimizers.Adam(3e-3))
    mvae.fit(data, epochs=3, batch_size=64, verbose=0)
    export(mvae, base, "mvae", warmup_inputs={
        "generate_b_from_a": {"a": data["a"][:8]}, "generate_a_from_b": {"b": data["b"][:8]},
        "sample_joint": {"noise": rng.normal(size=(8, 4)), "uniform": rng.uniform(size=8)}})
    yy, xx = np.mgrid[0:32, 0:32] / 32.0
    images = np.stack([np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 0.1)
                       for cx, cy in rng.uniform(0.2, 0.8, size=(64, 2))])[..., None]
    codec = FactorizedPriorCodec(channels=1, filters=16, stages=2, lambda_d=200.0, seed=seed)
    codec.compile(keras.optimizers.Adam(3e-3), jit_compile=False)
    codec.fit(images.astype(np.float32), epochs=2, batch_size=16, verbose=0)
    export_transforms(codec, base, "codec_transforms")
    return ["vib_digits", "ceb_digits", "teb_ar", "mvae", "codec_transforms"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--out", default=None, help="keep the repository here")
    args = parser.parse_args(argv)
    work = args.out or tempfile.mkdtemp(prefix="ibtf-serving-bench-")
    base = os.path.join(work, "exports")
    names = build_exports(base)
    repo = os.path.join(work, "repo")
    package([os.path.join(base, n) for n in names], repo)
    report = check(repo, repeats=args.repeats, jobs=1)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{args.repeats} timed calls per warm-up request, one version loaded at a time")
    print("\n| model | signatures replayed | load ms | p50 ms | p99 ms | ok |")
    print("|---|---|---|---|---|---|")
    for name, model in report["models"].items():
        version = model["versions"][1]
        if not model["ok"] or model["p50_ms"] is None:
            print(f"| {name} | failed: {version.get('error')} | | | | False |")
            continue
        print(f"| {name} | {', '.join(version.get('signatures', []))} | "
              f"{version.get('load_ms', float('nan')):.0f} | {model['p50_ms']:.2f} | "
              f"{model['p99_ms']:.2f} | {model['ok']} |")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    main()
