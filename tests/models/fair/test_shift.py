import numpy as np
import pytest

from ibtf._keras import keras
from ibtf.data.planted import spurious_shift
from ibtf.models.fair import InvariantBottleneck
from ibtf.testing import assert_roundtrip

DATA = spurious_shift(128, (0.95, 0.6), seed=0)


def test_is_the_conditional_club_configuration_and_round_trips(tmp_path):
    model = InvariantBottleneck(2, hidden_units=(8, 8), adversary_units=(8,), seed=0)
    assert model.conditional_leakage and model.leakage == "vclub"
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=False)
    logs = model.fit(DATA.x, DATA.y, env=DATA.env, batch_size=64, epochs=1, verbose=0).history
    assert np.isfinite(logs["loss"][-1])
    assert_roundtrip(model, tmp_path / "inv", lambda m: m.predict_labels(DATA.x), rtol=0)


def test_env_is_required():
    model = InvariantBottleneck(2, hidden_units=(8, 8), seed=0)
    with pytest.raises(ValueError, match="env"):
        model.fit(DATA.x, DATA.y)
