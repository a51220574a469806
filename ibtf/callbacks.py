"""Callbacks that steer an objective during training."""
from ibtf._keras import keras
from ibtf.models.base import check_beta

__all__ = ["BetaSchedule"]

SCHEDULES = ("constant", "linear", "cyclic")


@keras.utils.register_keras_serializable(package="ibtf")
class BetaSchedule(keras.callbacks.Callback):
    """Sets ``model.beta`` before every training step from the optimizer's step count.

    - constant: beta_t = beta.
    - linear (KL warm-up; Bowman et al. 2016, Sonderby et al. 2016):
      beta_t = start + (beta - start) * min(1, t / warmup_steps).
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
    """

    def __init__(self, beta, schedule="linear", warmup_steps=1000, cycle_steps=1000,
                 ramp_fraction=0.5, start=0.0):
        super().__init__()
        if schedule not in SCHEDULES:
            raise ValueError(f"schedule={schedule!r} must be one of {SCHEDULES}")
        self.beta = check_beta(beta)
        self.start = check_beta(start)
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
            progress = min(1.0, step / self.warmup_steps)
        else:
            tau = (step % self.cycle_steps) / self.cycle_steps
            progress = min(1.0, tau / self.ramp_fraction)
        return self.start + (self.beta - self.start) * progress

    def on_train_batch_begin(self, batch, logs=None):
        self.model.beta = self.value(int(self.model.optimizer.iterations.numpy()))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = self.model.beta

    def get_config(self):
        return {"beta": self.beta, "schedule": self.schedule, "warmup_steps": self.warmup_steps,
                "cycle_steps": self.cycle_steps, "ramp_fraction": self.ramp_fraction,
                "start": self.start}
