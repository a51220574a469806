"""What the multimodal VAEs share: modalities by name, masks, encoding, generation, serving.

Data is a dict ``{name: [N, *shape] array, "mask": [N, M]}``. The mask has one column per
modality in the model's order, 1 where the modality is observed and 0 where it is missing
(the array then holds any placeholder, e.g. zeros). A missing modality's expert drops out of
the fusion and its likelihood out of the objective. Without "mask", every modality given is
observed; a modality left out of the dict is missing.
"""
import numpy as np

from ibtf._keras import keras, tf
from ibtf.layers.fusion import nonempty_subsets
from ibtf.models.base import IBModel, check_array
from ibtf.models.multimodal.modality import Modality

__all__ = ["MultimodalVAE", "check_inputs"]

_LOG_2PI = float(np.log(2 * np.pi))


def _standard_normal_log_prob(z):
    return -0.5 * tf.reduce_sum(tf.square(z) + _LOG_2PI, axis=-1)


def check_inputs(inputs, modalities, mask=None, require_observed=True):
    """Validates a multimodal batch; returns ``(arrays, mask)`` as float32 numpy.

    Raises ValueError/TypeError naming the input and the fix for: a non-dict, unknown modality
    names, feature shapes that differ from the modality's, batch sizes that differ across
    modalities, a mask of the wrong shape or values, a mask that marks a modality observed
    when no array was given, and (``require_observed``) an example with every modality missing.
    """
    names = [m.name for m in modalities]
    if not isinstance(inputs, dict):
        raise TypeError(f"inputs must be a dict {{modality name: array}} with names from "
                        f"{names}, got {type(inputs).__name__}")
    inputs = dict(inputs)
    if mask is None:
        mask = inputs.pop("mask", None)
    else:
        inputs.pop("mask", None)
    unknown = sorted(set(inputs) - set(names))
    if unknown:
        raise ValueError(f"inputs has unknown modality names {unknown}; this model's "
                         f"modalities are {names} (plus an optional 'mask')")
    if not inputs:
        raise ValueError(f"inputs holds no modality; give at least one of {names}")
    arrays = {}
    for m in modalities:
        if m.name in inputs:
            arrays[m.name] = check_array(f"inputs[{m.name!r}]", inputs[m.name], m.event_shape)
    sizes = {name: len(a) for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"inputs have different batch sizes {sizes}: every modality needs one "
                         "row per example (zeros where missing, with mask 0)")
    n = next(iter(sizes.values()))
    given = np.array([[1.0 if m.name in arrays else 0.0 for m in modalities]], np.float32)
    if mask is None:
        mask = np.repeat(given, n, axis=0)
    else:
        if isinstance(mask, dict):
            bad = sorted(set(mask) - set(names))
            if bad:
                raise ValueError(f"mask has unknown modality names {bad}; use {names}")
            mask = np.stack([np.asarray(mask.get(name, np.zeros(n)), np.float32).reshape(-1)
                             for name in names], axis=1)
        mask = np.asarray(mask, np.float32)
        if mask.shape != (n, len(names)):
            raise ValueError(f"mask has shape {mask.shape}; expected ({n}, {len(names)}): one "
                             f"row per example, columns {names}, 1 = observed, 0 = missing")
        if not np.isin(mask, (0.0, 1.0)).all():
            raise ValueError("mask must hold only 0 (missing) and 1 (observed)")
        ghost = (mask > given).any(axis=0)
        if ghost.any():
            missing = [name for name, g in zip(names, ghost) if g]
            raise ValueError(f"mask marks {missing} observed but inputs has no array for them; "
                             "pass the arrays (zeros where missing) or set those columns to 0")
    if require_observed:
        empty = np.flatnonzero(mask.sum(axis=1) == 0)
        if empty.size:
            raise ValueError(f"{empty.size} examples have every modality missing (first rows "
                             f"{empty[:5].tolist()}); they carry no information: drop them")
    for name in names:
        if name not in arrays:
            shape = next(m.event_shape for m in modalities if m.name == name)
            arrays[name] = np.zeros((n, *shape), np.float32)
    return arrays, mask


class MultimodalVAE(IBModel):
    """Base: M named modalities sharing one latent code z ~ N(0, I_d).

    Subclasses set the fusion (``_make_fusion``) and write their objective in ``objective``;
    everything else is shared:

    * ``fit(x={name: array, ..., "mask": [N, M]})``: training on partially observed data.
    * ``encode(inputs, mask)``: the mean of the fused posterior q(z|X_O).
    * ``generate(inputs, target, mask)``: conditional generation from any subset to a modality.
    * ``sample(n)``: joint sampling through the prior.
    * ``log_likelihood(inputs, mask, num_samples=K)``: the importance-weighted bound
      ln p(X_O) >= E[ln (1/K) sum_k p(z_k) prod_{m in O} p(x_m|z_k) / q(z_k|X_O)]
      (Burda et al. 2016, eq. 8), tight as K grows.
    * ``serving_signatures()``: one per generation direction, plus ``sample_joint``.

    Args:
      modalities: a list of ``Modality`` layers (names unique), in the mask's column order.
      latent_dim: d, the size of z.
      beta: weight of the rate (KL) terms.
      seed: seeds the fusion noise (each modality seeds its own expert).
    """

    min_modalities = 2
    max_modalities = None

    def __init__(self, modalities, latent_dim=16, beta=1.0, seed=0, **kwargs):
        super().__init__(beta=beta, **kwargs)
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim={latent_dim!r} must be a positive integer")
        if isinstance(modalities, dict):
            raise TypeError("modalities must be a list of Modality layers (their order is the "
                            "mask's column order), not a dict")
        modalities = [keras.layers.deserialize(m) if isinstance(m, dict) else m
                      for m in modalities]
        for m in modalities:
            if not isinstance(m, Modality):
                raise TypeError(f"modalities must be Modality layers, got {type(m).__name__}; "
                                "wrap each as Modality(shape, likelihood, name=...)")
        names = [m.name for m in modalities]
        if len(set(names)) != len(names):
            raise ValueError(f"modality names {names} must be unique")
        count = len(modalities)
        if count < self.min_modalities or (self.max_modalities and count > self.max_modalities):
            most = self.max_modalities or "any number of"
            raise ValueError(f"{type(self).__name__} takes {self.min_modalities} to {most} "
                             f"modalities, got {count} ({names})")
        self.latent_dim = latent_dim
        self.seed = int(seed)
        for m in modalities:
            m.set_latent_dim(latent_dim)
        self.modality_layers = list(modalities)
        self.names = tuple(names)
        self.fusion = self._make_fusion()
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.term_trackers = [keras.metrics.Mean(name=n) for n in self.term_names]

    term_names = ("recon_nats", "rate_nats")

    def _make_fusion(self):
        raise NotImplementedError

    @property
    def metrics(self):
        return [self.loss_tracker, *self.term_trackers]

    def build(self, input_shape=None):
        for m in self.modality_layers:
            if not m.built:
                m.build(None)
        self.fusion._ensure_built()
        self._build_extra()
        self._build_input_shape = {m.name: [None, *m.event_shape] for m in self.modality_layers}
        self.built = True

    def _build_extra(self):
        """Subclasses create extra weights here (MEME's pseudo-samples)."""

    def _ensure_built(self):
        if not self.built:
            with self.distribute_strategy.scope():
                self.build(None)

    # -- graph pieces ---------------------------------------------------------------------
    def _unpack(self, data):
        if isinstance(data, (tuple, list)):
            data = data[0]
        if not isinstance(data, dict):
            raise TypeError(f"a batch must be a dict {{name: tensor, 'mask': tensor}} with "
                            f"names {list(self.names)}, got {type(data).__name__}")
        present = [n for n in self.names if n in data]
        if not present:
            raise ValueError(f"a batch holds none of the modalities {list(self.names)}")
        batch = tf.shape(data[present[0]])[0]
        xs = []
        for m in self.modality_layers:
            if m.name in data:
                xs.append(tf.cast(data[m.name], tf.float32))
            else:
                xs.append(tf.zeros(tf.concat([[batch], m.event_shape], 0)))
        if "mask" in data:
            mask = tf.cast(data["mask"], tf.float32)
        else:
            given = tf.constant([[1.0 if n in data else 0.0 for n in self.names]])
            mask = tf.tile(given, [batch, 1])
        return xs, mask

    def experts(self, xs, training=False):
        """Stacked expert parameters: locs, scales [M, B, d]."""
        params = [m.expert_params(x, training=training) for m, x in zip(self.modality_layers, xs)]
        return tf.stack([p[0] for p in params]), tf.stack([p[1] for p in params])

    def log_likelihoods(self, z, xs):
        """lambda_m ln p(x_m|z) for every modality: [M, ..., B]."""
        return tf.stack([m.likelihood_weight * m.log_likelihood(m.decode(z), x)
                         for m, x in zip(self.modality_layers, xs)])

    def prior_log_prob(self, z):
        """ln p(z); N(0, I) unless a subclass says otherwise."""
        return _standard_normal_log_prob(z)

    def prior_from_noise(self, noise, uniform):
        """A prior draw from standard-normal ``noise`` [N, d] (and ``uniform`` [N] for mixture
        priors)."""
        del uniform
        return noise

    def posterior_sample(self, locs, scales, mask, num_samples):
        return self.fusion.sample(locs, scales, mask, num_samples)

    def posterior_log_prob(self, z, locs, scales, mask):
        return self.fusion.log_prob(z, locs, scales, mask)

    def posterior_mean(self, locs, scales, mask):
        return self.fusion.mean(locs, scales, mask)

    def objective(self, xs, mask):
        """Returns (loss, {term name: [B] per-example values}); loss is a scalar."""
        raise NotImplementedError

    # -- Keras steps ----------------------------------------------------------------------
    def call(self, inputs, training=False):
        """The fused posterior mean of ``inputs`` ({name: tensor, 'mask': ...}): [B, d]."""
        xs, mask = self._unpack(inputs)
        locs, scales = self.experts(xs, training=training)
        return self.posterior_mean(locs, scales, mask)

    def _step_scale(self, mask):
        """The factor on the loss the optimiser steps on (1: the batch mean, Keras's
        convention); a model that steps on a batch sum returns B / N here."""
        del mask
        return 1.0

    def train_step(self, data):
        self._ensure_built()
        xs, mask = self._unpack(data)
        with tf.GradientTape() as tape:
            loss, terms = self.objective(xs, mask)
            stepped = loss * self._step_scale(mask)
        self.minimize(stepped, tape)
        return self._track(loss, terms)

    def test_step(self, data):
        self._ensure_built()
        xs, mask = self._unpack(data)
        loss, terms = self.objective(xs, mask)
        return self._track(loss, terms)

    def _track(self, loss, terms):
        self.loss_tracker.update_state(loss)
        for tracker in self.term_trackers:
            tracker.update_state(terms[tracker.name])
        return {m.name: m.result() for m in self.metrics}

    # -- checked public API ---------------------------------------------------------------
    def check_inputs(self, inputs, mask=None, require_observed=True):
        return check_inputs(inputs, self.modality_layers, mask, require_observed)

    def _checked_dict(self, x):
        if isinstance(x, tf.data.Dataset):
            return x
        arrays, mask = self.check_inputs(x)
        return {**arrays, "mask": mask}

    def fit(self, x=None, y=None, *args, **kwargs):
        if y is not None:
            raise ValueError("multimodal VAEs are unsupervised: pass every modality (and the "
                             "mask) in x as a dict and leave y=None")
        x = self._checked_dict(x)
        self._ensure_built()
        return super().fit(x, None, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x = self._checked_dict(x)
        self._ensure_built()
        return super().evaluate(x, None, *args, **kwargs)

    def _batches(self, inputs, mask, batch_size, require_observed=True):
        arrays, mask = self.check_inputs(inputs, mask, require_observed)
        self._ensure_built()
        n = len(mask)
        for start in range(0, n, batch_size):
            yield ([tf.constant(arrays[name][start:start + batch_size]) for name in self.names],
                   tf.constant(mask[start:start + batch_size]))

    def _target(self, target):
        if target not in self.names:
            raise ValueError(f"target={target!r} is not a modality of this model; choose one "
                             f"of {list(self.names)}")
        return self.names.index(target)

    def encode(self, inputs, mask=None, batch_size=256):
        """Mean of the fused posterior q(z|X_O): [N, d] numpy."""
        out = [self._encode(xs, m) for xs, m in self._batches(inputs, mask, batch_size)]
        return np.concatenate([o.numpy() for o in out])

    @tf.function(reduce_retracing=True)
    def _encode(self, xs, mask):
        locs, scales = self.experts(xs)
        return self.posterior_mean(locs, scales, mask)

    def generate(self, inputs, target, mask=None, num_samples=None, sample_outputs=False,
                 batch_size=256):
        """Conditional generation of ``target`` from the observed modalities of ``inputs``.

        With ``num_samples=None``: the decoder mean at the posterior mean of z, [N, *shape].
        Otherwise K draws z ~ q(z|X_O), decoded to likelihood means (or, with
        ``sample_outputs``, to draws x ~ p(x_target|z)): [K, N, *shape].
        """
        index = self._target(target)
        out = []
        for xs, m in self._batches(inputs, mask, batch_size):
            locs, scales = self.experts(xs)
            modality = self.modality_layers[index]
            if num_samples is None:
                params = modality.decode(self.posterior_mean(locs, scales, m))
                out.append(modality.mean(params).numpy())
                continue
            z = self.posterior_sample(locs, scales, m, num_samples)
            params = modality.decode(z)
            if sample_outputs:
                x = modality.distribution(params).sample(seed=self.fusion.next_seed())
                out.append(x.numpy())
            else:
                out.append(modality.mean(params).numpy())
        return np.concatenate(out, axis=0 if num_samples is None else 1)

    def sample(self, num_samples, seed=0):
        """Joint samples: z from the prior, every modality's likelihood mean. {name: [K, ...]}."""
        self._ensure_built()
        rng = np.random.default_rng(seed)
        noise = tf.constant(rng.normal(size=(num_samples, self.latent_dim)), tf.float32)
        uniform = tf.constant(rng.uniform(size=(num_samples,)), tf.float32)
        z = self.prior_from_noise(noise, uniform)
        return {m.name: m.mean(m.decode(z)).numpy() for m in self.modality_layers}

    def log_likelihood(self, inputs, mask=None, num_samples=1000, batch_size=64):
        """Importance-weighted estimate of ln p(X_O) per example, in nats: [N].

        ln (1/K) sum_k p(z_k) prod_{m in O} p(x_m|z_k) / q(z_k|X_O), z_k ~ q(z|X_O): a lower
        bound in expectation that increases with K to ln p(X_O) (Burda, Grosse, Salakhutdinov
        2016, "Importance Weighted Autoencoders", Theorem 1). The proposal is the model's own
        fused posterior. Likelihood weights lambda_m are not applied (true likelihood).
        """
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f"num_samples={num_samples!r} must be a positive integer (K)")
        out = []
        for xs, m in self._batches(inputs, mask, batch_size):
            out.append(self._log_likelihood(xs, m, tf.constant(num_samples)).numpy())
        return np.concatenate(out)

    @tf.function(reduce_retracing=True)
    def _log_likelihood(self, xs, mask, num_samples):
        locs, scales = self.experts(xs)
        z = self.posterior_sample(locs, scales, mask, num_samples)            # [K, B, d]
        log_px = tf.stack([m.log_likelihood(m.decode(z), x)
                           for m, x in zip(self.modality_layers, xs)])        # [M, K, B]
        log_px = tf.reduce_sum(log_px * tf.transpose(mask)[:, None, :], axis=0)
        log_w = self.prior_log_prob(z) + log_px - self.posterior_log_prob(z, locs, scales, mask)
        return tf.reduce_logsumexp(log_w, 0) - tf.math.log(tf.cast(num_samples, tf.float32))

    # -- serving --------------------------------------------------------------------------
    def generation_directions(self):
        """(source names, target name) for every non-empty source subset and every target
        outside it."""
        out = []
        for subset in nonempty_subsets(len(self.names)):
            for t in range(len(self.names)):
                if t not in subset and len(subset) < len(self.names):
                    out.append((tuple(self.names[s] for s in subset), self.names[t]))
        return out

    def serving_signatures(self):
        """``generate_<target>_from_<sources>``: the sources' arrays -> ``<target>`` (the
        decoder mean at the posterior mean of z), one per direction; ``sample_joint``:
        ``noise`` [N, d] standard normal and ``uniform`` [N] in [0, 1) (used by mixture priors)
        -> every modality's mean. ``serving_default`` is the first direction."""
        if not self.built:
            raise ValueError("the model is not built: fit or call it once before exporting")
        signatures = {}
        for sources, target in self.generation_directions():
            key = f"generate_{target}_from_{'_'.join(sources)}"
            signatures[key] = self._direction_fn(sources, target)
        d = self.latent_dim
        specs = [tf.TensorSpec([None, d], tf.float32, name="noise"),
                 tf.TensorSpec([None], tf.float32, name="uniform")]

        @tf.function(input_signature=specs)
        def sample_joint(noise, uniform):
            z = self.prior_from_noise(noise, uniform)
            return {m.name: m.mean(m.decode(z)) for m in self.modality_layers}

        signatures["sample_joint"] = sample_joint
        signatures["serving_default"] = next(iter(signatures.values()))
        return signatures

    def _direction_fn(self, sources, target):
        specs = [tf.TensorSpec([None, *self.modality_layers[self.names.index(s)].event_shape],
                               tf.float32, name=s) for s in sources]
        modality = self.modality_layers[self.names.index(target)]

        def fn(*arrays):
            data = dict(zip(sources, arrays))
            xs, mask = self._unpack(data)
            locs, scales = self.experts(xs)
            z = self.posterior_mean(locs, scales, mask)
            return {target: modality.mean(modality.decode(z))}

        return tf.function(fn, input_signature=specs)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "beta": self.beta,
                "seed": self.seed,
                "modalities": [keras.layers.serialize(m) for m in self.modality_layers]}
