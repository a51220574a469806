"""Transfer Entropy Bottleneck forecaster (Kalajdzievski et al., TMLR 2023; arXiv 2211.16607).

A target-only path forecasts ``y[t:t+H]`` from a context ``c = f(y[t-L:t])``; the TEB path adds a
bottlenecked channel from the source history, ``z ~ q(z | x[t-L:t], c)``, whose rate is charged
against a conditional prior ``r(z | c)``:

    loss = mean_i [ -ln p(y_i | c_i, z_i) ] + beta * mean_i KL(q(z | x_i, c_i) || r(z | c_i)).

With ``linear_lags = p > 0`` the predictive mean is a least-squares autoregression plus the
network's residual (the "highway" of LSTNet, Lai et al. 2018, "Modeling long- and short-term
temporal patterns with deep neural networks", SIGIR): AR(p) for the target-only model, ARX(p, p)
for the TEB model, fitted in closed form on the training windows (`fit_linear`), with the
network's output layer starting at zero and its scale at the least-squares residual scale. So an
untrained model *is* the Gaussian AR/ARX forecaster, and early stopping on validation windows
(which also scores the untrained state) keeps it unless training helps: with little data the
model is the linear one, with enough it learns the nonlinear part. The linear source terms are
information the source transfers; it is measured by the likelihood gain like the channel's, but
only the channel's share is charged as rate.

The rate upper-bounds I(Z; X_past | Y_past), and by the data-processing inequality the
information the channel can add to the forecast, I(Y_future; Z | Y_past), is at most that and
at most the transfer entropy TE(X -> Y) = I(Y_future; X_past | Y_past). The held-out
log-likelihood gain of the TEB predictive over the target-only one estimates that transfer
entropy in nats, because both predictive distributions have learned scales.
"""
import math

import numpy as np
import tensorflow_probability as tfp

from ibtf._keras import keras, tf
from ibtf.layers.base import Bottleneck
from ibtf.layers.kl import kl_nats
from ibtf.layers.priors import ConditionalGaussianPrior
from ibtf.models.base import IBModel
from ibtf.models.teb import residuals

tfd = tfp.distributions

__all__ = ["TEBForecaster", "TransferChannel", "DISTRIBUTIONS", "ENCODERS"]

DISTRIBUTIONS = residuals.FAMILIES          # ("normal", "student_t", "mixture")
ENCODERS = ("mlp", "conv")
_PREDICT_STREAM = 2**31 - 1      # stateless-seed counter reserved for predictive draws
_TRANSFER_STREAM = 2**31 - 2     # ... and for the per-request transfer estimate
_BISECTION_STEPS = 40


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


def _mlp(units, name, trainable=True):
    return [keras.layers.Dense(u, activation="relu", name=f"{name}_{i}", trainable=trainable)
            for i, u in enumerate(units)]


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


@keras.utils.register_keras_serializable(package="ibtf")
class TransferChannel(Bottleneck):
    """The source channel of TEB: q(z | x, c) parametrised relative to r(z | c).

    ``r(z|c) = N(m(c), diag s(c)^2)`` (a `ConditionalGaussianPrior`) and
    ``q(z|x,c) = N(m(c) + s(c) a(x,c), diag (s(c) b(x,c))^2)`` with ``[a, rho] = W h(x,c) + v``,
    ``b = softplus(rho + ln(e - 1))``. So ``KL(q || r) = KL(N(a, b^2) || N(0, 1))`` per
    dimension. The last layer starts at zero bias and small weights (sd 0.01), so at
    initialisation ``q ~= r``: the rate is near 0, and as the decoder reads the code through
    zero-initialised kernels, no source information reaches the forecast (the "closed channel"
    start of TEB's from-context mode; the official code starts the source module at zero mean
    and a tiny variance with ``latent_type: add``, mu_z = mu_x + mu_c).

    Args:
      units: latent size. hidden_units: MLP widths of h(x, c). seed: noise seed.
    """

    def __init__(self, units, hidden_units=(64,), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.units = _positive_int(units, "latent_dim")
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.hidden = _mlp(self.hidden_units, "source")
        # Small random weights (not zeros): with the decoder's code kernels at zero, no
        # information reaches the forecast at the start, but the gradients are not all zero.
        self.head = keras.layers.Dense(
            2 * self.units, bias_initializer="zeros", name="source_head",
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.01, seed=self.seed))
        self.prior = ConditionalGaussianPrior(latent_dim=self.units, name="prior")

    def build(self, input_shape):
        features_shape, context_shape = input_shape
        shape = tf.TensorShape(features_shape)[:-1].concatenate(
            [features_shape[-1] + context_shape[-1]])
        for layer in self.hidden:
            layer.build(shape)
            shape = shape[:-1].concatenate([layer.units])
        self.head.build(shape)
        self.prior.build(tf.TensorShape(context_shape))
        super().build(input_shape)

    def distributions(self, features, context):
        """``(q(z|x,c), r(z|c))``, Independent Normals with event shape [units]."""
        prior = self.prior.distribution(context)
        h = _apply(self.hidden, tf.concat([features, context], axis=-1))
        a, rho = tf.split(self.head(h), 2, axis=-1)
        b = tf.nn.softplus(rho + math.log(math.e - 1.0)) + 1e-4
        m, s = prior.distribution.loc, prior.distribution.scale
        return tfd.Independent(tfd.Normal(m + s * a, s * b), 1), prior

    def sample(self, posterior, num_samples=None, seed=None):
        """Reparameterised codes; with ``num_samples`` common random numbers [S, 1, units]."""
        normal = posterior.distribution
        if num_samples is None:
            shape = tf.shape(normal.loc)
        else:
            shape = [num_samples, 1, self.units]
        return normal.loc + normal.scale * self.standard_normal(shape, normal.loc.dtype, seed)

    def call(self, features, context, training=None):
        posterior, prior = self.distributions(features, context)
        code = self.sample(posterior) if training else posterior.mean()
        return code, kl_nats(posterior, prior)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "hidden_units": list(self.hidden_units)}


class _Predictive:
    """An equal-weight mixture over S codes of per-code distributions, batch [S, B, H, dt].

    The TEB predictive is ``p(y | c, x) = E_{z ~ q(z|x,c)} p(y | c, z)``, estimated with S
    codes (common random numbers); the target-only model has S = 1.
    """

    def __init__(self, components):
        self.components = components

    def log_prob(self, y):
        """ln p(y) per element [B, H, dt] (log-mean-exp over codes)."""
        lp = self.components.log_prob(y[None])
        return tf.reduce_logsumexp(lp, axis=0) - tf.math.log(tf.cast(tf.shape(lp)[0], lp.dtype))

    def mean(self):
        return tf.reduce_mean(self.components.mean(), axis=0)

    def stddev(self):
        means = self.components.mean()
        second = tf.reduce_mean(self.components.variance() + means ** 2, axis=0)
        return tf.sqrt(tf.maximum(second - tf.reduce_mean(means, axis=0) ** 2, 1e-12))

    def cdf(self, y):
        """P(Y <= y) for y [..., B, H, dt] (leading axes broadcast)."""
        y = tf.expand_dims(y, axis=-4)                                   # [..., 1, B, H, dt]
        return tf.reduce_mean(self.components.cdf(y), axis=-4)

    def quantiles(self, levels):
        """Quantiles [B, H, dt, Q] by bisection on the mixture cdf (any component family)."""
        means = self.components.mean()
        spread = 12.0 * tf.sqrt(self.components.variance())
        lo = tf.reduce_min(means - spread, axis=0)[None]                   # [1, B, H, dt]
        hi = tf.reduce_max(means + spread, axis=0)[None]
        levels = tf.reshape(tf.cast(levels, means.dtype), [-1, 1, 1, 1])   # [Q, 1, 1, 1]
        lo = lo + tf.zeros_like(levels)
        hi = hi + tf.zeros_like(levels)

        shape = lo.shape        # a mixture's cdf loses static dimensions: keep the loop's

        def step(i, lo, hi):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < levels
            return (i + 1, tf.ensure_shape(tf.where(below, mid, lo), shape),
                    tf.ensure_shape(tf.where(below, hi, mid), shape))

        # A while loop, not an unrolled one: the graph stays small for any component family.
        _, lo, hi = tf.while_loop(lambda i, *_: i < _BISECTION_STEPS, step,
                                  (tf.constant(0), lo, hi))
        return tf.transpose(0.5 * (lo + hi), [1, 2, 3, 0])


class _Predictions:
    """Forecasts, scores and serving signatures in raw units, from a model's `_forward`.

    Shared by `TEBForecaster` and `ibtf.models.teb.ensemble.TEBEnsemble`; a subclass provides
    ``_forward(inputs, training=False) -> (per-code distribution [S, B, H, dt], rate [B])`` in
    scaled units, ``scaler_config``, ``seed``, ``history_steps``, ``horizon``, ``source_dim``,
    ``target_dim``, ``distribution``, ``num_components``, ``num_samples`` (codes per forecast)
    and ``quantile_levels``.
    """

    def _constant(self, key):
        return tf.constant(self.scaler_config[key], tf.float32)

    def _seed(self, stream):
        return tf.constant([self.seed % (2**31 - 1), stream], tf.int32)

    @tf.autograph.experimental.do_not_convert
    def _fixed_noise(self, kind, shape, stream, part=None, **kwargs):
        """Prediction noise as a graph constant: ``tf.random.stateless_<kind>(shape, seed)``
        with the seed ``(self.seed, stream)`` (or ``part`` 0/1 of its ``stateless_split``),
        drawn once, eagerly (``tf.init_scope``), so a traced forecast embeds the values.

        The draws are those the random ops would make in a plain graph; XLA has its own
        random-number kernels, so without this an XLA-compiled forecast (the fast streaming
        path, `ibtf.streams.StreamingForecaster`) would use other noise than the batch job.
        """
        key = (kind, tuple(int(d) for d in shape), int(stream), part,
               tuple(sorted(kwargs.items())))
        cache = self.__dict__.setdefault("_noise_constants", {})
        if key not in cache:
            with tf.init_scope():
                seed = self._seed(stream)
                if part is not None:
                    seed = tf.random.experimental.stateless_split(seed, 2)[part]
                draw = getattr(tf.random, f"stateless_{kind}")
                cache[key] = draw(list(key[1]), seed, **kwargs).numpy()
        return tf.constant(cache[key])

    def _target_scaled(self, y):
        return (tf.cast(y, tf.float32) - self._constant("target_mean")) / \
            self._constant("target_scale")

    def _raw_mean(self, mean):
        return mean * self._constant("target_scale") + self._constant("target_mean")

    # -- predictions in raw units ------------------------------------------------------------
    def _check_inputs(self, inputs):
        if not isinstance(inputs, dict):
            raise TypeError("inputs must be a dict with 'source_history' [N, L, ds] and "
                            f"'target_history' [N, L, dt], got {type(inputs).__name__}")
        out = {}
        for key, dim in (("source_history", self.source_dim), ("target_history",
                                                                 self.target_dim)):
            if key not in inputs:
                raise ValueError(f"inputs lack {key!r}: pass both 'source_history' and "
                                 "'target_history' (WindowArrays.inputs has them)")
            array = np.asarray(inputs[key], dtype=np.float32)
            if array.ndim != 3 or array.shape[1:] != (self.history_steps, dim):
                raise ValueError(f"{key} has shape {array.shape}; the model was built for "
                                 f"[N, {self.history_steps}, {dim}]: window the data with history="
                                 f"{self.history_steps} and those columns")
            if not np.isfinite(array).all():
                raise ValueError(f"{key} holds NaN or inf: fill or drop those rows first")
            out[key] = array
        return out

    def _check_future(self, target_future, n):
        future = np.asarray(target_future, np.float32)
        if future.shape != (n, self.horizon, self.target_dim):
            raise ValueError(f"target_future has shape {future.shape}; expected "
                             f"[{n}, {self.horizon}, {self.target_dim}]")
        return future

    def _outputs_fn(self, inputs, future, levels):
        """One tf.function per model (kept out of Keras tracking), traced once per input kind:
        a function shared by the class would retrace for every instance."""
        key = "predict" if future is None else "score"
        cache = self.__dict__.setdefault("_forecast_functions", {})
        if key not in cache:
            cache[key] = tf.function(self._outputs, reduce_retracing=True)
        return cache[key](inputs, future, levels)

    def _outputs(self, inputs, future, levels):
        dist, rate = self._forward(inputs, training=False)
        pred = _Predictive(dist)
        scale = self._constant("target_scale")
        out = {"mean": self._raw_mean(pred.mean()), "stddev": pred.stddev() * scale,
               "quantiles": pred.quantiles(levels) * scale[:, None] +
               self._constant("target_mean")[:, None], "rate_nats": rate}
        if future is not None:
            lp = pred.log_prob(self._target_scaled(future)) - tf.math.log(scale)
            out["log_prob"] = tf.reduce_sum(lp, axis=-1)                  # [B, H]
        return out

    def forecast(self, inputs, target_future=None, quantile_levels=None, batch_size=1024):
        """Predictive summaries in raw units, as numpy.

        Returns a dict: ``mean``, ``stddev`` [N, H, dt]; ``quantiles`` [N, H, dt, Q];
        ``rate_nats`` [N]; with ``target_future``, ``log_prob`` [N, H] (nats per forecast step,
        summed over target columns).
        """
        inputs = self._check_inputs(inputs)
        levels = tf.constant(self.quantile_levels if quantile_levels is None else
                             quantile_levels, tf.float32)
        n = len(inputs["target_history"])
        if target_future is not None:
            target_future = self._check_future(target_future, n)
        parts = []
        for lo in range(0, n, batch_size):
            batch = {k: tf.constant(v[lo:lo + batch_size]) for k, v in inputs.items()}
            fut = None if target_future is None else tf.constant(target_future[lo:lo + batch_size])
            parts.append({k: v.numpy() for k, v in self._outputs_fn(batch, fut, levels).items()})
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def log_prob(self, inputs, target_future, batch_size=1024):
        """Held-out log-density per window and forecast step, nats [N, H] (raw units); no
        quantiles are computed (the fast path for scoring)."""
        inputs = self._check_inputs(inputs)
        n = len(inputs["target_history"])
        future = self._check_future(target_future, n)
        cache = self.__dict__.setdefault("_forecast_functions", {})
        if "log_prob" not in cache:
            cache["log_prob"] = tf.function(self._log_prob, reduce_retracing=True)
        parts = []
        for lo in range(0, n, batch_size):
            batch = {k: tf.constant(v[lo:lo + batch_size]) for k, v in inputs.items()}
            parts.append(cache["log_prob"](batch, tf.constant(future[lo:lo + batch_size])).numpy())
        return np.concatenate(parts)

    def _log_prob(self, inputs, future):
        dist, _ = self._forward(inputs, training=False)
        lp = _Predictive(dist).log_prob(self._target_scaled(future)) - \
            tf.math.log(self._constant("target_scale"))
        return tf.reduce_sum(lp, axis=-1)

    # -- serving -----------------------------------------------------------------------------
    def serving_signatures(self, reference=None):
        """``serving_default``: raw-unit ``source_history`` [B, L, ds] and ``target_history``
        [B, L, dt] -> ``mean``, ``stddev`` [B, H, dt], ``quantiles`` [B, H, dt, Q] (levels in
        the export metadata), ``rate_nats`` [B] and, with a target-only ``reference`` model,
        ``transfer_nats`` [B]: the per-request information the source adds,
        ``KL(p_TEB(y|x, y_past) || p_ref(y|y_past))`` summed over steps, a Monte Carlo estimate
        from ``num_samples`` draws of the TEB predictive. Its mean over windows is the transfer
        entropy (TE = E KL(p(y|x_past, y_past) || p(y|y_past))).
        """
        if reference is not None and (not isinstance(reference, _Predictions) or
                                      reference.use_source):
            raise TypeError("reference must be the target-only TEBForecaster (or ensemble)")
        specs = [tf.TensorSpec([None, self.history_steps, self.source_dim], tf.float32,
                               name="source_history"),
                 tf.TensorSpec([None, self.history_steps, self.target_dim], tf.float32,
                               name="target_history")]
        levels = tf.constant(self.quantile_levels, tf.float32)

        @tf.function(input_signature=specs)
        def serve(source_history, target_history):
            inputs = {"source_history": source_history, "target_history": target_history}
            dist, rate = self._forward(inputs, training=False)
            pred = _Predictive(dist)
            scale = self._constant("target_scale")
            mean_t = self._constant("target_mean")
            out = {"mean": self._raw_mean(pred.mean()), "stddev": pred.stddev() * scale,
                   "quantiles": pred.quantiles(levels) * scale[:, None] + mean_t[:, None],
                   "rate_nats": rate}
            if reference is not None:
                out["transfer_nats"] = self._request_transfer(inputs, dist, pred, reference)
            return out

        return {"serving_default": serve}

    def _common_draws(self, dist, num_samples):
        """One draw of y per code from its component, ``[S, B, H, dt]``, made from noise of
        shape ``[S, 1, H, dt]`` shared by every window (common random numbers, fixed once by
        `_fixed_noise`): a window's draws, and so its ``transfer_nats``, do not depend on the
        batch it is served in (a stream serving one window gives the batch job's value)."""
        shape = (num_samples, 1, self.horizon, self.target_dim)
        stream = _TRANSFER_STREAM
        if self.distribution == "normal":
            return dist.loc + dist.scale * self._fixed_noise("normal", shape, stream, part=0)
        if self.distribution == "student_t":
            u = self._fixed_noise("uniform", shape, stream, part=0, minval=1e-6,
                                  maxval=1 - 1e-6)
            return dist.quantile(u)
        # Mixture: the component whose cumulative weight first exceeds u, then its normal.
        u = self._fixed_noise("uniform", shape, stream, part=0)
        weights = tf.math.cumsum(tf.nn.softmax(dist.mixture_distribution.logits, -1), axis=-1)
        pick = tf.minimum(tf.reduce_sum(tf.cast(weights < u[..., None], tf.int32), -1),
                          self.num_components - 1)
        normal = dist.components_distribution
        loc = tf.gather(normal.loc, pick[..., None], batch_dims=4)[..., 0]
        scale = tf.gather(normal.scale, pick[..., None], batch_dims=4)[..., 0]
        return loc + scale * self._fixed_noise("normal", shape, stream, part=1)

    def _request_transfer(self, inputs, dist, pred, reference):
        """MC estimate of KL(p_TEB || p_ref) per window: draws y from each code's component."""
        draws = self._common_draws(dist, self.num_samples)               # [S, B, H, dt]
        ref_dist, _ = reference._forward(inputs, training=False)
        ref = _Predictive(ref_dist)
        # Both models standardise with the same training-row scaler, so the Jacobians cancel.
        gap = tf.map_fn(lambda y: pred.log_prob(y) - ref.log_prob(y), draws)
        return tf.reduce_mean(tf.reduce_sum(gap, axis=[2, 3]), axis=0)



@keras.utils.register_keras_serializable(package="ibtf")
class TEBForecaster(_Predictions, IBModel):
    """Transfer Entropy Bottleneck forecaster: p(y_future | y_past) or p(y_future | y_past, z).

    Objective (per-example means, nats; Kalajdzievski et al. 2023, "Transfer Entropy
    Bottleneck: Learning Sequence to Sequence Information Transfer", TMLR; the TEB objective):

        loss = mean_i [ -ln p(y_i | c_i, z_i) ] + beta * mean_i KL(q(z|x_i, c_i) || r(z|c_i)),

    with ``c = f(y_past)`` the target-only context and ``z ~ q`` one reparameterised code. The
    target-only model (``use_source=False``) drops the channel: loss = mean -ln p(y | c).

    beta and the official code's kappa: ximmao/TransferEntropyBottleneck minimises
    ``kappa * recon + KL`` with ``kappa = N_out * beta_TE`` (a weight on the distortion, and a
    fixed-variance Gaussian recon). Dividing by kappa gives ``recon + (1/kappa) KL``, so their
    setting corresponds to ``beta = 1 / kappa`` here (their sines: beta_TE = 1000, i.e. beta
    1e-3 per output). For a Gaussian channel the gain lost to the rate penalty is about beta/2
    nats at small beta, so beta <= 1e-2 keeps the transfer estimate within 0.005 nats.

    Scaling: the training-row means and scales of `ibtf.streams.StreamScaler` are constants of
    the graph; inputs and outputs are raw units and log-likelihoods are raw-unit nats
    (``ln p_raw(y) = ln p_scaled(z) - sum ln scale``).

    Predictive families (learned scale, per step and target column): ``"normal"``,
    ``"student_t"`` (learned df > 2) and ``"mixture"`` (a Gaussian mixture of
    ``num_components``). Predictions average ``num_samples`` codes from q (common random
    numbers, so a forecast is a deterministic function of its own window).

    Args:
      history: L, window length. horizon: H, forecast steps.
      source_dim, target_dim: ds, dt (columns).
      use_source: False for the target-only model.
      latent_dim: size of z. context_units: width of the context MLP's output.
      hidden_units: hidden widths of the context, source and decoder MLPs.
      encoder: ``"mlp"`` over the flattened window, or ``"conv"`` (dilated causal
        convolutions); both compile well under XLA (no recurrent loop).
      distribution: one of DISTRIBUTIONS. num_components: mixture components.
      beta: weight of the rate. num_samples: S codes at prediction.
      min_scale: floor of the (scaled) predictive scale.
      linear_lags: p of the least-squares AR(p) / ARX(p, p) term under the network (0: none);
        call `fit_linear` on training windows before training.
      freeze_context: keep the context encoder fixed (the "from context" mode).
      scaler: a `StreamScaler` or its config dict; None means identity.
      quantile_levels: levels of the ``quantiles`` output.
      seed: seeds all noise (training codes and the predictive draws).

    Metrics: ``loss``, ``nll_nats`` (per window, summed over steps and columns, raw units),
    ``rate_nats``.

    >>> model = TEBForecaster(history=16, horizon=1, source_dim=1, target_dim=1, seed=0)
    >>> model.compile(keras.optimizers.Adam(1e-3))
    >>> model.fit(streams.dataset("train"), epochs=5)   # doctest: +SKIP
    """

    def __init__(self, history, horizon=1, source_dim=1, target_dim=1, use_source=True,
                 latent_dim=8, context_units=32, hidden_units=(64,), encoder="mlp",
                 distribution="normal", num_components=3, beta=1e-2, num_samples=16,
                 min_scale=1e-3, linear_lags=0, freeze_context=False, scaler=None,
                 quantile_levels=(0.05, 0.1, 0.5, 0.9, 0.95), seed=None, **kwargs):
        super().__init__(beta=beta, **kwargs)
        self.history_steps = _positive_int(history, "history")
        self.horizon = _positive_int(horizon, "horizon")
        self.source_dim = _positive_int(source_dim, "source_dim")
        self.target_dim = _positive_int(target_dim, "target_dim")
        self.use_source = bool(use_source)
        self.latent_dim = _positive_int(latent_dim, "latent_dim")
        self.context_units = _positive_int(context_units, "context_units")
        self.hidden_units = tuple(_positive_int(u, "hidden_units") for u in hidden_units)
        if encoder not in ENCODERS:
            raise ValueError(f"encoder={encoder!r} must be one of {ENCODERS}")
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution={distribution!r} must be one of {DISTRIBUTIONS}")
        self.encoder_kind = encoder
        self.distribution = distribution
        self.num_components = _positive_int(num_components, "num_components")
        self.num_samples = _positive_int(num_samples, "num_samples")
        if not min_scale > 0:
            raise ValueError(f"min_scale={min_scale!r} must be > 0")
        self.min_scale = float(min_scale)
        if isinstance(linear_lags, bool) or not isinstance(linear_lags, (int, np.integer)) \
                or not 0 <= linear_lags <= self.history_steps:
            raise ValueError(f"linear_lags={linear_lags!r} must be an integer in 0..history "
                             f"({self.history_steps})")
        self.linear_lags = int(linear_lags)
        self.freeze_context = bool(freeze_context)
        levels = np.asarray(quantile_levels, dtype=np.float64).reshape(-1)
        if levels.size == 0 or np.any((levels <= 0) | (levels >= 1)):
            raise ValueError(f"quantile_levels={quantile_levels!r} must be levels in (0, 1), "
                             "e.g. (0.1, 0.5, 0.9)")
        self.quantile_levels = tuple(float(q) for q in levels)
        if seed is None:
            seed = int(np.random.SystemRandom().randrange(2**31 - 3))
        self.seed = int(seed)
        self._set_scaler(scaler)

        trainable = not self.freeze_context
        if encoder == "mlp":
            self.context_layers = _mlp(self.hidden_units, "context", trainable)
        else:
            self.context_layers = [
                keras.layers.Conv1D(u, 2, dilation_rate=2 ** i, padding="causal",
                                    activation="relu", name=f"context_conv_{i}",
                                    trainable=trainable)
                for i, u in enumerate(self.hidden_units)]
        self.context_out = keras.layers.Dense(self.context_units, activation="relu",
                                              name="context_out", trainable=trainable)
        # Linear layers with the ReLU applied in _decode, after the code's term is added.
        self.decoder_hidden = [keras.layers.Dense(u, name=f"decoder_{i}")
                               for i, u in enumerate(self.hidden_units)]
        # With a linear term the head starts at zero: the untrained model is the least-squares
        # forecaster (its scale bias is set by fit_linear).
        self.decoder_head = keras.layers.Dense(
            self.horizon * self.target_dim * self._n_params, name="decoder_head",
            kernel_initializer="zeros" if self.linear_lags else "glorot_uniform")
        if self.use_source:
            self.channel = TransferChannel(self.latent_dim, self.hidden_units, seed=self.seed,
                                           name="channel")
            # The code enters the decoder through its own zero-initialised kernels, so a
            # target-only decoder's weights carry over unchanged ("from context" mode).
            first = self.hidden_units[0] if self.hidden_units else None
            self.code_to_hidden = (keras.layers.Dense(first, use_bias=False, name="code_hidden",
                                                      kernel_initializer="zeros")
                                   if first else None)
            self.code_to_head = keras.layers.Dense(self.decoder_head.units, use_bias=False,
                                                   kernel_initializer="zeros", name="code_head")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.nll_tracker = keras.metrics.Mean(name="nll_nats")
        self.rate_tracker = keras.metrics.Mean(name="rate_nats")
        self.build()

    # -- set-up ------------------------------------------------------------------------------
    @property
    def _n_params(self):
        return {"normal": 2, "student_t": 3, "mixture": 3 * self.num_components}[
            self.distribution]

    def _set_scaler(self, scaler):
        if scaler is None:
            config = {"source_mean": [0.0] * self.source_dim, "source_scale": [1.0] *
                      self.source_dim, "target_mean": [0.0] * self.target_dim,
                      "target_scale": [1.0] * self.target_dim}
        elif isinstance(scaler, dict):
            config = {k: list(map(float, scaler[k])) for k in
                      ("source_mean", "source_scale", "target_mean", "target_scale")}
        elif hasattr(scaler, "get_config"):
            config = scaler.get_config()
        else:
            raise TypeError(f"scaler must be a StreamScaler, its config dict or None, got "
                            f"{type(scaler).__name__}")
        for side, dim in (("source", self.source_dim), ("target", self.target_dim)):
            for part in ("mean", "scale"):
                if len(config[f"{side}_{part}"]) != dim:
                    raise ValueError(f"scaler {side}_{part} has {len(config[f'{side}_{part}'])} "
                                     f"columns but {side}_dim={dim}: fit the scaler on the same "
                                     "columns the model forecasts from")
        if min(config["source_scale"] + config["target_scale"]) <= 0:
            raise ValueError("scaler scales must be positive")
        self.scaler_config = {k: [float(v) for v in config[k]] for k in config}

    @property
    def _linear_features(self):
        lags = self.linear_lags
        return 1 + lags * self.target_dim + (lags * self.source_dim if self.use_source else 0)

    def _linear_design(self, src, tgt):
        """[B, 1 + p*dt (+ p*ds)]: a constant, the last p target (and source) steps, scaled."""
        p = self.linear_lags
        batch = tf.shape(tgt)[0]
        cols = [tf.ones([batch, 1], tgt.dtype),
                tf.reshape(tgt[:, self.history_steps - p:, :], [batch, p * self.target_dim])]
        if self.use_source:
            cols.append(tf.reshape(src[:, self.history_steps - p:, :],
                                   [batch, p * self.source_dim]))
        return tf.concat(cols, axis=-1)

    def _linear_mean(self, src, tgt):
        """The least-squares term [B, H, dt] in scaled units (0 without ``linear_lags``)."""
        if not self.linear_lags:
            return None
        flat = tf.matmul(self._linear_design(src, tgt), self.linear_coef)
        return tf.reshape(flat, [-1, self.horizon, self.target_dim])

    def fit_linear(self, windows):
        """Fits the AR(p) / ARX(p, p) term by least squares on training windows (raw units in;
        fitted on the model's scaled units) and starts the predictive scale at the residual
        scale, per forecast step and target column. Returns the residual scales [H, dt]
        (scaled units).

        Direct multi-step least squares, as `ibtf.models.baselines.ARXForecaster`: with the
        network's head at zero the model's mean equals that baseline's.
        """
        if not self.linear_lags:
            raise ValueError("this model has linear_lags=0: build it with linear_lags=p > 0")
        inputs = self._check_inputs(windows.inputs)
        src, tgt = (t.numpy().astype(np.float64) for t in self._scaled(inputs))
        fut = self._target_scaled(windows.target_future).numpy().astype(np.float64)
        design = self._linear_design(tf.constant(src), tf.constant(tgt)).numpy()
        n, k = design.shape
        if n <= k:
            raise ValueError(f"{n} training windows cannot fit the {k} coefficients of "
                             f"linear_lags={self.linear_lags}: use fewer lags or more data")
        flat = fut.reshape(n, -1)
        coef, *_ = np.linalg.lstsq(design, flat, rcond=None)
        resid = flat - design @ coef
        scale = np.sqrt(np.sum(resid ** 2, axis=0) / max(n - k, 1))
        self.linear_coef.assign(coef.astype(np.float32))
        # The head's biases: the predictive family fitted to the residuals by maximum
        # likelihood, per step and column (`residuals`; distinct mixture components).
        bias = np.stack([residuals.head_bias(
            residuals.fit_family(resid[:, c], self.distribution, self.num_components,
                                 scale=scale[c] if self.distribution == "normal" else None),
            self.distribution, self.min_scale) for c in range(flat.shape[1])])
        self.decoder_head.bias.assign(bias.reshape(-1).astype(np.float32))
        return scale.reshape(self.horizon, self.target_dim)

    def build(self, input_shape=None):
        if self.built:
            return
        if self.linear_lags:
            self.linear_coef = self.add_weight(
                name="linear_coef", shape=[self._linear_features, self.horizon *
                                           self.target_dim],
                initializer="zeros", trainable=False)
        shapes = {"source_history": [1, self.history_steps, self.source_dim],
                  "target_history": [1, self.history_steps, self.target_dim]}
        if self.use_source:
            context_dim = self.context_units + self.history_steps * self.target_dim
            self.channel.build((tf.TensorShape([None, self.history_steps * self.source_dim]),
                                tf.TensorShape([None, context_dim])))
        self._forward({k: tf.zeros(v) for k, v in shapes.items()}, training=False)
        self._build_input_shape = {k: (None, *v[1:]) for k, v in shapes.items()}
        self.built = True

    @property
    def metrics(self):
        return [self.loss_tracker, self.nll_tracker, self.rate_tracker]

    # -- the network -------------------------------------------------------------------------
    def _scaled(self, inputs):
        src = (tf.cast(inputs["source_history"], tf.float32) - self._constant("source_mean")) \
            / self._constant("source_scale")
        tgt = (tf.cast(inputs["target_history"], tf.float32) - self._constant("target_mean")) \
            / self._constant("target_scale")
        return src, tgt

    def context(self, target_scaled):
        """c = [f(y_past), y_past flattened]: the flat window is a linear skip path."""
        flat = tf.reshape(target_scaled, [-1, self.history_steps * self.target_dim])
        if self.encoder_kind == "mlp":
            features = _apply(self.context_layers, flat)
        else:
            features = _apply(self.context_layers, target_scaled)[:, -1, :]
        return tf.concat([self.context_out(features), flat], axis=-1)

    def _decode(self, context, code=None):
        """Distribution parameters [..., H, dt, k] from c (and a code z, leading axes allowed)."""
        if code is not None:
            context = tf.broadcast_to(context, tf.concat([tf.shape(code)[:-1],
                                                          tf.shape(context)[-1:]], 0))
        h = context
        for i, layer in enumerate(self.decoder_hidden):
            pre = layer(h)
            if i == 0 and code is not None:
                pre = pre + self.code_to_hidden(code)
            h = tf.nn.relu(pre)
        head_input = tf.concat([h, context], axis=-1) if self.decoder_hidden else context
        params = self.decoder_head(head_input)
        if code is not None:
            params = params + self.code_to_head(code)
        shape = tf.concat([tf.shape(params)[:-1], [self.horizon, self.target_dim,
                                                   self._n_params]], 0)
        return tf.reshape(params, shape)

    def _family(self, params, base=None):
        """The per-code predictive distribution (scaled units), batch [..., H, dt]; ``base``
        [B, H, dt] (the least-squares term) is added to every location."""
        floor = self.min_scale
        base = 0.0 if base is None else base
        if self.distribution == "normal":
            return tfd.Normal(params[..., 0] + base, tf.nn.softplus(params[..., 1]) + floor)
        if self.distribution == "student_t":
            return tfd.StudentT(2.1 + tf.nn.softplus(params[..., 2] + 2.0), params[..., 0] + base,
                                tf.nn.softplus(params[..., 1]) + floor)
        k = self.num_components
        logits, locs, raw = params[..., :k], params[..., k:2 * k], params[..., 2 * k:]
        if self.linear_lags:
            locs = locs + base[..., None]
        return tfd.MixtureSameFamily(tfd.Categorical(logits=logits),
                                     tfd.Normal(locs, tf.nn.softplus(raw) + floor))

    def _forward(self, inputs, training=False, num_samples=None, seed=None):
        """``(per-code distribution [S?, B, H, dt], rate [B])`` in scaled units.

        training: one noisy code per example (no leading axis). Otherwise ``num_samples`` codes
        with common random numbers (leading axis S; S = 1 for the target-only model).
        """
        src, tgt = self._scaled(inputs)
        context = self.context(tgt)
        base = self._linear_mean(src, tgt)
        batch = tf.shape(context)[0]
        if not self.use_source:
            params = self._decode(context)
            dist = self._family(params if training else params[None], base)
            return dist, tf.zeros([batch])
        features = tf.reshape(src, [-1, self.history_steps * self.source_dim])
        if training:
            code, rate = self.channel(features, context, training=True)
            return self._family(self._decode(context, code), base), rate
        posterior, prior = self.channel.distributions(features, context)
        count = num_samples or self.num_samples
        if seed is None:
            # The codes' common random numbers, N(0, 1) [S, 1, units], as channel.sample draws
            # them from this seed, fixed once (`_fixed_noise`).
            eps = self._fixed_noise("normal", (count, 1, self.latent_dim), _PREDICT_STREAM)
            normal = posterior.distribution
            codes = normal.loc + normal.scale * eps
        else:
            codes = self.channel.sample(posterior, count, seed=seed)
        return self._family(self._decode(context, codes), base), kl_nats(posterior, prior)

    def _log_jacobian(self):
        return tf.reduce_sum(tf.math.log(self._constant("target_scale")))

    # -- Keras API ---------------------------------------------------------------------------
    def call(self, inputs, training=False):
        """The predictive mean in raw units [B, H, dt]."""
        dist, _ = self._forward(inputs, training=False)
        return self._raw_mean(_Predictive(dist).mean())

    def train_step(self, data):
        inputs, future = data
        y = self._target_scaled(future)
        with tf.GradientTape() as tape:
            dist, rate = self._forward(inputs, training=True)
            nll = -tf.reduce_sum(dist.log_prob(y), axis=[1, 2])          # nats per window
            loss = tf.reduce_mean(nll) + self._beta * tf.reduce_mean(rate)
        self.minimize(loss, tape)
        return self._update_metrics(loss, nll, rate)

    def test_step(self, data):
        inputs, future = data
        dist, rate = self._forward(inputs, training=False)
        nll = -tf.reduce_sum(_Predictive(dist).log_prob(self._target_scaled(future)), axis=[1, 2])
        loss = tf.reduce_mean(nll) + self._beta * tf.reduce_mean(rate)
        return self._update_metrics(loss, nll, rate)

    def _update_metrics(self, loss, nll_scaled, rate):
        self.loss_tracker.update_state(loss)
        self.nll_tracker.update_state(nll_scaled + self.horizon * self._log_jacobian())
        self.rate_tracker.update_state(rate)
        return {m.name: m.result() for m in self.metrics}

    # -- from context ------------------------------------------------------------------------
    @classmethod
    def from_context(cls, target_only, **overrides):
        """A TEB model that starts as ``target_only`` with a closed source channel.

        The target-only context encoder is copied and frozen, the decoder copied (and kept
        trainable); the code enters through zero kernels and q(z|x,c) = r(z|c) at the start, so
        the new model's forecasts equal the target-only ones until training opens the channel
        (Kalajdzievski et al. 2023: training TEB "from context" of a pretrained target model).
        """
        if not isinstance(target_only, TEBForecaster) or target_only.use_source:
            raise TypeError("from_context needs a trained target-only TEBForecaster "
                            "(use_source=False)")
        config = {**target_only.get_config(), "use_source": True, "freeze_context": True,
                  **overrides}
        config.pop("name", None)
        model = cls.from_config(config)
        model.copy_shared_weights(target_only)
        if model.linear_lags:
            # The AR coefficients carry over; the source's lags start at zero.
            coef = np.zeros(model.linear_coef.shape, np.float32)
            coef[:target_only.linear_coef.shape[0]] = target_only.linear_coef.numpy()
            model.linear_coef.assign(coef)
        return model

    def copy_shared_weights(self, other):
        """Copies the context encoder and decoder (everything but the source channel) from a
        model of the same shape: a TEB model trained from scratch starts from the same weights
        as its target-only reference, so the two differ only by the source."""
        for mine, theirs in ((self.context_layers, other.context_layers),
                             ([self.context_out], [other.context_out]),
                             (self.decoder_hidden, other.decoder_hidden),
                             ([self.decoder_head], [other.decoder_head])):
            for a, b in zip(mine, theirs):
                a.set_weights(b.get_weights())

    def get_config(self):
        return {**super().get_config(), "history": self.history_steps, "horizon": self.horizon,
                "source_dim": self.source_dim, "target_dim": self.target_dim,
                "use_source": self.use_source, "latent_dim": self.latent_dim,
                "context_units": self.context_units, "hidden_units": list(self.hidden_units),
                "encoder": self.encoder_kind, "distribution": self.distribution,
                "num_components": self.num_components, "beta": self.beta,
                "num_samples": self.num_samples, "min_scale": self.min_scale,
                "linear_lags": self.linear_lags,
                "freeze_context": self.freeze_context, "scaler": dict(self.scaler_config),
                "quantile_levels": list(self.quantile_levels), "seed": self.seed}
