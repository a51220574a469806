"""Seed ensembles of TEB forecasters: one predictive from k independently trained members.

A deep ensemble (Lakshminarayanan, Pritzel & Blundell 2017, "Simple and scalable predictive
uncertainty estimation using deep ensembles", NeurIPS) predicts with the equal-weight mixture of
its members' predictives,

    p_ens(y | inputs) = (1/k) sum_m p_m(y | inputs),

each member trained alone from its own seed (initial weights, batches, noise). On small data
one training's early-stopping epoch is a lottery (a few validation windows decide it); the
mixture averages k draws of it, so the held-out log-likelihood, and with it the transfer
estimate ``ln p_TEB,ens(y) - ln p_target-only,ens(y)``, varies less between runs. Every member
is a `TEBForecaster` with S codes per forecast, so the mixture is the equal mixture of the
k * S per-code distributions, and `TEBForecaster`'s forecasts, scores and serving signature
(`forecaster._Predictions`) apply to it unchanged.
"""
from ibtf._keras import keras, tf
from ibtf.models.teb.forecaster import TEBForecaster, _Predictions

__all__ = ["TEBEnsemble", "members_of"]

# Settings that must agree for members to form one predictive (the seed may differ).
_SHARED = ("history", "horizon", "source_dim", "target_dim", "use_source", "distribution",
           "num_components", "num_samples", "scaler", "quantile_levels")


def _concat(parts):
    """Per-code distributions [S, B, H, dt] of the members joined along the code axis."""
    return tf.nest.map_structure(lambda *t: tf.concat(t, axis=0), *parts,
                                 expand_composites=True)


@keras.utils.register_keras_serializable(package="ibtf")
class TEBEnsemble(_Predictions, keras.Model):
    """The equal-weight mixture of k `TEBForecaster` members (see the module docstring).

    Args:
      members: two or more TEBForecasters built with the same settings (history, horizon,
        columns, source use, predictive family, codes per forecast, scaler, quantile levels),
        usually trained from different seeds (`ibtf.models.teb.fit_teb(..., ensemble=k)`).

    Attributes mirror the members' (``history_steps``, ``horizon``, ``use_source``, ...);
    ``num_samples`` is the number of codes of the mixture, k times a member's.
    """

    def __init__(self, members, **kwargs):
        super().__init__(**kwargs)
        members = list(members)
        if len(members) < 2 or not all(isinstance(m, TEBForecaster) for m in members):
            raise TypeError("TEBEnsemble needs two or more TEBForecaster members (one model "
                            "needs no ensemble)")
        first = members[0].get_config()
        for m in members[1:]:
            other = m.get_config()
            differ = [k for k in _SHARED if other[k] != first[k]]
            if differ:
                raise ValueError(f"ensemble members differ in {differ}: build every member "
                                 "with the same settings (only the seed may differ)")
        self.members = members
        lead = members[0]
        for name in ("history_steps", "horizon", "source_dim", "target_dim", "use_source",
                     "distribution", "num_components", "quantile_levels", "scaler_config",
                     "seed", "linear_lags"):
            setattr(self, name, getattr(lead, name))
        # Codes per forecast: the target-only model has one per member.
        self.num_samples = len(members) * (lead.num_samples if lead.use_source else 1)

    @property
    def beta(self):
        return self.members[0].beta

    def _forward(self, inputs, training=False):
        """``(the members' per-code distributions joined [k S, B, H, dt], mean rate [B])``."""
        if training:
            raise ValueError("a TEBEnsemble is not trained as one model: train its members")
        parts = [m._forward(inputs, training=False) for m in self.members]
        return _concat([d for d, _ in parts]), tf.add_n([r for _, r in parts]) / len(parts)

    def call(self, inputs, training=False):
        """The predictive mean in raw units [B, H, dt]."""
        return tf.add_n([m(inputs) for m in self.members]) / len(self.members)

    def get_config(self):
        return {"members": [keras.saving.serialize_keras_object(m) for m in self.members]}

    @classmethod
    def from_config(cls, config):
        return cls([keras.saving.deserialize_keras_object(m) for m in config["members"]])


def members_of(model):
    """The trained models behind a forecaster: an ensemble's members, or ``[model]``."""
    return list(model.members) if isinstance(model, TEBEnsemble) else [model]

