"""The digits protocols: the judges' accuracy, argument checks."""
import numpy as np
import pytest

from ibtf.data import digits_pairs
from ibtf.models.multimodal import protocol


def test_multivae_judges_reach_099_on_held_out_digits():
    train, test = digits_pairs(seed=0)
    judges = protocol.make_classifiers(train, "multivae")
    for key in ("a", "b"):
        assert np.mean(judges[key](test.inputs[key]) == test.labels) >= 0.99, key


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="protocol"):
        protocol.build("MVAE", "fast")
    with pytest.raises(ValueError, match="choose from"):
        protocol.build("VAE", "short")
    assert {"MVAE", "MMVAE", "MoPoE", "MEME", "Wyner", "MMALI"} <= set(protocol.MODELS)
