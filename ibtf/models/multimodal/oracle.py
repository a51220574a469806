"""An MVAE set to the generating model of bimodal linear-Gaussian data (a known-truth oracle)."""
import numpy as np

from ibtf.models.multimodal.modality import Modality
from ibtf.models.multimodal.mvae import MVAE

__all__ = ["linear_gaussian_mvae", "linear_gaussian_meme"]


def linear_gaussian_mvae(truth, inflate=1.0, seed=0):
    """An MVAE whose affine experts and decoders are the generating model of ``truth``.

    ``truth`` is an ``ibtf.data.LinearGaussianBimodal`` (A_m with orthogonal columns). For
    A_m = Q_m diag(s_m), the likelihood p(x_m|z) as a function of z is the Gaussian expert
    N(Q_m^T x / s_m, diag(sigma_m / s_m)^2); its product with the N(0, I) prior expert is the
    exact posterior p(z|x_S) for every subset S (Wu & Goodman 2018, eq. 3), and the decoders
    are exact, so the model's conditionals and likelihoods are the closed forms. ``inflate``
    widens the experts: an imperfect proposal for importance-sampling checks.
    """
    latent = truth.a_matrix.shape[1]
    mods = [Modality((len(truth.a_matrix),), name="a", hidden_units=()),
            Modality((len(truth.b_matrix),), name="b", hidden_units=())]
    model = MVAE(mods, latent_dim=latent, seed=seed)
    model.build()
    for modality, a, sigma in zip(model.modality_layers, (truth.a_matrix, truth.b_matrix),
                                  (truth.noise_a, truth.noise_b)):
        s = np.linalg.norm(a, axis=0)
        kernel = np.concatenate([a / s ** 2, np.zeros_like(a)], 1)
        scale = inflate * sigma / s - modality.expert.min_scale
        bias = np.concatenate([np.zeros(latent), np.log(np.expm1(scale))])
        modality.expert.params.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
        modality.decoder.layers[0].set_weights([a.T.astype(np.float32),
                                                np.zeros(len(a), np.float32)])
        modality.log_scale.assign(np.full(len(a), np.log(sigma), np.float32))
    return model


def linear_gaussian_meme(truth, num_samples=1000, seed=0):
    """A MEME whose experts are the exact unimodal posteriors p(z|x_m) of ``truth`` and whose
    decoders are the generating model.

    MEME's experts are whole posteriors (each is the other's conditional prior), not likelihood
    factors: for A_m = Q_m diag(s_m) and r = s_m^2 / sigma_m^2, p(z|x_m) =
    N(diag(r / (1 + r)) Q_m^T x / s_m, diag(1 / (1 + r))). Its pseudo-sample prior stays at
    its initialisation (no closed form for it), so only the paired bounds are exact here.
    """
    from ibtf.models.multimodal.meme import MEME
    latent = truth.a_matrix.shape[1]
    mods = [Modality((len(truth.a_matrix),), name="a", hidden_units=()),
            Modality((len(truth.b_matrix),), name="b", hidden_units=())]
    model = MEME(mods, latent_dim=latent, num_samples=num_samples, seed=seed)
    model.build()
    for modality, a, sigma in zip(model.modality_layers, (truth.a_matrix, truth.b_matrix),
                                  (truth.noise_a, truth.noise_b)):
        s = np.linalg.norm(a, axis=0)
        r = s ** 2 / sigma ** 2
        kernel = np.concatenate([a / s ** 2 * (r / (1 + r)), np.zeros_like(a)], 1)
        scale = 1 / np.sqrt(1 + r) - modality.expert.min_scale
        bias = np.concatenate([np.zeros(latent), np.log(np.expm1(scale))])
        modality.expert.params.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
        modality.decoder.layers[0].set_weights([a.T.astype(np.float32),
                                                np.zeros(len(a), np.float32)])
        modality.log_scale.assign(np.full(len(a), np.log(sigma), np.float32))
    return model
