"""Rates in nats: KL(q || p) per example, analytic where TFP registers it, else Monte Carlo."""
import tensorflow_probability as tfp

tfd = tfp.distributions

__all__ = ["kl_nats"]


def kl_nats(posterior, prior, code=None):
    """Per-example KL(posterior || prior) in nats.

    Analytic when TFP has a registered KL for the pair (e.g. two diagonal Gaussians):
    KL = sum_i [ln(s_p/s_q) + (s_q^2 + (m_q - m_p)^2) / (2 s_p^2) - 1/2]. Otherwise the
    single-sample Monte Carlo estimate ln q(z) - ln p(z) at ``code`` (a reparameterized sample
    from ``posterior``), unbiased for the KL.

    Args:
      posterior: q(z|x), batch shape [B], event shape [d].
      prior: p(z) or r(z|c), broadcastable against ``posterior``.
      code: a sample from ``posterior``, or a callable that draws one; used only when no
        analytic KL exists.

    Returns:
      A [B] tensor of nats.
    """
    try:
        return tfd.kl_divergence(posterior, prior)
    except NotImplementedError:
        if code is None:
            raise ValueError(f"no analytic KL between {type(posterior).__name__} and "
                             f"{type(prior).__name__}; pass code=posterior.sample() for the "
                             "Monte Carlo estimate") from None
        if callable(code):
            code = code()
        return posterior.log_prob(code) - prior.log_prob(code)
