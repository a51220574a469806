import numpy as np
import pytest

from ibtf._keras import keras
from ibtf.models.multimodal import MEME, MMVAE, MVAE, Modality, MoPoE


def _model(cls=MVAE):
    mods = [Modality((6,), name="a", hidden_units=(8,)), Modality((5,), name="b",
                                                                 hidden_units=(8,))]
    model = cls(mods, latent_dim=2, seed=0)
    model.compile(keras.optimizers.Adam(1e-3))
    return model


def _data(n=10):
    rng = np.random.default_rng(0)
    return {"a": rng.normal(size=(n, 6)).astype(np.float32),
            "b": rng.normal(size=(n, 5)).astype(np.float32)}


def test_inconsistent_batch_sizes():
    data = _data()
    with pytest.raises(ValueError, match=r"different batch sizes \{'a': 10, 'b': 7\}"):
        _model().fit({"a": data["a"], "b": data["b"][:7]}, verbose=0)


def test_an_example_with_every_modality_missing():
    data = _data()
    mask = np.ones((10, 2), np.float32)
    mask[[3, 8]] = 0
    with pytest.raises(ValueError, match=r"2 examples have every modality missing .*\[3, 8\].*"
                                         "drop them"):
        _model().fit({**data, "mask": mask}, verbose=0)


def test_unknown_modality_names_in_inputs_mask_and_target():
    model = _model()
    data = _data()
    with pytest.raises(ValueError, match=r"unknown modality names \['c'\].*\['a', 'b'\]"):
        model.fit({**data, "c": data["a"]}, verbose=0)
    with pytest.raises(ValueError, match=r"mask has unknown modality names \['z'\]"):
        model.encode(data, mask={"z": np.ones(10)})
    with pytest.raises(ValueError, match="target='c' is not a modality"):
        model.generate({"a": data["a"]}, "c")


def test_shape_mismatches():
    model = _model()
    data = _data()
    with pytest.raises(ValueError, match=r"inputs\['a'\] has feature shape \(7,\) but the "
                                         r"model was built for \(6,\)"):
        model.fit({**data, "a": np.zeros((10, 7), np.float32)}, verbose=0)
    with pytest.raises(ValueError, match=r"mask has shape \(10, 3\); expected \(10, 2\)"):
        model.fit({**data, "mask": np.ones((10, 3))}, verbose=0)
    with pytest.raises(ValueError, match="only 0 .missing. and 1"):
        model.fit({**data, "mask": np.full((10, 2), 0.5)}, verbose=0)
    with pytest.raises(ValueError, match=r"mask marks \['b'\] observed but inputs has no array"):
        model.encode({"a": data["a"]}, mask=np.ones((10, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        model.fit({**data, "a": np.full((10, 6), np.nan, np.float32)}, verbose=0)


def test_bad_constructions():
    with pytest.raises(ValueError, match="must be an identifier"):
        Modality((3,), name="my image")
    with pytest.raises(ValueError, match="other than"):
        Modality((3,), name="mask")
    with pytest.raises(ValueError, match="likelihood='poisson' must be one of"):
        Modality((3,), likelihood="poisson", name="a")
    with pytest.raises(ValueError, match="unique"):
        MVAE([Modality((3,), name="a"), Modality((3,), name="a")])
    with pytest.raises(ValueError, match="MEME takes 2 to 2 modalities, got 3"):
        MEME([Modality((3,), name=n) for n in "xyw"])
    with pytest.raises(ValueError, match="takes 2 to any number of modalities, got 1"):
        MoPoE([Modality((3,), name="a")])
    with pytest.raises(TypeError, match="Modality layers"):
        MMVAE([keras.layers.Dense(3), Modality((3,), name="a")])
    with pytest.raises(ValueError, match="bound='elbo' must be one of"):
        MMVAE([Modality((3,), name=n) for n in "xy"], bound="elbo")
    with pytest.raises(ValueError, match="unsupervised"):
        _model().fit(_data(), np.zeros(10), verbose=0)
    with pytest.raises(TypeError, match="must be a dict"):
        _model().encode(np.zeros((10, 6)))
    with pytest.raises(ValueError, match="decoder maps a code to shape"):
        MVAE([Modality((3,), name="a", decoder=keras.layers.Dense(4)),
              Modality((3,), name="b")]).build()
