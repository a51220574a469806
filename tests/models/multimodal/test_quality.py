"""Quality runs (minutes): coherence well above chance on small real and synthetic data."""
import numpy as np
import pytest

from ibtf._keras import keras
from ibtf.callbacks import BetaSchedule
from ibtf.data import digits_pairs, digits_with_labels, shared_private_synthetic
from ibtf.metrics import cross_coherence, latent_probe_accuracy, unimodal_classifier
from ibtf.models.multimodal import MEME, MMVAE, MVAE, Modality, MoPoE

pytestmark = pytest.mark.slow


def _fit(model, data, steps=1500):
    model.compile(keras.optimizers.Adam(1e-3))
    epochs = max(1, round(steps * 64 / len(data)))
    model.fit(data.as_dict(), epochs=epochs, batch_size=64, verbose=0,
              callbacks=[BetaSchedule(1.0, "linear", warmup_steps=steps // 3)])
    return model


@pytest.mark.parametrize("cls", [MMVAE, MEME])
def test_digits_pairing_cross_coherence_beats_chance(cls):
    train, test = digits_pairs(seed=0)
    mods = [Modality((64,), likelihood="bernoulli", hidden_units=(128, 128), name=n, seed=i)
            for i, n in enumerate("ab")]
    model = _fit(cls(mods, latent_dim=16, seed=0), train)
    clf_a = unimodal_classifier(train.inputs["a"], train.labels)
    coherence = cross_coherence(model, {"b": test.inputs["b"]}, test.labels, "a", clf_a)
    assert coherence > 0.3, coherence          # chance: 0.1
    probe = latent_probe_accuracy(model, {"a": train.inputs["a"]}, train.labels,
                                  {"a": test.inputs["a"]}, test.labels)
    assert probe > 0.8, probe


def test_label_modality_generation_classifies_digits():
    train, test = digits_with_labels(seed=0)
    mods = [Modality((64,), likelihood="bernoulli", hidden_units=(128, 128), name="image"),
            Modality((10,), likelihood="categorical", hidden_units=(64,), name="label",
                     likelihood_weight=20.0, seed=1)]
    model = _fit(MVAE(mods, latent_dim=16, seed=0), train)
    probs = model.generate({"image": test.inputs["image"]}, "label")
    accuracy = np.mean(probs.argmax(1) == test.labels)
    assert accuracy > 0.7, accuracy


def test_shared_private_synthetic_cross_generation_keeps_the_class():
    data = shared_private_synthetic(n=3000, num_classes=5, seed=0)
    train, test = data.take(np.arange(2400)), data.take(np.arange(2400, 3000))
    mods = [Modality((20,), name="m0", hidden_units=(64,), scale=0.1),
            Modality((30,), name="m1", hidden_units=(64,), scale=0.1, seed=1)]
    model = _fit(MoPoE(mods, latent_dim=6, seed=0), train)
    clf = unimodal_classifier(train.inputs["m1"], train.labels, num_classes=5)
    coherence = cross_coherence(model, {"m0": test.inputs["m0"]}, test.labels, "m1", clf)
    assert coherence > 0.6, coherence          # chance: 0.2
