"""The variational Wyner model: Gaussian common information, generation, swaps, export."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ibtf._keras import keras
from ibtf.models.multimodal import Modality, VariationalWyner
from ibtf.serving import export
from ibtf.testing import assert_same_weights, keras_roundtrip
from ibtf.theory.wyner import gaussian_wyner_ci


def _gaussian_pair(rho, n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n).astype(np.float32)
    return {"a": xy[:, :1], "b": xy[:, 1:]}


def _fit_gaussian(rho, epochs=(40, 20), n=4000):
    keras.utils.set_random_seed(0)
    mods = [Modality((1,), name=k, hidden_units=(), learn_scale=True) for k in "ab"]
    model = VariationalWyner(mods, common_dim=1, private_dim=1, seed=0)
    model.compile(keras.optimizers.Adam(1e-2))
    data = _gaussian_pair(rho, n, seed=0)
    for rate, count in zip((1e-2, 1e-3), epochs):
        model.optimizer.learning_rate.assign(rate)
        model.fit(data, epochs=count, batch_size=200, verbose=0)
    return model.common_information(_gaussian_pair(rho, 2000, seed=1))


def test_common_rate_matches_gaussian_wyner_information():
    # C = 1/2 ln((1 + rho)/(1 - rho)): the least I(A, B; W) with A, B independent given W
    rate, marginal_kl, info = _fit_gaussian(0.8)
    assert abs(rate - gaussian_wyner_ci(0.8)) < 0.06 * gaussian_wyner_ci(0.8), rate
    assert abs(marginal_kl) < 0.05, marginal_kl       # q(w) ~ p(w): the critic sees no gap


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.2, 0.4, 0.6, 0.8])
def test_common_rate_matches_wyner_information_across_correlations(rho):
    rate, _, info = _fit_gaussian(rho)
    truth = gaussian_wyner_ci(rho)
    assert abs(rate - truth) < 0.03 + 0.03 * truth, (rate, truth)
    assert abs(info - truth) < 0.03 + 0.03 * truth, (info, truth)


def _model(seed=0):
    mods = [Modality((6,), name="a", hidden_units=(16,), seed=seed),
            Modality((5,), likelihood="bernoulli", name="b", hidden_units=(16,), seed=seed + 1)]
    return VariationalWyner(mods, common_dim=2, private_dim=2, seed=seed)


def _data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 2))
    a = (z @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(n, 6))).astype(np.float32)
    b = (1 / (1 + np.exp(-z @ rng.normal(size=(2, 5))))).astype(np.float32)
    mask = np.ones((n, 2), np.float32)
    mask[: n // 4, 1] = 0
    return {"a": a, "b": b, "mask": mask}


FRESH = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(sys.argv[1])
    a = np.load(sys.argv[2]); noise = np.load(sys.argv[3])
    sig = loaded.signatures
    out = {"signatures": sorted(sig),
           "b_from_a": sig["generate_b_from_a"](a=tf.constant(a))["b"].numpy().tolist(),
           "joint_b": sig["sample_joint"](noise=tf.constant(noise))["b"].numpy().tolist(),
           "swap": sig["swap_a"](content=tf.constant(a), style=tf.constant(a[::-1].copy()))[
               "a"].numpy().tolist()}
    out["ibtf_imported"] = any(m == "ibtf" or m.startswith("ibtf.") for m in sys.modules)
    print(json.dumps(out))
""")


def test_training_generation_swap_round_trip_and_export(tmp_path):
    data = _data()
    model = _model()
    model.compile(keras.optimizers.Adam(3e-3))
    history = model.fit(data, epochs=4, batch_size=32, verbose=0).history
    assert np.isfinite(history["loss"]).all() and history["loss"][-1] < history["loss"][0]
    assert model.encode(data).shape == (128, 2)
    assert model.generate({"a": data["a"][:4]}, "b", num_samples=3).shape == (3, 4, 5)
    assert model.swap(data["a"][:4], data["a"][4:8], "a").shape == (4, 6)
    assert {k: v.shape for k, v in model.sample(3).items()} == {"a": (3, 6), "b": (3, 5)}
    assert np.isfinite(model.log_likelihood(data, num_samples=5)).all()
    restored = keras_roundtrip(model, tmp_path / "keras")
    restored.encode(data)
    assert_same_weights(model, restored)
    assert restored.get_config() == model.get_config()
    np.testing.assert_allclose(restored.generate({"a": data["a"]}, "b"),
                               model.generate({"a": data["a"]}, "b"), rtol=1e-5)

    path = export(model, str(tmp_path), "wyner")
    noise = np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32)
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
                                 "serving_default", "swap_a", "swap_b"]
    np.testing.assert_allclose(out["b_from_a"], model.generate({"a": data["a"][:5]}, "b"),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["swap"], model.swap(data["a"][:5], data["a"][:5][::-1],
                                                       "a"), rtol=1e-5, atol=1e-6)
    want = {k: v.numpy() for k, v in model._joint_from_noise(noise).items()}
    np.testing.assert_allclose(out["joint_b"], want["b"], rtol=1e-5, atol=1e-6)


def test_bad_arguments_name_the_fix():
    mods = [Modality((2,), name=k) for k in "ab"]
    with pytest.raises(ValueError, match="common_dim"):
        VariationalWyner(mods, common_dim=0)
    with pytest.raises(ValueError, match="takes 2 to 2"):
        VariationalWyner([Modality((2,), name=k) for k in "abc"])
