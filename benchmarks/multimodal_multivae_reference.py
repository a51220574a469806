"""MultiVae 1.0.3's own MVAE on ibtf's digits pairing, judged by ibtf's judges; and a step-by-step
check that ibtf's MVAE objective and optimizer are MultiVae's.

Two environments: ibtf's (TensorFlow) and a comparison venv with PyTorch and MultiVae
(``python3.11 -m venv VENV && VENV/bin/pip install multivae==1.0.3``). Files go to ``--dir``.

1. ``python -m benchmarks.multimodal_multivae_reference export``          (ibtf's venv)
   writes the digits pairing (``ibtf.data.digits_pairs(seed=0)``) as data.npz; with
   ``--fraction F --seed S`` (F < 1) also the partially paired training set of the coherence
   benchmark's cell (``with_paired_fraction(train, F, seed=S)``: rows, zeroed inputs, mask)
   as data_fF_sS.npz.
2. ``VENV/bin/python benchmarks/multimodal_multivae_reference.py train --seed S [--model M]``
   (MultiVae) trains MultiVae's MVAE (or MMVAE, MoPoE with their default configs; its
   default encoders 64-512-512 -> (mu, ln sigma^2), decoders 16-512-512-64 with Bernoulli
   logits, its trainer: Adam 1e-3, batch 64, 150 epochs, its 10-epoch KL warm-up for MVAE)
   and writes decoder means for a->b and b->a (one posterior draw, and the posterior mean)
   and for 1000 prior draws, plus its initial weights. ``--fraction F`` (< 1) trains on
   data_fF_sS.npz as MultiVae's ``IncompleteDataset`` (its masks say which modality a row
   has; the same rows ibtf's models see).
   ``time --model M --steps S --threads T`` prints its training steps/s (a bare loop).
   ``steps`` instead writes its initial weights and the losses of 6 Adam steps on the first 64
   pairs with zero reparameterization noise and KL weight 0.25 (``--model MMVAE``: its DReG
   surrogate per example, zero Laplace noise).
   ``noise-steps [--fraction F]`` does the same for MMVAE with *real* noise: K = 10 standard
   Laplace draws per expert made in numpy and saved, 6 Adam steps on 64 rows (f < 1: rows
   spread over the partially paired set, with its masks); it writes the losses and every
   parameter's gradient at every step.
3. ``python -m benchmarks.multimodal_multivae_reference judge FILES``      (ibtf's venv)
   scores the dumps with the protocol's SVM judges (the numbers of the benchmark table);
   ``--json P`` also adds the rows (model, f and seed from the dump's name) to the list in P.
   ``python -m benchmarks.multimodal_parity`` compares them with ibtf's seeds (Welch).
   ``compare`` loads the weights of step 2's ``steps`` into ibtf's protocol MVAE and repeats
   the 6 steps: the losses must agree (same objective, gradients and optimizer).
   ``noise-compare [--fraction F]`` feeds ibtf's protocol MMVAE the saved draws and reports
   per step the relative differences of the loss and of every parameter's gradient, stepping
   with PyTorch's Adam update (``--keras-adam``: Keras's; ``--control``: ibtf without DReG,
   what an estimator difference reads).

Bernoulli log-likelihoods of grey levels in [0, 1] need PyTorch's argument validation off
(its Bernoulli support is {0, 1}); the value computed is the same cross-entropy ibtf uses.
"""
import argparse
import json
import os
import sys

WARMUP_BETA_STEP = 0.25     # KL weight of the step check (epoch 3, half-way: (3 - 1 + 0.5) / 10)


def _fraction_file(directory, fraction, seed):
    return os.path.join(directory, f"data_f{fraction:g}_s{seed}.npz")


def export(directory, fraction=1.0, seed=0):
    import numpy as np

    from ibtf.data import digits_pairs, with_paired_fraction
    train, test = digits_pairs(seed=0)
    np.savez(os.path.join(directory, "data.npz"), train_a=train.inputs["a"],
             train_b=train.inputs["b"], test_a=test.inputs["a"], test_b=test.inputs["b"])
    if fraction < 1:
        part = with_paired_fraction(train, fraction, seed=seed)
        np.savez(_fraction_file(directory, fraction, seed), train_a=part.inputs["a"],
                 train_b=part.inputs["b"], train_mask=part.mask)


def _multivae_model(seed, name="MVAE"):
    """MultiVae's ``name`` (MVAE, MMVAE with its defaults K = 10, Laplace experts with softmax
    scales, learned prior, DReG; MoPoE) with its default encoders and the protocol's decoders."""
    import torch
    from multivae import models
    from pythae.models.base.base_utils import ModelOutput
    from pythae.models.nn import BaseDecoder

    class Decoder(BaseDecoder):
        """16-512-512-64, Bernoulli logits (the protocol's decoder)."""

        def __init__(self):
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(16, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512),
                torch.nn.ReLU(), torch.nn.Linear(512, 64))

        def forward(self, z):
            return ModelOutput(reconstruction=self.net(z))

    torch.manual_seed(seed)
    config = getattr(models, f"{name}Config")(
        n_modalities=2, latent_dim=16, input_dims={"a": (64,), "b": (64,)},
        decoders_dist={"a": "bernoulli", "b": "bernoulli"})
    return getattr(models, name)(config, decoders={"a": Decoder(), "b": Decoder()})


def _torch_setup(directory, threads=1):
    import numpy as np
    import torch
    torch.distributions.Distribution.set_default_validate_args(False)
    torch.set_num_threads(threads)   # more threads than free cores stall PyTorch's CPU kernels
    return np.load(os.path.join(directory, "data.npz"))


def _dataset(data, split, count=None):
    import torch
    from multivae.data.datasets.base import IncompleteDataset, MultimodalBaseDataset
    arrays = {m: torch.tensor(data[f"{split}_{m}"][:count]) for m in ("a", "b")}
    if f"{split}_mask" in data:     # rows with one modality: MultiVae's incomplete data set
        mask = data[f"{split}_mask"][:count]
        return IncompleteDataset(arrays, {m: torch.tensor(mask[:, i] > 0)
                                          for i, m in enumerate(("a", "b"))})
    return MultimodalBaseDataset(arrays)


def _save_weights(model, path):
    import numpy as np
    np.savez(path, **{k: v.detach().numpy() for k, v in model.state_dict().items()})


def time_steps(name, directory, steps, threads, batch=64):
    """steps/s of MultiVae's ``name`` on the f = 1 pairing: a bare loop (shuffled batches of
    64, forward, backward, Adam step; no trainer, logging or checkpoints), timed after one
    warm-up epoch. Prints one JSON line."""
    import time

    import numpy as np
    import torch
    from multivae.data.datasets.base import MultimodalBaseDataset
    data = _torch_setup(directory, threads)
    model = _multivae_model(0, name)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    tensors = {m: torch.tensor(data[f"train_{m}"]) for m in ("a", "b")}
    n = len(tensors["a"])
    rng = np.random.default_rng(0)

    def run(count):
        done = 0
        while done < count:
            order = torch.as_tensor(rng.permutation(n))
            for start in range(0, n, batch):
                index = order[start:start + batch]
                batch_data = MultimodalBaseDataset({m: t[index] for m, t in tensors.items()})
                loss = model(batch_data, epoch=20, batch_ratio=0.0).loss
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                done += 1
                if done == count:
                    return

    run((n + batch - 1) // batch)
    start = time.perf_counter()
    run(steps)
    seconds = time.perf_counter() - start
    print(json.dumps({"library": "multivae", "model": name, "steps": steps, "threads": threads,
                      "steps_per_s": steps / seconds}))


def train(directory, seed, epochs, name="MVAE", fraction=1.0):
    import time

    import numpy as np
    import torch
    from multivae.trainers import BaseTrainer, BaseTrainerConfig
    data = _torch_setup(directory)
    train_data = np.load(_fraction_file(directory, fraction, seed)) if fraction < 1 else data
    tag = f"_f{fraction:g}" if fraction < 1 else ""
    model = _multivae_model(seed, name)
    _save_weights(model, os.path.join(directory, f"multivae_init_s{seed}.npz"))
    config = BaseTrainerConfig(output_dir=os.path.join(directory, "runs"), num_epochs=epochs,
                               learning_rate=1e-3, per_device_train_batch_size=64,
                               seed=seed, no_cuda=True)
    trainer = BaseTrainer(model, _dataset(train_data, "train"), training_config=config)
    start = time.time()
    trainer.train()
    seconds = time.time() - start
    model = trainer.model.eval()     # the last epoch's model (no model selection)
    test = _dataset(data, "test")
    out = {}
    with torch.no_grad():
        for source, target in (("a", "b"), ("b", "a")):
            for kind, mean in (("sample", False), ("mean", True)):
                z = model.encode(test, [source], N=1, return_mean=mean).z
                out[f"{source}_to_{target}_{kind}"] = torch.sigmoid(
                    model.decoders[target](z).reconstruction).numpy()
        if name == "MMVAE":      # its (learned, Laplace) prior
            torch.manual_seed(0)
            z = model.generate_from_prior(1000).z
        else:
            z = torch.randn(1000, 16, generator=torch.Generator().manual_seed(0))
        for m in ("a", "b"):
            out[f"joint_{m}"] = torch.sigmoid(model.decoders[m](z).reconstruction).numpy()
    np.savez(os.path.join(directory, f"multivae_{name.lower()}{tag}_s{seed}.npz"), **out)
    print(json.dumps({"model": name, "f": fraction, "seed": seed, "epochs": epochs,
                      "train_s": round(seconds, 1),
                      "steps_per_s": round(epochs * len(trainer.train_loader) / seconds, 1)}))


def steps(directory, name="MVAE"):
    import torch
    data = _torch_setup(directory)
    if name == "MMVAE":     # zero noise: its Laplace draws are the experts' locations
        from torch.distributions import Laplace
        Laplace.rsample = lambda self, sample_shape=torch.Size(): self.loc.expand(
            torch.Size(sample_shape) + self.loc.shape)
    else:
        import multivae.models.mvae.mvae_model as mvae_module
        mvae_module.rsample_from_gaussian = lambda mu, log_var, **kwargs: mu    # zero noise
    model = _multivae_model(0, name)
    tag = "" if name == "MVAE" else f"_{name.lower()}"
    _save_weights(model, os.path.join(directory, f"multivae_step_weights{tag}.npz"))
    batch = _dataset(data, "train", 64)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    losses = []
    for _ in range(6):
        if name == "MMVAE":
            # its loss is the DReG surrogate summed over the batch: per example here
            loss = model(batch).loss / 64.0
        else:
            loss = model(batch, epoch=3, batch_ratio=0.5).loss    # beta = 0.25
        losses.append(float(loss.detach()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with open(os.path.join(directory, f"multivae_step_losses{tag}.json"), "w") as f:
        json.dump(losses, f)
    print(json.dumps({"multivae_losses": losses}))


NOISE_STEPS = 6       # Adam steps of the noisy MMVAE step check
NOISE_SEED = 1        # its numpy noise draws


def _noise_rows(count, fraction):
    """The check's 64 rows: the first 64 pairs (f = 1), or 64 rows spread evenly over the
    partially paired training set (f < 1: paired rows and rows with a or b alone)."""
    import numpy as np
    return np.arange(64) if fraction >= 1 else np.linspace(0, count - 1, 64).astype(int)


def _noise_tag(fraction):
    return "" if fraction >= 1 else f"_f{fraction:g}"


def noise_steps(directory, fraction=1.0, seed=0):
    """MultiVae's MMVAE (its default config, seed-0 weights) for ``NOISE_STEPS`` Adam steps on
    64 rows with K = 10 *real* Laplace draws: the standard-uniform draws behind them are drawn
    here in numpy ([step, modality, K, 64, d]) and saved, so that ``noise-compare`` feeds ibtf
    the same draws. The standard Laplace draws eps are made here (in float64, then float32)
    and both models compute z = loc + scale * eps from the same eps (an inverse CDF evaluated
    in float32 by each library differs in the tails by up to 1e-3, which Adam's first,
    sign-like step turns into different weights). Writes the weights, the draws, the losses
    (its DReG surrogate per example) and every parameter's gradient at every step."""
    import numpy as np
    import torch
    from torch.distributions import Laplace
    data = _torch_setup(directory)
    train_data = np.load(_fraction_file(directory, fraction, seed)) if fraction < 1 else data
    rows = _noise_rows(len(train_data["train_a"]), fraction)
    subset = {key: train_data[key][rows] for key in train_data.files if key.startswith("train")}
    k, d = 10, 16
    eps = np.random.default_rng(NOISE_SEED).laplace(
        size=(NOISE_STEPS, 2, k, 64, d)).astype(np.float32)
    calls = iter(range(2 * NOISE_STEPS))

    def rsample(self, sample_shape=torch.Size()):
        """torch's Laplace.rsample with the saved draws (modality a, then b, per step)."""
        i = next(calls)
        e = torch.from_numpy(eps[i // 2, i % 2])
        if tuple(e.shape) != tuple(torch.Size(sample_shape) + self.loc.shape):
            raise ValueError(f"draw shape {tuple(e.shape)} for {tuple(self.loc.shape)}")
        return self.loc + self.scale * e

    Laplace.rsample = rsample
    model = _multivae_model(0, "MMVAE")
    tag = _noise_tag(fraction)
    _save_weights(model, os.path.join(directory, f"multivae_noise_weights{tag}.npz"))
    np.savez(os.path.join(directory, f"multivae_noise_draws{tag}.npz"), laplace=eps,
             rows=rows)
    batch = _dataset(subset, "train")
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    losses, grads = [], {}
    for step in range(NOISE_STEPS):
        loss = model(batch).loss / 64.0     # its DReG surrogate, summed over the batch
        losses.append(float(loss.detach()))
        optimizer.zero_grad()
        loss.backward()
        for name, p in model.named_parameters():
            if p.grad is not None:
                grads[f"{step}:{name}"] = p.grad.detach().numpy().copy()
        optimizer.step()
    np.savez(os.path.join(directory, f"multivae_noise_grads{tag}.npz"), **grads)
    with open(os.path.join(directory, f"multivae_noise_losses{tag}.json"), "w") as f:
        json.dump(losses, f)
    print(json.dumps({"multivae_losses": losses}))


def _torch_adam(lr=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """apply_gradients with PyTorch's Adam update: epsilon added to sqrt(v / (1 - beta_2^t)).
    Keras's Adam adds it to sqrt(v) before the bias correction, an effective epsilon
    1 / sqrt(1 - beta_2^t) times larger (31.6 at step 1), which changes the first steps of
    parameters whose gradients are below ~1e-6."""
    from ibtf._keras import tf
    state, count = {}, [0]

    def apply(grads_and_vars, *args, **kwargs):
        count[0] += 1
        t = count[0]
        for g, v in grads_and_vars:
            if g is None:
                continue
            m, s = state.setdefault(id(v), (tf.Variable(tf.zeros_like(v)),
                                            tf.Variable(tf.zeros_like(v))))
            m.assign(beta_1 * m + (1 - beta_1) * g)
            s.assign(beta_2 * s + (1 - beta_2) * tf.square(g))
            denom = tf.sqrt(s) / (1 - beta_2 ** t) ** 0.5 + epsilon
            v.assign_sub(lr / (1 - beta_1 ** t) * m / denom)

    return apply


def noise_compare(directory, fraction=1.0, dreg=True, keras_adam=False):
    """ibtf's protocol MMVAE from MultiVae's weights, fed ``noise-steps``' Laplace draws, for
    the same ``NOISE_STEPS`` Adam steps: per step the largest relative difference of the loss
    and of any parameter's gradient (|g - g_ref| / |g_ref|) against MultiVae's. ibtf's
    gradients are applied with PyTorch's Adam update (``_torch_adam``), so later steps read
    the estimator and not the two libraries' epsilon placement; ``keras_adam`` uses Keras's
    Adam (epsilon 1e-8) instead. ``dreg=False`` (a control: ibtf's plain IWAE-looser
    gradients) shows how large a difference in the encoder's estimator reads."""
    from unittest import mock

    import numpy as np

    from ibtf._keras import keras, tf
    from ibtf.layers.base import Bottleneck
    from ibtf.layers.fusion import MixtureOfExperts
    from ibtf.models.multimodal import protocol
    data = np.load(os.path.join(directory, "data.npz"))
    tag = _noise_tag(fraction)
    draws = np.load(os.path.join(directory, f"multivae_noise_draws{tag}.npz"))
    reference = np.load(os.path.join(directory, f"multivae_noise_grads{tag}.npz"))
    with open(os.path.join(directory, f"multivae_noise_losses{tag}.json")) as f:
        reference_losses = json.load(f)
    if fraction < 1:
        part = np.load(_fraction_file(directory, fraction, 0))
        rows = draws["rows"]
        batch = {"a": part["train_a"][rows], "b": part["train_b"][rows],
                 "mask": part["train_mask"][rows].astype(np.float32)}
    else:
        batch = {"a": data["train_a"][:64], "b": data["train_b"][:64],
                 "mask": np.ones((64, 2), np.float32)}
    model = protocol.build("MMVAE", "multivae", 0)
    model.dreg = dreg
    model._ensure_built()
    load_multivae_weights(model, os.path.join(directory, f"multivae_noise_weights{tag}.npz"))
    model.compile(keras.optimizers.Adam(1e-3, epsilon=1e-8))
    step = [0]

    def fixed_laplace(self, shape, dtype=tf.float32):
        e = draws["laplace"][step[0]].transpose(1, 0, 2, 3)      # [K, M, B, d]
        if tuple(int(n) for n in shape) != e.shape:
            raise ValueError(f"asked for {shape}, the draws are {e.shape}")
        return tf.constant(e, dtype)

    def no_draw(self, *args, **kwargs):
        raise AssertionError("the MMVAE drew noise other than its experts' Laplace draws")

    captured = {}
    apply = model.optimizer.apply_gradients if keras_adam else _torch_adam()

    def capture(grads_and_vars, *args, **kwargs):
        pairs = list(grads_and_vars)
        captured.update({id(v): g.numpy() for g, v in pairs if g is not None})
        return apply(pairs, *args, **kwargs)

    model.optimizer.apply_gradients = capture
    pairs = weight_pairs(model)
    rows = []
    with mock.patch.object(MixtureOfExperts, "location_scale_noise", fixed_laplace), \
            mock.patch.object(Bottleneck, "uniform", no_draw), \
            mock.patch.object(Bottleneck, "standard_normal", no_draw):
        for s in range(NOISE_STEPS):
            step[0] = s
            xs, mask = model._unpack(batch)
            log_w, _, _ = model._log_weights(xs, mask)
            _, w = model._bound(log_w, mask)
            loss = float(-tf.reduce_mean(tf.reduce_sum(w * log_w, [0, 1])))
            captured.clear()
            model.train_step(batch)
            gaps = {}
            for variable, keys in pairs:
                ref = as_ibtf({key: reference[f"{s}:{key}"] for key in keys}, keys)
                gaps[keys[0]] = float(np.linalg.norm(captured[id(variable)] - ref)
                                      / max(np.linalg.norm(ref), 1e-30))
            worst = max(gaps, key=gaps.get)
            enc = max(v for key, v in gaps.items() if key.startswith("encoders"))
            dec = max(v for key, v in gaps.items() if not key.startswith("encoders"))
            rows.append({"step": s, "ibtf_loss": loss, "multivae_loss": reference_losses[s],
                         "loss_relative_difference":
                             abs(loss - reference_losses[s]) / abs(reference_losses[s]),
                         "max_gradient_relative_difference": gaps[worst],
                         "worst_parameter": worst, "encoder_max": enc,
                         "decoder_and_prior_max": dec})
    for row in rows:
        print(json.dumps({"fraction": fraction, "dreg": dreg, "keras_adam": keras_adam,
                          **row}))
    return rows


def weight_pairs(model):
    """(ibtf variable, MultiVae state-dict keys) for ibtf's protocol MVAE / MMVAE: one key, or
    two (the expert head: MultiVae's embedding and log_var layers side by side)."""
    from ibtf._keras import keras
    pairs = []
    for mod in model.modality_layers:
        n = mod.name
        dense = [layer for layer in mod.encoder.layers if isinstance(layer, keras.layers.Dense)]
        for layer, key in zip(dense, ("layers.0.0", "layers.1.0")):
            pairs += [(layer.kernel, [f"encoders.{n}.{key}.weight"]),
                      (layer.bias, [f"encoders.{n}.{key}.bias"])]
        head = mod.expert.params
        pairs += [(head.kernel, [f"encoders.{n}.embedding.weight", f"encoders.{n}.log_var.weight"]),
                  (head.bias, [f"encoders.{n}.embedding.bias", f"encoders.{n}.log_var.bias"])]
        dense = [layer for layer in mod.decoder.layers if isinstance(layer, keras.layers.Dense)]
        for layer, key in zip(dense, ("net.0", "net.2", "net.4")):
            pairs += [(layer.kernel, [f"decoders.{n}.{key}.weight"]),
                      (layer.bias, [f"decoders.{n}.{key}.bias"])]
    if getattr(model, "learn_prior", False):
        pairs.append((model.prior_raw_scale, ["prior_log_var"]))
    return pairs


def as_ibtf(arrays, keys):
    """MultiVae arrays (a state dict or gradients) for ``keys`` in ibtf's layout: torch's
    [out, in] kernels transposed, the expert head's two layers concatenated, the prior's
    [1, d] row flattened."""
    import numpy as np
    parts = [arrays[k].T if arrays[k].ndim == 2 and not k.startswith("prior") else
             arrays[k].reshape(-1) for k in keys]
    return np.concatenate(parts, -1) if len(parts) > 1 else parts[0]


def load_multivae_weights(model, path):
    """Copies a MultiVae MVAE / MMVAE state dict (npz) into ibtf's protocol model (same layer
    sizes; MMVAE's learned prior scale too)."""
    import numpy as np
    w = np.load(path)
    for variable, keys in weight_pairs(model):
        variable.assign(as_ibtf(w, keys))


def compare(directory, name="MVAE"):
    from unittest import mock

    import numpy as np

    from ibtf._keras import keras, tf
    from ibtf.layers.base import Bottleneck
    from ibtf.models.multimodal import protocol
    data = np.load(os.path.join(directory, "data.npz"))
    tag = "" if name == "MVAE" else f"_{name.lower()}"
    model = protocol.build(name, "multivae", 0)
    model._ensure_built()
    weights = os.path.join(directory, f"multivae_step_weights{tag}.npz")
    load_multivae_weights(model, weights)
    model.compile(keras.optimizers.Adam(1e-3, epsilon=1e-8))     # PyTorch's Adam epsilon
    if name == "MVAE":
        model.beta = WARMUP_BETA_STEP
    batch = {"a": data["train_a"][:64], "b": data["train_b"][:64],
             "mask": np.ones((64, 2), np.float32)}
    zeros = lambda self, shape, dtype=tf.float32, seed=None: tf.zeros(shape, dtype)  # noqa: E731
    # U = 1/2 is a standard Laplace's median: zero Laplace noise
    half = lambda self, shape, dtype=tf.float32: tf.fill(shape, tf.cast(0.5, dtype))  # noqa: E731
    losses = []
    with mock.patch.object(Bottleneck, "standard_normal", zeros), \
            mock.patch.object(Bottleneck, "uniform", half):
        for _ in range(6):
            xs, mask = model._unpack(batch)
            if name == "MMVAE":
                # MultiVae's loss value is the DReG surrogate -(1/M) sum_m sum_k w~ ln w
                log_w, _, _ = model._log_weights(xs, mask)
                _, w = model._bound(log_w, mask)
                losses.append(float(-tf.reduce_mean(tf.reduce_sum(w * log_w, [0, 1]))))
                model.train_step(batch)
                continue
            with tf.GradientTape() as tape:
                loss, _ = model.objective(xs, mask)
            losses.append(float(loss))
            model.minimize(loss, tape)
    with open(os.path.join(directory, f"multivae_step_losses{tag}.json")) as f:
        reference = json.load(f)
    gap = float(np.max(np.abs(np.array(losses) - reference) / np.abs(reference)))
    print(json.dumps({"ibtf_losses": losses, "multivae_losses": reference,
                      "max_relative_difference": gap}))


_NAMES = {"mvae": "MVAE", "mmvae": "MMVAE", "mopoe": "MoPoE"}


def dump_keys(path):
    """The model, f and seed of a dump's name as ``train`` writes it
    (multivae_<model>[_f<F>]_s<S>.npz), in the rows of ``multimodal_multivae_own.json``."""
    import re
    name = os.path.basename(path)
    match = re.fullmatch(r"multivae_(mvae|mmvae|mopoe)(?:_f([0-9.e-]+))?_s([0-9]+)\.npz", name)
    if match is None:
        raise ValueError(f"path {name!r} is not a dump written by train "
                         "(multivae_<model>[_f<F>]_s<S>.npz)")
    return {"model": f"MultiVae-{_NAMES[match[1]]}",
            "f": float(match[2]) if match[2] else 1.0, "seed": int(match[3])}


def append_rows(path, rows):
    """Adds judged rows to the JSON list at ``path``, replacing a row of the same dump."""
    results = []
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)
    files = {r["file"] for r in rows}
    results = [r for r in results if r.get("file") not in files] + list(rows)
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(path + ".tmp", path)
    return results


def judge(paths, json_path=None):
    import numpy as np

    from ibtf.data import digits_pairs
    from ibtf.models.multimodal import protocol
    train, test = digits_pairs(seed=0)
    judges = protocol.make_classifiers(train, "multivae")
    rows = []
    for path in paths:
        dump = np.load(path)
        row = {"file": os.path.basename(path)}
        for key in ("a_to_b_sample", "b_to_a_sample", "a_to_b_mean", "b_to_a_mean"):
            row[key] = float(np.mean(judges[key[5]](dump[key]) == test.labels))
        row["joint"] = float(np.mean(judges["a"](dump["joint_a"]) == judges["b"](dump["joint_b"])))
        row.update(dump_keys(path))
        rows.append(row)
        print(json.dumps(row))
    if json_path:
        append_rows(json_path, rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("mode", choices=["export", "train", "steps", "compare", "judge",
                                         "time", "noise-steps", "noise-compare"])
    parser.add_argument("--model", default="MVAE", choices=["MVAE", "MMVAE", "MoPoE"],
                        help="train, time, steps, compare (MVAE, MMVAE): MultiVae's model")
    parser.add_argument("--steps", type=int, default=200, help="time: timed steps")
    parser.add_argument("--threads", type=int, default=1, help="time: torch threads")
    parser.add_argument("files", nargs="*", help="judge: the dumps written by train")
    parser.add_argument("--dir", default="multivae_reference", help="where files go")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--fraction", type=float, default=1.0,
                        help="export, train: paired fraction f (< 1: rows with one modality)")
    parser.add_argument("--control", action="store_true",
                        help="noise-compare: ibtf without DReG (shows what a difference reads)")
    parser.add_argument("--json", default=None,
                        help="judge: also add the rows to this JSON list (e.g. benchmarks/"
                             "results/multimodal_multivae_own.json)")
    parser.add_argument("--keras-adam", action="store_true",
                        help="noise-compare: step ibtf with Keras's Adam, not PyTorch's update")
    args = parser.parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    if args.mode == "export":
        export(args.dir, args.fraction, args.seed)
    elif args.mode == "train":
        train(args.dir, args.seed, args.epochs, args.model, args.fraction)
    elif args.mode == "time":
        time_steps(args.model, args.dir, args.steps, args.threads)
    elif args.mode == "steps":
        steps(args.dir, args.model)
    elif args.mode == "compare":
        compare(args.dir, args.model)
    elif args.mode == "noise-steps":
        noise_steps(args.dir, args.fraction, args.seed)
    elif args.mode == "noise-compare":
        noise_compare(args.dir, args.fraction, dreg=not args.control,
                      keras_adam=args.keras_adam)
    else:
        judge(args.files, args.json)


if __name__ == "__main__":
    sys.exit(main())
