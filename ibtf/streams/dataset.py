"""Windows -> ``tf.data``: window starts are the dataset; batches gather from the series.

Holding the series once and gathering ``[batch, L]`` index blocks keeps memory at O(T) rather
than O(T * L) and turns each batch into two vectorised gathers.
"""
import numpy as np

from ibtf._keras import tf

__all__ = ["windows_dataset"]


def windows_dataset(source, target, starts, history, horizon, *, batch_size=32, shuffle=False,
                    seed=0, drop_remainder=False, prefetch=True):
    """A ``tf.data.Dataset`` of ``({'source_history', 'target_history'}, target_future)``.

    Args:
      source: float [T, ds]; target: float [T, dt] (aligned rows of all series, concatenated).
      starts: int [N] window starts (see `ibtf.streams.windows.valid_window_starts`).
      history: L. horizon: H.
      batch_size: windows per batch.
      shuffle: shuffle the windows (full buffer) each epoch, seeded by `seed`.
      seed: integer seed of the shuffle.
      drop_remainder: drop the last short batch, giving static batch shapes (for XLA).
      prefetch: prefetch with ``tf.data.AUTOTUNE``.

    Returns:
      A dataset of batches: ``source_history`` [B, L, ds], ``target_history`` [B, L, dt],
      target ``target_future`` [B, H, dt], all float32.
    """
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    starts = np.asarray(starts, dtype=np.int64)
    if starts.size == 0:
        raise ValueError("there are no windows to batch: use a shorter history/horizon, "
                         "a larger split, or more data")
    src = tf.constant(np.asarray(source, np.float32))
    tgt = tf.constant(np.asarray(target, np.float32))
    hist_offsets = tf.range(history, dtype=tf.int64)
    fut_offsets = tf.range(history, history + horizon, dtype=tf.int64)

    def gather(batch_starts):
        hist = batch_starts[:, None] + hist_offsets
        fut = batch_starts[:, None] + fut_offsets
        inputs = {"source_history": tf.gather(src, hist), "target_history": tf.gather(tgt, hist)}
        return inputs, tf.gather(tgt, fut)

    ds = tf.data.Dataset.from_tensor_slices(starts)
    if shuffle:
        ds = ds.shuffle(len(starts), seed=int(seed), reshuffle_each_iteration=True)
    ds = ds.batch(int(batch_size), drop_remainder=bool(drop_remainder))
    ds = ds.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE) if prefetch else ds
