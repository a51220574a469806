"""Known-truth checks of the disentanglement zoo, registered with :mod:`ibtf.models.zoo`.

Layout (to keep parallel work merge-free): the first block registers FactorVAE, InfoGAN,
GWAE and St-RKM; other entries of this theme live in their own modules imported at the bottom.

A one-sided comparison "A above B" is registered as ``value = A - B``, ``truth = 1`` (the ideal
gap of two scores in [0, 1]), ``tolerance = 1``: it passes exactly when A >= B.
"""
from ibtf.models.zoo.registry import register

__all__ = []

# --- block 1: FactorVAE, InfoGAN, GWAE, St-RKM --------------------------------------------
import functools  # noqa: E402

import numpy as np  # noqa: E402


def _keras():
    from ibtf._keras import keras, tf
    return keras, tf


def _shapes():
    from ibtf.data.procedural_shapes import ProceduralShapes
    return ProceduralShapes(image_size=24, num_positions=10)


def _fit_images(model, images, epochs, seed, batch_size=64, callbacks=()):
    _, tf = _keras()
    tf.random.set_seed(seed)
    data = (tf.data.Dataset.from_tensor_slices(images)
            .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size, drop_remainder=True))
    return model.fit(data, epochs=epochs, verbose=0, callbacks=list(callbacks))


def _factor_score(model, data, seed):
    """The FactorVAE metric with disentanglement_lib's counts (10000 / 5000 votes of L = 64,
    10000 draws for the global variances): each of the family's images is encoded once and
    looked up (``table=True``), so the votes cost nothing (800 / 500 before: s.e. ~0.02)."""
    from ibtf.metrics.disentanglement import factor_vae_score
    return factor_vae_score(model.encode, data, num_train=10_000, num_eval=5_000,
                            num_variance_estimate=10_000, seed=seed, table=True).eval_accuracy


FACTORVAE_SETTINGS = {True: dict(epochs=20), False: dict(epochs=100)}
# Kim & Mnih's convolutional encoder / decoder (4x4 stride-2 convolutions, then a dense layer of
# 128), with three convolutions for 24 px instead of four for 64 px. The MLP (256, 256) used
# before learnt x and y mixed over several units and scale, orientation and shape not at all
# (FactorVAE metric 0.40-0.56 up to 16.8k steps); the conv net puts x, y and scale in one unit
# each within 1.1k steps (benchmarks/results/zoo.md, "third session").
FACTORVAE_NETWORKS = dict(conv_filters=(32, 32, 64), hidden_units=(128,))


@functools.lru_cache(maxsize=None)
def train_factorvae(quick, seed, gamma=30.0, beta=1.0):
    """FactorVAE (or beta-VAE when gamma = 0) on the procedural shapes: (score, recon_nats)."""
    keras, _ = _keras()
    from ibtf.models.disentangle.factorvae import FactorVAE
    data = _shapes()
    images, _ = data.dataset()
    model = FactorVAE(data.image_shape, latent_dim=10, beta=beta, gamma=gamma,
                      **FACTORVAE_NETWORKS, discriminator_units=(256, 256),
                      discriminator_steps=5, seed=seed)
    model.compile(keras.optimizers.Adam(1e-3),
                  keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.9))
    history = _fit_images(model, images, FACTORVAE_SETTINGS[quick]["epochs"], seed)
    return _factor_score(model, data, seed), float(history.history["recon_nats"][-1])


@register("factorvae", paper="Kim & Mnih 2018, Disentangling by Factorising",
          model="ibtf.models.disentangle.factorvae.FactorVAE",
          check="FactorVAE metric on procedural dSprites-like shapes (5 known factors) >= 0.8 "
                "(truth 1, tolerance 0.2)")
def _factorvae(quick, seed):
    score, _ = train_factorvae(quick, seed)
    return score, 1.0, 0.2


# beta-VAE's betas for the matched comparison (beta = 1 is the plain VAE). Quick, seed 0,
# 2026-12-05: reconstruction 26.0, 33.3, 39.8 nats at beta 1, 2, 4; FactorVAE 32.9 nats.
MATCH_BETAS = (1.0, 2.0, 4.0)


def matched_betavae(quick, seed, betas=MATCH_BETAS):
    """FactorVAE and beta-VAE at (nearly) equal reconstruction, as Kim & Mnih 2018 compare them
    (Fig. 5): trains a beta-VAE for each beta in `betas` (same data and networks) and returns
    ``(factor, matched, runs)``: FactorVAE's ``(score, recon_nats)``, the run
    ``(beta, score, recon_nats)`` whose reconstruction is closest to FactorVAE's, and all runs.
    """
    factor = train_factorvae(quick, seed)
    runs = [(beta, *train_factorvae(quick, seed, gamma=0.0, beta=beta)) for beta in betas]
    return factor, min(runs, key=lambda run: abs(run[2] - factor[1])), runs


@register("factorvae_vs_betavae", paper="Kim & Mnih 2018; Higgins et al. 2017 (beta-VAE)",
          model="ibtf.models.disentangle.factorvae.FactorVAE",
          check="FactorVAE metric of FactorVAE (gamma 30) minus that of the beta-VAE (beta in "
                "1, 2, 4) whose reconstruction is closest to FactorVAE's, same data and "
                "networks: passes when >= 0 (truth 1, tolerance 1)")
def _factorvae_vs_betavae(quick, seed):
    (factor, _), (_, beta_score, _), _ = matched_betavae(quick, seed)
    return factor - beta_score, 1.0, 1.0


@register("factorvae_tc", paper="Kim & Mnih 2018, Disentangling by Factorising (TC discriminator)",
          model="ibtf.estimators.total_correlation.PermutationDiscriminator",
          check="FactorVAE's TC discriminator on a 5-D Gaussian with correlation R vs the closed "
                "form -1/2 ln det R (tolerance 10%)")
def _factorvae_tc(quick, seed):
    from ibtf.estimators.total_correlation import estimate_total_correlation
    rng = np.random.default_rng(seed)
    d = 5
    a = rng.normal(size=(d, d))
    cov = a @ a.T + 0.5 * d * np.eye(d)
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    truth = -0.5 * np.linalg.slogdet(corr)[1]
    z = rng.multivariate_normal(np.zeros(d), corr, size=100_000).astype(np.float32)
    steps = 1500 if quick else 6000
    estimate = estimate_total_correlation(z, steps=steps, batch_size=256, seed=seed,
                                          eval_batches=50).tc_nats
    return estimate, truth, 0.1 * truth


INFOGAN_MODES = 8


@functools.lru_cache(maxsize=None)
def train_infogan(quick, seed):
    """InfoGAN on a ring of 8 Gaussians: (purity, L_I in nats) on fresh samples."""
    keras, tf = _keras()
    from ibtf.data.toy2d import ring_of_gaussians
    from ibtf.models.disentangle.infogan import InfoGAN
    data = ring_of_gaussians(20_000, INFOGAN_MODES, radius=2.0, std=0.1, seed=seed)
    tf.random.set_seed(seed)
    model = InfoGAN(2, INFOGAN_MODES, noise_dim=4, hidden_units=(128, 128), seed=seed)
    model.compile()
    batches = (tf.data.Dataset.from_tensor_slices(data.points).shuffle(20_000, seed=seed)
               .repeat().batch(256, drop_remainder=True))
    model.fit(batches, steps_per_epoch=1500 if quick else 6000, epochs=1, verbose=0)
    per_code = 1000
    ids = np.repeat(np.arange(INFOGAN_MODES), per_code)
    noise = np.random.default_rng(seed + 1).normal(size=(len(ids), model.noise_dim))
    samples = model.generate(noise, ids)
    modes = data.nearest_mode(samples)
    purity = np.mean([np.bincount(modes[ids == k], minlength=INFOGAN_MODES).max() / per_code
                      for k in range(INFOGAN_MODES)])
    info = float(tf.reduce_mean(model.info_nats(tf.constant(samples), tf.constant(ids,
                                                                                 tf.int32))))
    return float(purity), info


@register("infogan", paper="Chen et al. 2016, InfoGAN",
          model="ibtf.models.disentangle.infogan.InfoGAN",
          check="2-D ring of 8 Gaussians, Cat(8) code: purity of the nearest mode per code "
                "value >= 0.95 (truth 1, tolerance 0.05)")
def _infogan(quick, seed):
    purity, _ = train_infogan(quick, seed)
    return purity, 1.0, 0.05


@register("infogan_mi", paper="Chen et al. 2016, InfoGAN",
          model="ibtf.models.disentangle.infogan.InfoGAN",
          check="2-D ring of 8 Gaussians, Cat(8) code: L_I = E ln Q(c|G(z,c)) + H(c) within "
                "0.05 nats of ln 8")
def _infogan_mi(quick, seed):
    _, info = train_infogan(quick, seed)
    return info, np.log(INFOGAN_MODES), 0.05


@register("gwae", paper="Nakagawa et al. 2023, Gromov-Wasserstein Autoencoders",
          model="ibtf.models.disentangle.gwae.GWAE",
          check="2-D curved sheet (3/4 of a cylinder) embedded in 20-D: Spearman correlation of "
                "latent vs geodesic distances >= 0.9 (truth 1, tolerance 0.1)")
def _gwae(quick, seed):
    keras, tf = _keras()
    from ibtf.data.toy2d import curved_sheet
    from ibtf.models.disentangle.gwae import GWAE, spearman_latent_geodesic
    train = curved_sheet(10_000, 20, seed=seed)
    test = curved_sheet(500, 20, seed=seed + 1)
    test_points = test.points @ test.embedding.T @ train.embedding   # same embedding as train
    tf.random.set_seed(seed)
    model = GWAE(20, latent_dim=2, hidden_units=(128, 128), gw_weight=1.0, critic_weight=0.1,
                 seed=seed)
    model.compile()
    batches = (tf.data.Dataset.from_tensor_slices(train.points).shuffle(10_000, seed=seed)
               .repeat().batch(128, drop_remainder=True))
    model.fit(batches, steps_per_epoch=800 if quick else 4000, epochs=1, verbose=0)
    rho = spearman_latent_geodesic(model.encode(test_points), test.geodesic_distances())
    return rho, 1.0, 0.1


STRKM_EPOCHS = {True: 15, False: 60}


@functools.lru_cache(maxsize=None)
def train_strkm(quick, seed, plain=False):
    """St-RKM (Cayley Adam on U) or the plain AE: (max |U^T U - I| over training, score)."""
    keras, _ = _keras()
    from ibtf.models.disentangle.strkm import StRKM
    data = _shapes()
    images, _ = data.dataset()
    model = StRKM(data.image_shape, latent_dim=10, feature_dim=64, hidden_units=(256,),
                  pca_weight=0.0 if plain else 1.0, seed=seed)
    model.compile(keras.optimizers.Adam(2e-4),
                  keras.optimizers.Adam(2e-4) if plain else None)
    history = _fit_images(model, images, STRKM_EPOCHS[quick], seed)
    return (float(np.max(history.history["max_orthogonality_error"])),
            _factor_score(model, data, seed))


@register("strkm", paper="Pandey et al. 2021, St-RKM; Li et al. 2020, Cayley Adam",
          model="ibtf.models.disentangle.strkm.StRKM",
          check="max |U^T U - I| over every Cayley-Adam step of training on procedural shapes "
                "below 1e-4 (truth 0, tolerance 1e-4)")
def _strkm(quick, seed):
    error, _ = train_strkm(quick, seed)
    return error, 0.0, 1e-4


@register("strkm_probe", paper="Pandey et al. 2021, St-RKM",
          model="ibtf.models.disentangle.strkm.StRKM",
          check="FactorVAE metric (factor probe) of St-RKM minus that of the plain autoencoder "
                "(same networks, no PCA term, U by Adam): passes when >= 0 (truth 1, "
                "tolerance 1)")
def _strkm_probe(quick, seed):
    _, score = train_strkm(quick, seed)
    _, plain = train_strkm(quick, seed, plain=True)
    return score - plain, 1.0, 1.0

# --- end of block 1 ------------------------------------------------------------------------
from ibtf.models.disentangle import zoo_checks_part2  # noqa: E402,F401  (Deep InfoMax)
from ibtf.models.disentangle import zoo_checks_cmi  # noqa: E402,F401  (CMI disentanglement)
