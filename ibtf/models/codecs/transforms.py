"""Analysis and synthesis transforms of the learned image codecs (Balle et al. 2017, 2018).

Each stage is a 5x5 convolution that halves (analysis) or doubles (synthesis) the spatial
size, followed by GDN (analysis) or inverse GDN (synthesis); the last stage has none. The
hyper-transforms follow Balle et al. 2018 (sec. 4): |y| -> 3x3 conv -> ReLU -> 5x5/2 convs,
and back with transposed 5x5 convs and a final 3x3 conv.
"""
import tensorflow_compression as tfc

from ibtf._keras import keras

__all__ = ["analysis_transform", "synthesis_transform", "hyper_analysis_transform",
           "hyper_synthesis_transform"]


def _conv(filters, kernel, name, down=1, up=1, activation=None):
    return tfc.SignalConv2D(filters, (kernel, kernel), name=name, corr=down > 1 or up == 1,
                            strides_down=down, strides_up=up, padding="same_zeros",
                            use_bias=True, activation=activation)


def analysis_transform(filters, latent_filters, stages, name="analysis"):
    """x in [0, 1] -> y, spatially 2**stages times smaller, ``latent_filters`` channels."""
    layers = []
    for i in range(stages):
        last = i == stages - 1
        layers.append(_conv(latent_filters if last else filters, 5, f"conv_{i}", down=2))
        if not last:
            layers.append(tfc.GDN(name=f"gdn_{i}"))
    return keras.Sequential(layers, name=name)


def synthesis_transform(filters, channels, stages, name="synthesis"):
    """y_hat -> x_hat in (roughly) [0, 1], 2**stages times larger, ``channels`` channels."""
    layers = []
    for i in range(stages):
        last = i == stages - 1
        layers.append(_conv(channels if last else filters, 5, f"conv_{i}", up=2))
        if not last:
            layers.append(tfc.GDN(inverse=True, name=f"igdn_{i}"))
    return keras.Sequential(layers, name=name)


def hyper_analysis_transform(hyper_filters, stages, name="hyper_analysis"):
    """|y| -> z, 2**stages times smaller (Balle 2018, Fig. 4 right, top)."""
    layers = [_conv(hyper_filters, 3, "conv_in", activation="relu")]
    for i in range(stages):
        last = i == stages - 1
        layers.append(_conv(hyper_filters, 5, f"conv_{i}", down=2,
                            activation=None if last else "relu"))
    return keras.Sequential(layers, name=name)


def hyper_synthesis_transform(hyper_filters, latent_filters, stages,
                              name="hyper_synthesis"):
    """z_hat -> scale indexes of y (one per latent element), 2**stages times larger."""
    layers = [_conv(hyper_filters, 5, f"conv_{i}", up=2, activation="relu")
              for i in range(stages)]
    layers.append(_conv(latent_filters, 3, "conv_out"))
    return keras.Sequential(layers, name=name)
