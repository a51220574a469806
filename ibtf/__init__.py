"""ibtf: variational information bottlenecks for TensorFlow/Keras.

A bottleneck is a Keras layer that turns features into a TFP distribution over a code and
accounts, in nats, for the information that code spends.
"""
__version__ = "0.1.0"
