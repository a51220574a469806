"""Critics that turn a batch of pairs into a score matrix ``scores[i, j] = f(x_j, y_i)``."""
from ibtf._keras import keras, tf

__all__ = ["ConcatCritic", "SeparableCritic"]


def _check_units(hidden_units, name="hidden_units"):
    units = tuple(hidden_units) if isinstance(hidden_units, (list, tuple)) else None
    if units is None or not all(isinstance(u, int) and not isinstance(u, bool) and u > 0
                                for u in units):
        raise ValueError(
            f"{name} must be a list of positive ints (one per hidden layer), got "
            f"{hidden_units!r}; e.g. [256, 256]."
        )
    return units


def _check_seed(seed):
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
    return seed


def mlp_layers(hidden_units, out_units, activation, seed, prefix):
    """Dense layers of an MLP with seeded Glorot initialisers (seed, seed + 1, ...)."""
    layers = []
    for k, units in enumerate(tuple(hidden_units) + (out_units,)):
        last = k == len(hidden_units)
        layers.append(keras.layers.Dense(
            units,
            activation=None if last else activation,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + k),
            name=f"{prefix}_{k}",
        ))
    return layers


def _apply(layers, inputs):
    for layer in layers:
        inputs = layer(inputs)
    return inputs


def _split_pair(inputs):
    if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
        raise ValueError(
            "critic inputs must be a pair (x, y) of [batch, features] tensors; call the critic "
            "as critic((x, y))."
        )
    return inputs[0], inputs[1]


def _split_pair_shape(input_shape):
    if isinstance(input_shape, tf.TensorShape) or not isinstance(input_shape, (list, tuple)) \
            or len(input_shape) != 2:
        raise ValueError(
            f"critic inputs must be a pair (x, y) of [batch, features] tensors, got input shape "
            f"{input_shape}; call the critic as critic((x, y))."
        )
    return tuple(tf.TensorShape(s) for s in input_shape)


@keras.utils.register_keras_serializable(package="ibtf")
class SeparableCritic(keras.Model):
    """Separable critic ``f(x, y) = g(x)^T h(y)`` with MLP embeddings g and h.

    Oord et al. 2018 (CPC's bilinear/separable form); Poole et al. 2019, Sec. 4 ("separable
    critic"). One forward pass per example embeds the batch, and the whole [B, B] score matrix
    is one matrix product ``h(Y) g(X)^T``, so the cost is O(B) networks + O(B^2 k) products.

    Args:
      hidden_units: hidden widths of both MLPs.
      embed_dim: dimension k of the embeddings.
      activation: Keras activation of the hidden layers.
      seed: int seed of the initialisers (g uses seed.., h uses seed + 100..).
      **kwargs: Keras Model arguments (name, ...).

    Call arguments:
      inputs: pair ``(x, y)`` of [B, dx] and [B, dy] tensors.

    Returns:
      [B, B] scores with ``scores[i, j] = g(x_j)^T h(y_i)``.

    >>> critic = SeparableCritic(hidden_units=[16], embed_dim=4)
    >>> critic((tf.zeros([3, 2]), tf.zeros([3, 5]))).shape
    TensorShape([3, 3])
    """

    def __init__(self, hidden_units=(256, 256), embed_dim=32, activation="relu", seed=0,
                 **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = _check_units(hidden_units)
        if not isinstance(embed_dim, int) or isinstance(embed_dim, bool) or embed_dim <= 0:
            raise ValueError(f"embed_dim must be a positive int, got {embed_dim!r}; e.g. 32.")
        self.embed_dim = embed_dim
        self.activation = keras.activations.serialize(keras.activations.get(activation))
        self.seed = _check_seed(seed)
        self.g_layers = mlp_layers(self.hidden_units, embed_dim, activation, seed, "g")
        self.h_layers = mlp_layers(self.hidden_units, embed_dim, activation, seed + 100, "h")

    def build(self, input_shape):
        x_shape, y_shape = _split_pair_shape(input_shape)
        for layers, shape in ((self.g_layers, x_shape), (self.h_layers, y_shape)):
            for layer in layers:
                layer.build(shape)
                shape = layer.compute_output_shape(shape)
        # Model.build would try to trace the call from one shape; a pair needs the Layer one.
        keras.layers.Layer.build(self, input_shape)

    def call(self, inputs):
        x, y = _split_pair(inputs)
        return tf.matmul(_apply(self.h_layers, y), _apply(self.g_layers, x), transpose_b=True)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units), embed_dim=self.embed_dim,
                      activation=self.activation, seed=self.seed)
        return config


@keras.utils.register_keras_serializable(package="ibtf")
class ConcatCritic(keras.Model):
    """Concatenated critic ``f(x, y) = MLP([x; y])`` evaluated on all B^2 pairs.

    Belghazi et al. 2018 (MINE's statistics network); Poole et al. 2019, Sec. 4 ("concat
    critic"). More expressive than a separable critic, and B times more expensive: every one of
    the B^2 pairs goes through the network.

    Args:
      hidden_units: hidden widths of the MLP.
      activation: Keras activation of the hidden layers.
      seed: int seed of the initialisers.
      **kwargs: Keras Model arguments (name, ...).

    Call arguments:
      inputs: pair ``(x, y)`` of [B, dx] and [B, dy] tensors.

    Returns:
      [B, B] scores with ``scores[i, j] = MLP([x_j; y_i])``.
    """

    def __init__(self, hidden_units=(256, 256), activation="relu", seed=0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = _check_units(hidden_units)
        self.activation = keras.activations.serialize(keras.activations.get(activation))
        self.seed = _check_seed(seed)
        self.mlp_layers = mlp_layers(self.hidden_units, 1, activation, seed, "f")

    def build(self, input_shape):
        x_shape, y_shape = _split_pair_shape(input_shape)
        shape = tf.TensorShape([None, x_shape[-1] + y_shape[-1]])
        for layer in self.mlp_layers:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        # Model.build would try to trace the call from one shape; a pair needs the Layer one.
        keras.layers.Layer.build(self, input_shape)

    def call(self, inputs):
        x, y = _split_pair(inputs)
        n_y, n_x = tf.shape(y)[0], tf.shape(x)[0]
        # pairs[i, j] = [x_j; y_i], flattened so the MLP sees one row per pair.
        x_tiled = tf.broadcast_to(x[None, :, :], [n_y, n_x, x.shape[-1]])
        y_tiled = tf.broadcast_to(y[:, None, :], [n_y, n_x, y.shape[-1]])
        pairs = tf.reshape(tf.concat([x_tiled, y_tiled], axis=-1), [-1, x.shape[-1] + y.shape[-1]])
        return tf.reshape(_apply(self.mlp_layers, pairs), [n_y, n_x])

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units), activation=self.activation,
                      seed=self.seed)
        return config
