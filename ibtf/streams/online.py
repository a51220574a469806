"""Online TEB: prequential scoring, then bounded training from a replay memory, per chunk.

A stream arrives in chunks of rows. For each chunk, `OnlineTEB.process_chunk`:

1. forms every window whose last future row is in the chunk (the last ``L + H - 1`` rows of
   earlier chunks supply the histories), and **scores** it with the current target-only and
   TEB models before they have seen it (prequential evaluation, Dawid 1984, "Present position
   and potential developments: the prequential approach", JRSS A 147). The time-resolved
   transfer of the chunk is the mean held-out log-likelihood gain per forecast step,

       T_k = mean_{windows w in chunk k} (1/H) sum_h [ln p_TEB(y_wh) - ln p_target_only(y_wh)],

   which estimates TE(X -> Y) = I(Y_future; X_past | Y_past) in nats over that stretch of time
   (Schreiber 2000; Kalajdzievski et al., TMLR 2023), with a moving-block bootstrap interval
   (`ibtf.streams.bootstrap`);
2. adds the windows to a bounded FIFO replay memory, tf-agents' ``TFUniformReplayBuffer``
   (its ring-buffer table is a set of variables, so it checkpoints with the models, and its
   uniform sampling is one graph op);
3. trains **both** models, which start from the same weights for every shared layer, for the
   same number of steps on the same batches drawn uniformly from the memory (equal treatment,
   as `ibtf.models.teb.fit_teb`'s joint mode: the gain measures the source, not extra training
   or another initialisation).

Drift: the chunk's prequential NLL (TEB) is compared with the mean of the last
``drift_window`` chunks' NLLs by a z-test whose variance is the chunk's block-bootstrap variance
plus the between-chunk variance of those recent chunks; ``drift`` is ``|z| > drift_z``. A
regime change shows as a jump in the forecast loss before the models adapt.

Checkpoints (``checkpoint_dir``) hold the models, their optimizers, the replay memory and the
stream state. Each is written to a hidden temporary directory and renamed into place, then a
``LATEST`` pointer is replaced atomically (``os.replace``), so a process killed at any moment
leaves the last completed chunk's checkpoint intact and nothing half-written visible.
"""
import dataclasses
import json
import os
import shutil
import tempfile
import time
import types

import numpy as np

from ibtf._keras import keras, tf
from ibtf.models.teb.forecaster import TEBForecaster
from ibtf.streams.bootstrap import block_bootstrap_ci
from ibtf.streams.scaling import StreamScaler
from ibtf.streams.windows import sliding_windows

__all__ = ["ChunkResult", "OnlineTEB", "drift_z_score"]

LATEST = "LATEST"


@dataclasses.dataclass
class ChunkResult:
    """The prequential report of one chunk (fields in nats per forecast step; None before the
    models exist, i.e. for the first chunk)."""

    chunk: int
    rows_seen: int
    chunk_end: object
    n_windows: int
    transfer_nats: object
    transfer_ci: object
    nll: object
    nll_target_only: object
    drift: bool
    drift_z: object
    seconds: float

    def to_dict(self):
        return dataclasses.asdict(self)


def drift_z_score(nll, nll_var, recent):
    """z of a chunk's mean NLL against the mean of ``recent`` chunk means.

    ``z = (nll - mean(recent)) / sqrt(nll_var + var(recent))`` where ``nll_var`` is the chunk
    mean's (bootstrap) variance and ``var(recent)`` the between-chunk sample variance. Returns
    None with fewer than 3 recent chunks.
    """
    recent = np.asarray(recent, np.float64)
    if recent.size < 3:
        return None
    denom = np.sqrt(max(nll_var, 0.0) + recent.var(ddof=1))
    return float((nll - recent.mean()) / max(denom, 1e-12))


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


class OnlineTEB:
    """A target-only and a TEB forecaster that learn from a stream, chunk by chunk.

    Args:
      history, horizon: L and H of the windows. source_dim, target_dim: columns.
      memory: windows the replay memory holds (oldest dropped first).
      steps_per_chunk: training steps per chunk (each model, same batches).
      batch_size: windows per step. learning_rate: Adam.
      beta, latent_dim, context_units, hidden_units, distribution: the models
        (`TEBForecaster`).
      drift_window, drift_z: the drift test (see the module docstring).
      level, n_boot: the per-chunk bootstrap interval.
      seed: weights, noise and memory sampling.
      checkpoint_dir: where checkpoints go; `restore` continues from the latest.
    """

    def __init__(self, history=16, horizon=1, source_dim=1, target_dim=1, *, memory=4096,
                 steps_per_chunk=100, batch_size=64, learning_rate=3e-3, beta=1e-2,
                 latent_dim=8, context_units=32, hidden_units=(64,), distribution="normal",
                 drift_window=5, drift_z=3.0, level=0.95, n_boot=500, seed=0,
                 checkpoint_dir=None):
        self.history, self.horizon = _positive(history, "history"), _positive(horizon, "horizon")
        self.source_dim = _positive(source_dim, "source_dim")
        self.target_dim = _positive(target_dim, "target_dim")
        self.memory = _positive(memory, "memory")
        self.steps_per_chunk = _positive(steps_per_chunk, "steps_per_chunk")
        self.batch_size = _positive(batch_size, "batch_size")
        self.drift_window = _positive(drift_window, "drift_window")
        if not learning_rate > 0 or not drift_z > 0:
            raise ValueError("learning_rate and drift_z must be positive numbers")
        self.learning_rate, self.drift_z = float(learning_rate), float(drift_z)
        self.level, self.n_boot, self.seed = float(level), int(n_boot), int(seed)
        self.model_kwargs = dict(beta=float(beta), latent_dim=latent_dim,
                                 context_units=context_units, hidden_units=tuple(hidden_units),
                                 distribution=distribution)
        self.checkpoint_dir = None if checkpoint_dir is None else os.fspath(checkpoint_dir)
        self.chunk = 0
        self.rows_seen = 0
        self.tail = np.zeros((0, self.source_dim + self.target_dim), np.float32)
        self.nll_history = []
        self.scaler = None
        self.target_only = self.teb = self.buffer = None

    # -- models and memory -------------------------------------------------------------------
    def _build(self, scaler):
        from ibtf.streams.agents import import_tf_agents
        tf_uniform_replay_buffer = import_tf_agents("replay_buffers.tf_uniform_replay_buffer")
        self.scaler = scaler
        L, H, ds, dt = self.history, self.horizon, self.source_dim, self.target_dim
        keras.utils.set_random_seed(self.seed)
        common = dict(history=L, horizon=H, source_dim=ds, target_dim=dt, scaler=scaler,
                      seed=self.seed, **self.model_kwargs)
        self.target_only = TEBForecaster(use_source=False, name="target_only", **common)
        self.teb = TEBForecaster(use_source=True, name="teb", **common)
        dummy = {"source_history": tf.zeros([1, L, ds]), "target_history": tf.zeros([1, L, dt])}
        for model in (self.target_only, self.teb):
            model(dummy)
        # Equal treatment, as fit_teb's joint mode: every shared layer starts from the same
        # weights (the code enters through zero kernels), so at the start the two forecasts
        # are equal and a later gain comes from the source, not from another initialisation.
        self.teb.copy_shared_weights(self.target_only)
        for model in (self.target_only, self.teb):
            model.compile(keras.optimizers.Adam(self.learning_rate), jit_compile="auto")
            model.optimizer.build(model.trainable_variables)
        spec = (tf.TensorSpec([L, ds], tf.float32, "source_history"),
                tf.TensorSpec([L, dt], tf.float32, "target_history"),
                tf.TensorSpec([H, dt], tf.float32, "target_future"))
        self.buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
            spec, batch_size=1, max_length=self.memory)
        tf.random.set_seed(self.seed)          # the memory's uniform sampling
        self._samples = iter(self.buffer.as_dataset(sample_batch_size=self.batch_size))
        self._add = tf.function(self._add_windows)
        self._step = tf.function(self._train_step)

    def _add_windows(self, src, tgt, fut):
        # The memory's rows are single windows (batch_size=1 table): add them in one graph.
        for i in tf.range(tf.shape(fut)[0]):
            self.buffer.add_batch((src[i:i + 1], tgt[i:i + 1], fut[i:i + 1]))

    def _train_step(self):
        """One update of each model on the same uniformly drawn batch."""
        src, tgt, fut = next(self._samples)[0]
        data = ({"source_history": src, "target_history": tgt}, fut)
        self.target_only.train_step(data)
        self.teb.train_step(data)

    def _checkpoint(self):
        return tf.train.Checkpoint(target_only=self.target_only, teb=self.teb,
                                   target_only_optimizer=self.target_only.optimizer,
                                   teb_optimizer=self.teb.optimizer, memory=self.buffer)

    # -- one chunk ---------------------------------------------------------------------------
    def _windows(self, rows):
        """Windows whose last future row is among the new rows (after the kept tail)."""
        width = self.history + self.horizon
        n_old = len(self.tail)
        total = np.concatenate([self.tail, rows])
        starts = np.arange(max(n_old - width + 1, 0), len(total) - width + 1)
        src, tgt, fut = sliding_windows(total[:, :self.source_dim], total[:, self.source_dim:],
                                        starts, self.history, self.horizon)
        keep = max(width - 1, 0)
        return (src, tgt, fut), total[len(total) - keep:] if keep else total[:0]

    def _score(self, src, tgt, fut):
        inputs = {"source_history": src, "target_history": tgt}
        teb = self.teb.log_prob(inputs, fut)
        ref = self.target_only.log_prob(inputs, fut)
        gain = (teb - ref).mean(axis=1)
        nll_series = -teb.mean(axis=1)
        transfer, lo, hi = block_bootstrap_ci(gain, n_boot=self.n_boot, level=self.level,
                                              seed=self.seed + self.chunk)
        _, nlo, nhi = block_bootstrap_ci(nll_series, n_boot=self.n_boot, level=self.level,
                                         seed=self.seed + self.chunk)
        from scipy import stats
        half = stats.norm.ppf(0.5 + self.level / 2)
        nll_var = ((nhi - nlo) / (2 * half)) ** 2
        return transfer, (lo, hi), float(nll_series.mean()), float(-ref.mean()), nll_var

    def _train(self, src, tgt, fut):
        self._add(tf.constant(src), tf.constant(tgt), tf.constant(fut))
        for _ in range(self.steps_per_chunk):
            self._step()

    def process_chunk(self, source_rows, target_rows, chunk_end=None):
        """Scores the chunk's windows with the current models, then trains on them.

        Args:
          source_rows: [n, ds], target_rows: [n, dt] raw values, in time order.
          chunk_end: the time of the chunk's last row (reported).

        Returns:
          A `ChunkResult`.
        """
        start = time.time()
        source_rows = np.asarray(source_rows, np.float32).reshape(-1, self.source_dim)
        target_rows = np.asarray(target_rows, np.float32).reshape(-1, self.target_dim)
        if len(source_rows) != len(target_rows) or len(source_rows) == 0:
            raise ValueError("source_rows and target_rows must have the same, non-zero number "
                             "of rows")
        if not (np.isfinite(source_rows).all() and np.isfinite(target_rows).all()):
            raise ValueError("the chunk holds NaN or inf: skip or fill those rows first")
        rows = np.concatenate([source_rows, target_rows], axis=1)
        if self.teb is None:
            # The scaler is fitted on the first chunk, the only rows seen before training.
            self._build(StreamScaler.fit(source_rows, target_rows))
        (src, tgt, fut), tail = self._windows(rows)
        result = dict(transfer_nats=None, transfer_ci=None, nll=None, nll_target_only=None,
                      drift=False, drift_z=None)
        if self.chunk > 0 and len(fut) >= 2:
            transfer, ci, nll, nll_to, nll_var = self._score(src, tgt, fut)
            z = drift_z_score(nll, nll_var, self.nll_history[-self.drift_window:])
            result.update(transfer_nats=transfer, transfer_ci=list(ci), nll=nll,
                          nll_target_only=nll_to, drift=bool(z is not None and
                                                             abs(z) > self.drift_z),
                          drift_z=z)
            self.nll_history.append(nll)
        if len(fut):
            self._train(src, tgt, fut)
        self.tail = tail
        self.rows_seen += len(rows)
        self.chunk += 1
        end = chunk_end.item() if isinstance(chunk_end, np.generic) else chunk_end
        return ChunkResult(chunk=self.chunk, rows_seen=self.rows_seen, chunk_end=end,
                           n_windows=int(len(fut)), seconds=time.time() - start, **result)

    # -- checkpoints -------------------------------------------------------------------------
    def _state(self):
        return {"chunk": self.chunk, "rows_seen": self.rows_seen, "tail": self.tail.tolist(),
                "nll_history": self.nll_history, "scaler": self.scaler.get_config()}

    def save(self):
        """Writes ``checkpoint_dir/chunk-<k>/`` atomically and points ``LATEST`` at it."""
        if self.checkpoint_dir is None:
            raise ValueError("this OnlineTEB has no checkpoint_dir: pass one to save")
        if self.teb is None:
            return None
        os.makedirs(self.checkpoint_dir, exist_ok=True)
        name = f"chunk-{self.chunk:06d}"
        final = os.path.join(self.checkpoint_dir, name)
        tmp = tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=self.checkpoint_dir)
        try:
            self._checkpoint().write(os.path.join(tmp, "ckpt"))
            with open(os.path.join(tmp, "state.json"), "w") as f:
                json.dump(self._state(), f)
            if os.path.exists(final):          # a rerun of a chunk whose pointer was not moved
                shutil.rmtree(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        pointer = os.path.join(self.checkpoint_dir, f".{LATEST}.tmp")
        with open(pointer, "w") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer, os.path.join(self.checkpoint_dir, LATEST))
        for entry in os.listdir(self.checkpoint_dir):       # older chunks are not needed
            if entry.startswith("chunk-") and entry != name:
                shutil.rmtree(os.path.join(self.checkpoint_dir, entry), ignore_errors=True)
        return final

    def restore(self):
        """Loads the latest completed checkpoint of ``checkpoint_dir``; returns False when
        there is none (a fresh start). Leftovers of a killed write are removed."""
        if self.checkpoint_dir is None or not os.path.isdir(self.checkpoint_dir):
            return False
        for entry in os.listdir(self.checkpoint_dir):
            if entry.startswith(".tmp-") or entry == f".{LATEST}.tmp":
                path = os.path.join(self.checkpoint_dir, entry)
                (shutil.rmtree if os.path.isdir(path) else os.remove)(path)
        pointer = os.path.join(self.checkpoint_dir, LATEST)
        if not os.path.isfile(pointer):
            return False
        with open(pointer) as f:
            path = os.path.join(self.checkpoint_dir, f.read().strip())
        with open(os.path.join(path, "state.json")) as f:
            state = json.load(f)
        self._build(StreamScaler.from_config(state["scaler"]))
        self._checkpoint().read(os.path.join(path, "ckpt")).assert_consumed()
        self.chunk, self.rows_seen = int(state["chunk"]), int(state["rows_seen"])
        self.tail = np.asarray(state["tail"], np.float32).reshape(
            -1, self.source_dim + self.target_dim)
        self.nll_history = [float(v) for v in state["nll_history"]]
        return True

    # -- export ------------------------------------------------------------------------------
    def export(self, base_dir, name, metadata=None):
        """A SavedModel like `ibtf forecast fit` writes (`ibtf.models.teb.export_teb`)."""
        from ibtf.models.teb.export import export_teb
        if self.teb is None:
            raise ValueError("nothing learned yet: process at least one chunk before exporting")
        fit = types.SimpleNamespace(teb=self.teb, target_only=self.target_only, streams=None)
        return export_teb(fit, base_dir, name, metadata=metadata)
