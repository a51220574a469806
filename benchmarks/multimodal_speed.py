"""Training steps per second of MVAE, MMVAE, MoPoE and MEME, plain graph vs XLA (jit_compile).

The digits pairing (64 + 64 features, Bernoulli likelihoods), MLP experts and decoders
64-128-128, d = 16, batch 64 (static shapes: the last partial batch is dropped), f = 0.5
(masks mixed in every batch). Each mode: one warm-up epoch (tracing and, for XLA, compiling;
its time reported), then ``--steps`` timed steps. ibtf's policy (``jit_compile="auto"``)
picks XLA only on GPU/TPU; this measures the CPU side of that choice.
Usage: python -m benchmarks.multimodal_speed [--steps 400]
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


from ibtf._keras import keras, tf  # noqa: E402
from ibtf.data import digits_pairs, with_paired_fraction  # noqa: E402
from ibtf.models.multimodal import MEME, MMVAE, MVAE, Modality, MoPoE  # noqa: E402
from ibtf.xla import accelerator_visible  # noqa: E402

MODELS = {"MVAE": (MVAE, {}), "MMVAE": (MMVAE, {"num_samples": 8}), "MoPoE": (MoPoE, {}),
          "MEME": (MEME, {"num_pseudo_samples": 32})}


def _dataset(data, batch):
    return tf.data.Dataset.from_tensor_slices(data.as_dict()).shuffle(
        len(data), seed=0).batch(batch, drop_remainder=True).repeat().prefetch(2)


def measure(name, jit, data, steps, batch=64):
    cls, kwargs = MODELS[name]
    mods = [Modality((64,), likelihood="bernoulli", hidden_units=(128, 128), name="a", seed=0),
            Modality((64,), likelihood="bernoulli", hidden_units=(128, 128), name="b", seed=1)]
    model = cls(mods, latent_dim=16, seed=0, **kwargs)
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=jit)
    ds = _dataset(data, batch)
    start = time.time()
    model.fit(ds, steps_per_epoch=5, epochs=1, verbose=0)
    warm = time.time() - start
    start = time.time()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0)
    return steps / (time.time() - start), warm


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    args = parser.parse_args(argv)
    train, _ = digits_pairs(seed=0)
    data = with_paired_fraction(train, 0.5, seed=0)
    device = "GPU" if accelerator_visible() else "CPU"
    print(f"device: {device}; jit_compile='auto' resolves to {accelerator_visible()}\n")
    print("| model | plain steps/s | XLA steps/s | XLA / plain | plain warm-up s | "
          "XLA warm-up s |")
    print("|---|---|---|---|---|---|")
    for name in args.models:
        plain, plain_warm = measure(name, False, data, args.steps)
        xla, xla_warm = measure(name, True, data, args.steps)
        print(f"| {name} | {plain:.0f} | {xla:.0f} | {xla / plain:.2f} | {plain_warm:.1f} | "
              f"{xla_warm:.1f} |", flush=True)


if __name__ == "__main__":
    main()
