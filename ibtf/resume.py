"""Kill-and-resume training and a guard against non-finite losses, for every trainer.

``resumable(checkpoint_dir, every_steps)`` returns Keras' ``BackupAndRestore`` callback: every
``every_steps`` steps (or every epoch) the model, its optimizer and the epoch/step counters go
to a ``tf.train.CheckpointManager`` checkpoint, which TensorFlow writes atomically (temporary
files, then a rename; the ``checkpoint`` index file is replaced atomically), so a SIGKILL at any
moment leaves the previous checkpoint readable. The same ``fit`` rerun with the same directory
restores it and continues from that epoch and step; the checkpoint is removed when the run
finishes, so a finished command rerun trains afresh.

``NonFiniteGuard`` keeps the weights of the last step whose loss was finite; at the first NaN or
Inf loss it restores them, stops training and raises ``NonFiniteLossError`` naming the step.
"""
import math
import os

from ibtf._keras import keras

__all__ = ["resumable", "NonFiniteGuard", "NonFiniteLossError", "check_checkpoint_dir",
           "training_callbacks"]


class NonFiniteLossError(ValueError):
    """Training met a NaN or Inf loss; the model holds the last good weights."""


def check_checkpoint_dir(checkpoint_dir):
    """Validates ``checkpoint_dir`` (None, or a directory path that is not a file)."""
    if checkpoint_dir is None:
        return None
    if not isinstance(checkpoint_dir, (str, os.PathLike)) or not os.fspath(checkpoint_dir):
        raise TypeError(f"checkpoint_dir must be a directory path or None, got "
                        f"{checkpoint_dir!r}")
    checkpoint_dir = os.fspath(checkpoint_dir)
    if os.path.exists(checkpoint_dir) and not os.path.isdir(checkpoint_dir):
        raise NotADirectoryError(f"checkpoint_dir {checkpoint_dir!r} is a file: pass a "
                                 "directory (created if missing)")
    return checkpoint_dir


def resumable(checkpoint_dir, every_steps=None):
    """A callback that checkpoints every ``every_steps`` steps (None: every epoch) into
    ``checkpoint_dir`` and resumes an interrupted ``fit`` from there."""
    checkpoint_dir = check_checkpoint_dir(checkpoint_dir)
    if checkpoint_dir is None:
        raise TypeError("resumable() needs a checkpoint_dir")
    if every_steps is not None and (isinstance(every_steps, bool) or
                                    not isinstance(every_steps, int) or every_steps < 1):
        raise ValueError(f"every_steps={every_steps!r} must be a positive integer or None "
                         "(checkpoint every epoch)")
    os.makedirs(checkpoint_dir, exist_ok=True)
    return keras.callbacks.BackupAndRestore(checkpoint_dir, save_freq=every_steps or "epoch",
                                            delete_checkpoint=True)


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops at the first non-finite loss, restoring the last good weights.

    Args:
      monitor: the log entry to watch (``"loss"``: Keras' running mean of the epoch, which
        turns non-finite at the first non-finite batch loss).
      raise_error: raise ``NonFiniteLossError`` (a ValueError, so the CLIs print it as one
        line) after restoring; else only stop, with the message in ``self.message``.
    """

    def __init__(self, monitor="loss", raise_error=True):
        super().__init__()
        self.monitor = monitor
        self.raise_error = raise_error
        self.message = None
        self.stopped_step = None
        self._good = None
        self._good_step = None
        self._step = 0

    def on_train_begin(self, logs=None):
        self._good = self.model.get_weights()
        self._good_step = self._step = int(self.model.optimizer.iterations.numpy()) \
            if getattr(self.model, "optimizer", None) is not None else 0

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        value = float(value)
        if math.isfinite(value):
            self._good = self.model.get_weights()
            self._good_step = self._step
            return
        self.model.set_weights(self._good)
        self.model.stop_training = True
        self.stopped_step = self._step
        self.message = (f"{self.monitor} became {value} at training step {self._step} (batch "
                        f"{batch} of the epoch): training stopped and the weights after step "
                        f"{self._good_step} restored; lower the learning rate or check the "
                        "data for NaN/Inf")
        if self.raise_error:
            raise NonFiniteLossError(self.message)


def training_callbacks(checkpoint_dir=None, every_steps=None, guard=True):
    """The callbacks a trainer adds: resume from ``checkpoint_dir`` (when given) and the
    non-finite guard."""
    callbacks = []
    if checkpoint_dir is not None:
        callbacks.append(resumable(checkpoint_dir, every_steps))
    if guard:
        callbacks.append(NonFiniteGuard())
    return callbacks
