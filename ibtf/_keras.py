"""The one place ibtf imports Keras.

ibtf is built on ``tf.keras`` (Keras 2.14, pinned with TF 2.14.1). A later move to ``tf_keras``
on a newer TF changes this line only.
"""
import tensorflow as tf

keras = tf.keras

__all__ = ["keras", "tf"]
