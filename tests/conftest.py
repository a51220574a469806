"""Shared test set-up: quiet TF, a fresh Keras session and seed per test."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from ibtf._keras import keras, tf  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    keras.backend.clear_session()
    tf.random.set_seed(0)
    yield
