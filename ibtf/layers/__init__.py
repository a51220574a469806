"""Bottleneck layers and priors: features -> a TFP distribution over a code and its rate in nats."""
from ibtf.layers.base import Bottleneck
from ibtf.layers.discrete import BernoulliBottleneck, RelaxedCategoricalBottleneck
from ibtf.layers.gaussian import GaussianBottleneck
from ibtf.layers.kl import kl_nats
from ibtf.layers.priors import (ConditionalGaussianPrior, LearnedGaussianPrior, MixturePrior,
                                Prior, StandardNormalPrior, get_prior)

__all__ = ["Bottleneck", "GaussianBottleneck", "BernoulliBottleneck",
           "RelaxedCategoricalBottleneck", "kl_nats", "Prior", "StandardNormalPrior",
           "LearnedGaussianPrior", "MixturePrior", "ConditionalGaussianPrior", "get_prior"]
from ibtf.layers.fusion import MixtureOfExperts, MixtureOfProductsOfExperts, ProductOfExperts  # noqa: E402,E501
__all__ += ["ProductOfExperts", "MixtureOfExperts", "MixtureOfProductsOfExperts"]
