"""Argument checks and MLP stacks shared by the disentanglement models of part 1b."""
from ibtf._keras import keras

__all__ = ["check_positive_int", "check_units", "dense_stack"]


def check_positive_int(value, name, hint, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}; {hint}")
    return value


def check_units(hidden_units, name="hidden_units"):
    units = tuple(hidden_units) if isinstance(hidden_units, (list, tuple)) else None
    if not units or not all(isinstance(u, int) and not isinstance(u, bool) and u > 0
                            for u in units):
        raise ValueError(f"{name}={hidden_units!r} must be a non-empty list of positive ints "
                         "(one per hidden layer), e.g. [64, 64]")
    return units


def dense_stack(hidden_units, out_units, seed, name, activation="leaky_relu"):
    """A Sequential MLP: leaky-ReLU hidden layers, then a linear layer of ``out_units`` (none
    when ``out_units`` is None); Glorot initialisers seeded seed, seed + 1, ..."""
    init = keras.initializers.GlorotUniform
    layers = [keras.layers.Dense(u, activation=activation, kernel_initializer=init(seed + k),
                                 name=f"{name}_{k}") for k, u in enumerate(hidden_units)]
    if out_units is not None:
        layers.append(keras.layers.Dense(out_units, kernel_initializer=init(seed + 99),
                                         name=f"{name}_out"))
    return keras.Sequential(layers, name=name)
