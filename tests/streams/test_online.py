import numpy as np
import pytest

from ibtf.data import coupled_ar
from ibtf.streams.online import OnlineTEB, drift_z_score
from ibtf.theory import linear_gaussian_te

pytest.importorskip("tf_agents")

CHUNK, HALF = 200, 1600


def _switching_pair():
    """y_t = 0.5 y_{t-1} + c x_{t-1} + e_t, x iid: c = 0 for HALF rows, then c = 1."""
    before = coupled_ar(HALF, coupling=0.0, seed=1).frame
    after = coupled_ar(HALF, coupling=1.0, seed=2).frame
    return np.r_[before.x, after.x], np.r_[before.y, after.y]


def _small(**kwargs):
    return OnlineTEB(history=2, horizon=1, memory=1000, steps_per_chunk=80, batch_size=64,
                     hidden_units=(16,), context_units=8, latent_dim=4, seed=0, **kwargs)


def test_transfer_per_chunk_follows_a_coupling_that_switches_on():
    x, y = _switching_pair()
    online = _small()
    results = [online.process_chunk(x[lo:lo + CHUNK], y[lo:lo + CHUNK], chunk_end=lo + CHUNK - 1)
               for lo in range(0, len(x), CHUNK)]
    assert results[0].transfer_nats is None and results[-1].rows_seen == len(x)
    transfer = np.array([np.nan if r.transfer_nats is None else r.transfer_nats
                         for r in results])
    switch = HALF // CHUNK                       # index of the first chunk after the switch
    # Closed form (ibtf.theory): TE = 1/2 ln(1 + c^2 var_x / var_e) = 0.347 nats after, 0 before.
    after = linear_gaussian_te([[0.0, 0.0], [1.0, 0.5]], np.eye(2), source=0, target=1,
                               history=2)
    assert after == pytest.approx(0.5 * np.log(2.0))
    before = transfer[3:switch]                  # chunks 4..8: past the warm-up
    assert abs(before.mean()) < 0.03 and np.abs(before).max() < 0.06, transfer
    late = transfer[-4:]
    assert abs(late.mean() - after) < 0.1, (late, after)
    assert all(r.transfer_ci[0] > 0 for r in results[-4:])
    # The forecast loss jumps when the coupling starts (the models have not adapted): drift.
    assert results[switch].drift and not any(r.drift for r in results[:switch])


def test_drift_z_score():
    assert drift_z_score(1.0, 0.0, [1.0, 1.1]) is None
    z = drift_z_score(2.0, 0.01, [1.0, 1.1, 0.9, 1.0])
    assert z == pytest.approx(1.0 / np.sqrt(0.01 + np.var([1.0, 1.1, 0.9, 1.0], ddof=1)))


def test_checkpoint_restores_models_memory_and_state(tmp_path):
    x, y = _switching_pair()
    online = _small(checkpoint_dir=tmp_path)
    online.steps_per_chunk = 5
    for lo in (0, CHUNK):
        online.process_chunk(x[lo:lo + CHUNK], y[lo:lo + CHUNK])
    online.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LATEST", "chunk-000002"]
    (tmp_path / ".tmp-chunk-000003-half").mkdir()             # a killed write
    again = _small(checkpoint_dir=tmp_path)
    assert again.restore()
    assert not (tmp_path / ".tmp-chunk-000003-half").exists()
    assert (again.chunk, again.rows_seen) == (2, 2 * CHUNK)
    np.testing.assert_array_equal(again.tail, online.tail)
    assert int(again.buffer.num_frames()) == int(online.buffer.num_frames()) == 2 * CHUNK - 2
    window = {"source_history": x[None, :2, None], "target_history": y[None, :2, None]}
    for a, b in ((again.teb, online.teb), (again.target_only, online.target_only)):
        np.testing.assert_allclose(a.forecast(window)["mean"], b.forecast(window)["mean"])
    assert not _small(checkpoint_dir=tmp_path / "empty").restore()
