"""Conditional Entropy Bottleneck classifier (Fischer 2020)."""
from ibtf._keras import keras, tf
from ibtf.layers.priors import ConditionalGaussianPrior
from ibtf.models.vib import VIBClassifier

__all__ = ["CEBClassifier"]


@keras.utils.register_keras_serializable(package="ibtf")
class CEBClassifier(VIBClassifier):
    """Forward encoder e(z|x), backward encoder b(z|y), classifier c(y|z):

    loss = beta * mean_i KL(e(z|x_i) || b(z|y_i)) - mean_i ln c(y_i | z_i),  z_i ~ e(z|x_i)

    (Fischer 2020, "The Conditional Entropy Bottleneck", eq. 9 with the single-sample
    ln e(z|x) - ln b(z|y) replaced by its expectation, the analytic KL between the two
    Gaussians). The KL term upper-bounds the residual information I(X; Z | Y): what the code
    keeps about x beyond the label; it is reported as ``residual_nats``. b(z|y) is a Gaussian
    affine in the one-hot label (a ``ConditionalGaussianPrior``); labels are needed for
    training and evaluation, not for prediction.

    Args:
      backward_learn_scale: learn b's scale per class, else fix it to 1 (Fischer's choice).
      Other arguments as ``VIBClassifier``; ``prior`` is the backward encoder.

    Metrics: ``loss``, ``ce_nats``, ``residual_nats``, ``accuracy``.
    """

    rate_metric_name = "residual_nats"

    def __init__(self, num_classes, latent_dim=256, beta=1e-2, prior=None,
                 backward_learn_scale=True, scale_shift=0.0, **kwargs):
        if prior is None:
            prior = ConditionalGaussianPrior(learn_scale=backward_learn_scale,
                                             name="backward_encoder")
        super().__init__(num_classes, latent_dim=latent_dim, beta=beta, prior=prior,
                         scale_shift=scale_shift, **kwargs)

    def _check_prior(self, prior):
        if not prior.conditional:
            raise ValueError("CEBClassifier's backward encoder b(z|y) must be a conditional "
                             "prior (e.g. ConditionalGaussianPrior); for r(z) use VIBClassifier")

    def _context(self, labels):
        return tf.one_hot(labels, self.num_classes)

    def build(self, input_shape):
        if not self.bottleneck.prior.built:
            self.bottleneck.prior.build(tf.TensorShape([None, self.num_classes]))
        super().build(input_shape)
