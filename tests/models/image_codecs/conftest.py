"""Tiny trained codecs shared by the codec tests (trained once per session)."""
import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.models.codecs import FactorizedPriorCodec, ScaleHyperpriorCodec

TINY = {"channels": 1, "filters": 8, "stages": 2, "lambda_d": 200.0, "seed": 3}


def smooth_images(count, size=16, seed=0):
    """Smooth random blobs in [0, 1]: compressible, unlike white noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    images = []
    for _ in range(count):
        cx, cy, w = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.3)
        images.append(np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / w))
    return np.asarray(images, np.float32)[..., None]


def _train(model, images, epochs):
    tf.random.set_seed(0)
    model.compile(keras.optimizers.Adam(3e-3), jit_compile=False)
    history = model.fit(images, epochs=epochs, batch_size=16, verbose=0)
    return model, history


@pytest.fixture(scope="session")
def images():
    return smooth_images(64)


@pytest.fixture(scope="session")
def factorized(images):
    return _train(FactorizedPriorCodec(**TINY), images, epochs=4)


@pytest.fixture(scope="session")
def hyperprior(images):
    return _train(ScaleHyperpriorCodec(hyper_filters=8, hyper_stages=1, **TINY), images,
                  epochs=4)
