import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.models.multimodal import MEME, MMVAE, MVAE, Modality, MoPoE
from ibtf.serving import export
from ibtf.testing import assert_same_weights, fixed_noise, keras_roundtrip

MODELS = {"mvae": (MVAE, {}), "mmvae": (MMVAE, {"num_samples": 3}),
          "mmvae_iwae": (MMVAE, {"num_samples": 3, "bound": "iwae"}),
          "mmvae_laplace": (MMVAE, {"num_samples": 3, "family": "laplace",
                                    "learn_prior": True}),
          "mopoe": (MoPoE, {}), "meme": (MEME, {"num_pseudo_samples": 5, "num_samples": 3})}


def _data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    a = (z @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(n, 6))).astype(np.float32)
    b = (1 / (1 + np.exp(-z @ rng.normal(size=(2, 5))))).astype(np.float32)
    mask = np.ones((n, 2), np.float32)
    mask[: n // 4, 1] = 0
    mask[n // 4: n // 2, 0] = 0
    return {"a": a, "b": b, "mask": mask}


def _make(key, seed=1, **extra):
    cls, kwargs = MODELS[key]
    mods = [Modality((6,), name="a", hidden_units=(16,), seed=seed),
            Modality((5,), likelihood="bernoulli", name="b", hidden_units=(16,), seed=seed + 1)]
    return cls(mods, latent_dim=3, seed=seed, **{**kwargs, **extra})


# Each model trains, generates and round-trips; MVAE and MoPoE also train in the truth and
# missing-value tests, so their runs here (and the iwae bound's) go with the slow suite.
@pytest.mark.parametrize("key", ["mmvae", "meme", "mmvae_laplace",
                                 pytest.param("mvae", marks=pytest.mark.slow),
                                 pytest.param("mopoe", marks=pytest.mark.slow),
                                 pytest.param("mmvae_iwae", marks=pytest.mark.slow)])
def test_training_generation_and_keras_round_trip(tmp_path, key):
    data = _data()
    model = _make(key)
    model.compile(keras.optimizers.Adam(3e-3))
    history = model.fit(data, epochs=4, batch_size=32, verbose=0).history
    assert np.isfinite(history["loss"]).all()
    assert history["loss"][-1] < history["loss"][0], history["loss"]
    assert model.encode(data).shape == (128, 3)
    assert model.generate({"b": data["b"][:4]}, "a", num_samples=2).shape == (2, 4, 6)
    assert {k: v.shape for k, v in model.sample(3).items()} == {"a": (3, 6), "b": (3, 5)}
    assert np.isfinite(model.log_likelihood(data, num_samples=5)).all()
    restored = keras_roundtrip(model, tmp_path / key)
    restored.encode(data)
    assert_same_weights(model, restored)
    assert restored.get_config() == model.get_config()
    np.testing.assert_allclose(restored.encode(data), model.encode(data), rtol=1e-5)
    np.testing.assert_allclose(restored.generate({"a": data["a"]}, "b"),
                               model.generate({"a": data["a"]}, "b"), rtol=1e-5)


def test_mmvae_learned_laplace_prior_is_laplace_with_softmax_scales():
    # MultiVae's default MMVAE prior: Laplace(0, d softmax(r) + 1e-6), r learned
    import tensorflow_probability as tfp
    model = _make("mmvae_laplace")
    model._ensure_built()
    r = np.array([0.5, -1.0, 0.2], np.float32)
    model.prior_raw_scale.assign(r)
    scale = (3 * np.exp(r) / np.exp(r).sum() + 1e-6).astype(np.float32)
    np.testing.assert_allclose(model.prior_scale(), scale, rtol=1e-5)
    z = np.random.default_rng(0).normal(size=(7, 3)).astype(np.float32)
    want = tfp.distributions.Independent(tfp.distributions.Laplace(np.zeros(3, np.float32), scale),
                                         1).log_prob(z)
    np.testing.assert_allclose(model.prior_log_prob(tf.constant(z)), want, rtol=1e-5)
    draws = model.prior_from_noise(
        tf.constant(np.random.default_rng(1).normal(size=(40000, 3)), tf.float32), None).numpy()
    np.testing.assert_allclose(np.abs(draws).mean(0), scale, rtol=0.03)
    np.testing.assert_allclose(np.median(draws, 0), 0.0, atol=0.03)
    assert "prior_raw_scale" in [v.name.split(":")[0].split("/")[-1]
                                 for v in model.trainable_variables]
    with pytest.raises(ValueError, match="family="):
        _make("mmvae", family="gamma")


def test_missing_modality_values_do_not_matter():
    data = _data()
    model = _make("mopoe")
    model.compile()
    noisy = {**data, "b": data["b"].copy()}
    noisy["b"][: 32] = 123.0       # rows where b is missing (mask 0)
    np.testing.assert_allclose(model.encode(noisy), model.encode(data), rtol=1e-6)
    with fixed_noise():
        loss = [model.evaluate(d, batch_size=128, verbose=0) for d in (data, noisy)]
    np.testing.assert_allclose(loss[0], loss[1], rtol=1e-6)
    assert not np.allclose(model.encode({**noisy, "mask": np.ones((128, 2))}),
                           model.encode(data))
    assert np.isfinite(loss).all()


def test_one_subset_sampling_averages_to_the_all_subset_loss():
    # MultiVae's MoPoE estimator ("one": a sampled subset per example) has the stratified
    # estimator's expectation. With zero Gaussian noise, forcing the uniform draw to 1/6, 1/2,
    # 5/6 picks subsets 0, 1, 2 of a fully observed example (weights 1/3 each; a row with one
    # modality has a single usable subset whatever the draw): the mean of the three losses is
    # the all-subset loss exactly. Random draws average to it within 4 standard errors.
    from unittest import mock

    from ibtf.layers.base import Bottleneck
    data = _data()
    every, one = _make("mopoe"), _make("mopoe", subset_sampling="one")
    every._ensure_built(), one._ensure_built()
    xs, mask = every._unpack(data)
    one.set_weights(every.get_weights())
    zeros = lambda self, shape, dtype=tf.float32, seed=None: tf.zeros(shape, dtype)  # noqa: E731
    with mock.patch.object(Bottleneck, "standard_normal", zeros):
        reference, terms = every.objective(xs, mask)
        forced = []
        for u in (1 / 6, 1 / 2, 5 / 6):
            fill = lambda self, shape, dtype=tf.float32, u=u: tf.fill(shape, tf.cast(u, dtype))  # noqa: E731,E501
            with mock.patch.object(Bottleneck, "uniform", fill):
                forced.append(one.objective(xs, mask))
        draws = np.array([float(one.objective(xs, mask)[0]) for _ in range(30)])
    np.testing.assert_allclose(np.mean([float(f[0]) for f in forced]), float(reference),
                               rtol=1e-5)
    per_example = np.mean([f[1]["recon_nats"].numpy() for f in forced], 0)
    np.testing.assert_allclose(per_example, terms["recon_nats"].numpy(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(forced[0][1]["rate_nats"], terms["rate_nats"], rtol=1e-6)
    # the forced subsets differ (else the check above is empty) and the random mean agrees
    assert np.ptp([float(f[0]) for f in forced]) > 1e-3
    assert abs(draws.mean() - float(reference)) < 4 * draws.std() / np.sqrt(len(draws))
    assert MoPoE.from_config(one.get_config()).subset_sampling == "one"
    with pytest.raises(ValueError, match="subset_sampling="):
        _make("mopoe", subset_sampling="some")


# XLA compilation costs 15-40 s per model on 2 shared CPU cores: MMVAE (its own DReG step)
# runs by default, the others with the slow suite.
@pytest.mark.parametrize("key", ["mmvae", pytest.param("mvae", marks=pytest.mark.slow),
                                 pytest.param("mopoe", marks=pytest.mark.slow),
                                 pytest.param("meme", marks=pytest.mark.slow)])
def test_jit_and_plain_steps_agree(key):
    data = {k: v[:32] for k, v in _data().items()}
    models = []
    for jit in (False, True):
        model = _make(key)
        model.build()
        if models:
            model.set_weights(models[0].get_weights())
        model.compile(keras.optimizers.SGD(0.05), jit_compile=jit)
        models.append(model)
    with fixed_noise():
        logs = [m.train_on_batch(data, return_dict=True) for m in models]
    for name in logs[0]:
        np.testing.assert_allclose(logs[0][name], logs[1][name], rtol=2e-4, err_msg=name)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("bound", ["looser", "iwae"])
def test_one_pass_dreg_step_equals_the_two_surrogate_gradients(bound):
    # The step backpropagates once through the decoders and rescales the gradient at z by the
    # normalised weight (the hook of Shi et al.'s code); it must equal the gradients of the two
    # DReG surrogates taken separately: encoders -sum w~^2 ln w (per stratum, / |O|, for the
    # looser bound), decoders -sum w~ ln w.
    data = {k: v[:32] for k, v in _data().items()}
    model = _make("mmvae", bound=bound)
    model.build()
    model.compile(keras.optimizers.SGD(1.0))
    start = [w.copy() for w in model.get_weights()]
    xs, mask = model._unpack({k: tf.constant(v) for k, v in data.items()})
    encoder_vars, decoder_vars = model._split_variables()
    with fixed_noise():
        with tf.GradientTape(persistent=True) as tape:
            log_w, _, _ = model._log_weights(xs, mask)
            _, weights = model._bound(log_w, mask)
            count = tf.reduce_sum(mask, -1)
            square = tf.square(weights) * (1.0 if bound == "iwae" else count)
            encoder_surrogate = -tf.reduce_mean(tf.reduce_sum(square * log_w, [0, 1]))
            decoder_surrogate = -tf.reduce_mean(tf.reduce_sum(weights * log_w, [0, 1]))
        want = tape.gradient(encoder_surrogate, encoder_vars) + \
            tape.gradient(decoder_surrogate, decoder_vars)
        model.train_on_batch(data)
    moved = {id(v): v.numpy() for v in model.trainable_variables}
    index = {id(v): i for i, v in enumerate(model.weights)}
    for v, g in zip(encoder_vars + decoder_vars, want):
        step = start[index[id(v)]] - moved[id(v)]
        np.testing.assert_allclose(step, g.numpy(), rtol=2e-3, atol=2e-6, err_msg=v.name)


@pytest.mark.parametrize("dreg", [True, False])
def test_batch_sum_steps_a_short_batch_by_its_size(dreg):
    # MultiVae's MMVAE minimises the batch *sum* of per-example losses. With batch_sum = N a
    # batch of B examples steps with B / N times the gradient of the per-example mean (a full
    # batch of N exactly as the mean), a short last batch proportionally less.
    data = _data()
    steps, start = {}, None
    for batch_sum in (None, 8):
        for rows in (2, 8):
            model = _make("mmvae", dreg=dreg, batch_sum=batch_sum)
            model.build()
            model.compile(keras.optimizers.SGD(1.0))
            if start is None:
                start = [v.numpy() for v in model.trainable_variables]
            for v, w in zip(model.trainable_variables, start):
                v.assign(w)
            with fixed_noise():
                model.train_step({k: tf.constant(v[:rows]) for k, v in data.items()})
            steps[batch_sum, rows] = [s - v.numpy()
                                      for s, v in zip(start, model.trainable_variables)]
    assert any(np.abs(s).max() > 1e-4 for s in steps[None, 2])
    for short, mean in zip(steps[8, 2], steps[None, 2]):
        np.testing.assert_allclose(short, mean * 2 / 8, rtol=1e-4, atol=1e-7)
    for full, mean in zip(steps[8, 8], steps[None, 8]):
        np.testing.assert_allclose(full, mean, rtol=1e-5, atol=1e-8)
    assert MMVAE.from_config(_make("mmvae", batch_sum=8).get_config()).batch_sum == 8
    with pytest.raises(ValueError, match="batch_sum"):
        _make("mmvae", batch_sum=0)


def test_dreg_changes_encoder_gradients_only():
    data = {k: v[:32] for k, v in _data().items()}
    before = _make("mmvae")
    before.build()
    runs = []
    for dreg in (True, False):
        model = _make("mmvae", dreg=dreg)
        model.build()
        model.set_weights(before.get_weights())
        model.compile(keras.optimizers.SGD(0.1))
        with fixed_noise():
            model.train_on_batch(data)
        runs.append(model)
    (enc_dreg, dec_dreg), (enc_plain, dec_plain) = [m._split_variables() for m in runs]
    assert len(dec_dreg) == 8 and len(enc_dreg) == 8
    dec_moved = max(np.abs(a.numpy() - b.numpy()).max() for a, b in zip(dec_dreg, dec_plain))
    enc_moved = max(np.abs(a.numpy() - b.numpy()).max() for a, b in zip(enc_dreg, enc_plain))
    assert dec_moved < 1e-5, dec_moved        # decoders: the same sum w~ grad ln w
    assert enc_moved > 1e-4, enc_moved        # encoders: w~^2 through z (DReG) vs the score path


FRESH = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(sys.argv[1])
    a = np.load(sys.argv[2]); noise = np.load(sys.argv[3])
    b_from_a = loaded.signatures["generate_b_from_a"](a=tf.constant(a))["b"]
    out = {"b_from_a": b_from_a.numpy().tolist(),
           "joint": {k: v.numpy().tolist() for k, v in loaded.signatures["sample_joint"](
               noise=tf.constant(noise), uniform=tf.constant([0.1, 0.6, 0.9])).items()},
           "signatures": sorted(loaded.signatures)}
    out["ibtf_imported"] = any(m == "ibtf" or m.startswith("ibtf.") for m in sys.modules)
    print(json.dumps(out))
""")


def test_export_has_a_signature_per_direction_and_loads_without_ibtf(tmp_path):
    data = _data()
    model = _make("meme")
    model.build()   # untrained weights serve as well as trained ones for this check
    path = export(model, str(tmp_path), "meme")
    noise = np.random.default_rng(0).normal(size=(3, 3)).astype(np.float32)
    np.save(tmp_path / "a.npy", data["a"][:5])
    np.save(tmp_path / "noise.npy", noise)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""}
    result = subprocess.run([sys.executable, "-c", FRESH, path, str(tmp_path / "a.npy"),
                             str(tmp_path / "noise.npy")], capture_output=True, text=True,
                            env=env, cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["ibtf_imported"] is False
    assert out["signatures"] == ["generate_a_from_b", "generate_b_from_a", "sample_joint",
                                 "serving_default"]
    np.testing.assert_allclose(out["b_from_a"], model.generate({"a": data["a"][:5]}, "b"),
                               rtol=1e-5, atol=1e-6)
    z = model.prior_from_noise(tf.constant(noise), tf.constant([0.1, 0.6, 0.9]))
    want = model.modality_layers[0].mean(model.modality_layers[0].decode(z)).numpy()
    np.testing.assert_allclose(out["joint"]["a"], want, rtol=1e-5, atol=1e-6)


def test_three_modalities_give_every_direction():
    mods = [Modality((4,), name=n, hidden_units=(8,)) for n in ("x", "y", "w")]
    model = MoPoE(mods, latent_dim=2)
    model.build()
    keys = sorted(model.serving_signatures())
    assert "generate_w_from_x_y" in keys and "generate_x_from_y" in keys
    assert len([k for k in keys if k.startswith("generate_")]) == 9   # 3*2 singles + 3 pairs
