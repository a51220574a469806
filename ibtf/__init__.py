"""ibtf: variational information bottlenecks for TensorFlow/Keras.

A bottleneck is a Keras layer that turns features into a TFP distribution over a code and
accounts, in nats, for the information that code spends. Subpackages load on first use
(``ibtf.layers``, ``ibtf.models``, ...), so ``import ibtf`` and ``ibtf --version`` stay fast.
"""
import importlib

__version__ = "0.1.0"

_SUBMODULES = ("callbacks", "data", "estimators", "layers", "losses", "metrics", "models",
               "serving", "streams", "testing", "theory", "xla")

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"ibtf.{name}")
    raise AttributeError(f"module 'ibtf' has no attribute {name!r}")
