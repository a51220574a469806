"""Callbacks that steer an objective during training."""
from ibtf._keras import keras
from ibtf.models.base import check_beta

__all__ = ["BetaSchedule"]

SCHEDULES = ("constant", "linear", "cyclic")


@keras.utils.register_keras_serializable(package="ibtf")
class BetaSchedule(keras.callbacks.Callback):
    """Sets ``model.beta`` (or another weight, ``attribute``) before every training step from
    the optimizer's step count.

    - constant: beta_t = beta.
    - linear (KL warm-up; Bowman et al. 2016, Sonderby et al. 2016):
      beta_t = start + (beta - start) * min(1, max(0, t - delay_steps) / warmup_steps).
    - cyclic (Fu et al. 2019, "Cyclical Annealing Schedule"): with tau = (t mod cycle_steps) /
      cycle_steps, beta_t = start + (beta - start) * min(1, tau / ramp_fraction).

    Because t is ``model.optimizer.iterations``, a resumed run continues the schedule.

    Args:
      beta: the target value.
      schedule: "constant", "linear" or "cyclic".
      warmup_steps: length of the linear ramp (linear).
      cycle_steps: length of one cycle (cyclic).
      ramp_fraction: fraction of each cycle spent ramping (cyclic; Fu et al. use 0.5).
      start: the value at the start of a ramp.
      delay_steps: steps held at ``start`` before the linear ramp begins (linear).
      attribute: the model's weight to set, a settable float attribute such as FactorVAE's
        ``gamma`` (a TC warm-up); "beta" by default.
    """

    def __init__(self, beta, schedule="linear", warmup_steps=1000, cycle_steps=1000,
                 ramp_fraction=0.5, start=0.0, attribute="beta", delay_steps=0):
        super().__init__()
        if not isinstance(attribute, str) or not attribute.isidentifier():
            raise ValueError(f"attribute={attribute!r} must be the name of a model weight, "
                             "e.g. 'beta' or 'gamma'")
        self.attribute = attribute
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule={schedule!r} must be one of {SCHEDULES}")
        self.beta = check_beta(beta)
        self.start = check_beta(start)
        if isinstance(delay_steps, bool) or not isinstance(delay_steps, int) or delay_steps < 0:
            raise ValueError(f"delay_steps={delay_steps!r} must be an integer >= 0 (steps)")
        self.delay_steps = delay_steps
        for name, value in (("warmup_steps", warmup_steps), ("cycle_steps", cycle_steps)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer (steps)")
        if not 0.0 < ramp_fraction <= 1.0:
            raise ValueError(f"ramp_fraction={ramp_fraction!r} must be in (0, 1]")
        self.schedule = schedule
        self.warmup_steps = warmup_steps
        self.cycle_steps = cycle_steps
        self.ramp_fraction = float(ramp_fraction)

    def value(self, step):
        """beta at optimizer step ``step`` (0-based)."""
        if self.schedule == "constant":
            return self.beta
        if self.schedule == "linear":
            progress = min(1.0, max(0, step - self.delay_steps) / self.warmup_steps)
        else:
            tau = (step % self.cycle_steps) / self.cycle_steps
            progress = min(1.0, tau / self.ramp_fraction)
        return self.start + (self.beta - self.start) * progress

    def on_train_begin(self, logs=None):
        if not hasattr(self.model, self.attribute):
            raise ValueError(f"attribute={self.attribute!r}: {type(self.model).__name__} has no "
                             "such weight; pass one of its settable weights, e.g. 'beta'")

    def on_train_batch_begin(self, batch, logs=None):
        setattr(self.model, self.attribute,
                self.value(int(self.model.optimizer.iterations.numpy())))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs[self.attribute] = getattr(self.model, self.attribute)

    def get_config(self):
        return {"beta": self.beta, "schedule": self.schedule, "warmup_steps": self.warmup_steps,
                "cycle_steps": self.cycle_steps, "ramp_fraction": self.ramp_fraction,
                "start": self.start, "attribute": self.attribute,
                "delay_steps": self.delay_steps}
