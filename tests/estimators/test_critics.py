import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.estimators.critics import ConcatCritic, SeparableCritic


def _pair(seed=0, n=5, dx=3, dy=4):
    rng = np.random.default_rng(seed)
    return (tf.constant(rng.normal(size=(n, dx)), tf.float32),
            tf.constant(rng.normal(size=(n, dy)), tf.float32))


def _mlp(layers, inputs):
    for layer in layers:
        inputs = layer(inputs)
    return inputs


def test_separable_scores_are_inner_products_of_embeddings():
    x, y = _pair()
    critic = SeparableCritic(hidden_units=[8, 8], embed_dim=3, seed=1)
    scores = critic((x, y)).numpy()
    g, h = _mlp(critic.g_layers, x).numpy(), _mlp(critic.h_layers, y).numpy()
    for i in range(5):
        for j in range(5):
            assert scores[i, j] == pytest.approx(float(h[i] @ g[j]), rel=1e-5, abs=1e-6)


def test_concat_scores_are_mlp_of_each_pair():
    x, y = _pair(n=4)
    critic = ConcatCritic(hidden_units=[8], seed=2)
    scores = critic((x, y)).numpy()
    for i in range(4):
        for j in range(4):
            pair = tf.concat([x[j], y[i]], axis=0)[None, :]
            assert scores[i, j] == pytest.approx(float(_mlp(critic.mlp_layers, pair)[0, 0]),
                                                 rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("cls", [SeparableCritic, ConcatCritic])
def test_seed_makes_initialisation_reproducible(cls):
    x, y = _pair()
    np.testing.assert_array_equal(cls(hidden_units=[8], seed=3)((x, y)),
                                  cls(hidden_units=[8], seed=3)((x, y)))
    assert not np.allclose(cls(hidden_units=[8], seed=3)((x, y)),
                           cls(hidden_units=[8], seed=4)((x, y)))


@pytest.mark.parametrize("cls", [SeparableCritic, ConcatCritic])
def test_save_and_reload_round_trip(cls, tmp_path):
    x, y = _pair()
    critic = cls(hidden_units=[8, 8], activation="tanh", seed=5)
    expected = critic((x, y)).numpy()
    path = str(tmp_path / "critic")
    critic.save(path, save_format="tf", save_traces=False)
    reloaded = keras.models.load_model(path)
    assert type(reloaded) is cls
    assert reloaded.get_config() == critic.get_config()
    np.testing.assert_allclose(reloaded((x, y)), expected, rtol=1e-6)
    for a, b in zip(critic.weights, reloaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("cls", [SeparableCritic, ConcatCritic])
def test_from_config_rebuilds_same_architecture(cls):
    critic = cls(hidden_units=[6], seed=7)
    clone = cls.from_config(critic.get_config())
    x, y = _pair()
    np.testing.assert_array_equal(critic((x, y)), clone((x, y)))   # same seeds, same weights


@pytest.mark.parametrize("kwargs, match", [
    ({"hidden_units": [0]}, "hidden_units"),
    ({"hidden_units": 256}, "hidden_units"),
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
])
def test_bad_arguments(kwargs, match):
    for cls in (SeparableCritic, ConcatCritic):
        with pytest.raises(ValueError, match=match):
            cls(**kwargs)
    with pytest.raises(ValueError, match="embed_dim"):
        SeparableCritic(embed_dim=0)


def test_inputs_must_be_a_pair():
    with pytest.raises(ValueError, match="pair"):
        SeparableCritic(hidden_units=[4])(tf.zeros([3, 2]))
