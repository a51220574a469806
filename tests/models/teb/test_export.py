import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ibtf.data import coupled_ar
from ibtf.models.teb.fit import fit_teb, transfer_report
from ibtf.serving import describe_export, read_warmup_requests
from ibtf.models.teb.export import export_teb
from ibtf.streams import PairedStreams

FRESH_PROCESS = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(sys.argv[1])
    fn = loaded.signatures["serving_default"]
    data = np.load(sys.argv[2])
    out = fn(source_history=tf.constant(data["source_history"]),
             target_history=tf.constant(data["target_history"]))
    out = {k: v.numpy().tolist() for k, v in out.items()}
    out["ibtf_imported"] = any(m == "ibtf" or m.startswith("ibtf.") for m in sys.modules)
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def fitted():
    sim = coupled_ar(4_000, coupling=1.5, target_ar=0.5, seed=2)
    # Raw units far from standard: the export must scale inside its graph.
    frame = sim.frame.assign(x=5.0 * sim.frame["x"] + 100.0, y=0.1 * sim.frame["y"] + 7.0)
    streams = PairedStreams(frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=3, horizon=2)
    return fit_teb(streams, epochs=12, seed=2, hidden_units=(16,), context_units=8,
                   latent_dim=4, surrogates=0)


@pytest.fixture(scope="module")
def exported(fitted, tmp_path_factory):
    base = tmp_path_factory.mktemp("exports")
    return str(base), export_teb(fitted, str(base), "teb_xy")


def test_teb_export_runs_in_a_fresh_process_in_raw_units(tmp_path, fitted, exported):
    _, path = exported
    test = fitted.streams.windows("test")
    n = 200
    np.savez(tmp_path / "in.npz", source_history=test.source_history[:n],
             target_history=test.target_history[:n])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""}
    result = subprocess.run([sys.executable, "-c", FRESH_PROCESS, path,
                             str(tmp_path / "in.npz")], capture_output=True, text=True, env=env,
                            cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["ibtf_imported"] is False
    local = fitted.teb.forecast({k: v[:n] for k, v in test.inputs.items()})
    np.testing.assert_allclose(out["mean"], local["mean"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["stddev"], local["stddev"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["quantiles"], local["quantiles"], rtol=1e-5, atol=1e-4)
    mean = np.asarray(out["mean"])
    assert mean.shape == (n, 2, 1) and np.asarray(out["quantiles"]).shape == (n, 2, 1, 5)
    # Raw units: forecasts sit near the data (mean 7, sd ~0.2), not near 0.
    assert abs(mean.mean() - test.target_future[:n].mean()) < 0.1
    # The per-request transfer (KL of the TEB predictive from the target-only one, summed over
    # 2 steps) averages to about the held-out log-likelihood gain (per step) times 2.
    transfer = np.asarray(out["transfer_nats"])
    assert transfer.shape == (n,) and np.mean(transfer < 0) < 0.1
    report = transfer_report(fitted, windows=test)
    assert transfer.mean() / 2 == pytest.approx(report.transfer_nats, abs=0.15)
    assert report.transfer_nats > 0.3            # true TE 1/2 ln(1 + 1.5^2) = 0.59 at step 1


def test_teb_export_metadata_signature_and_warmup(fitted, exported):
    base, path = exported
    info = describe_export(path)
    sig = info["signatures"]["serving_default"]
    assert sig["inputs"] == {"source_history": {"dtype": "float32", "shape": [None, 3, 1]},
                             "target_history": {"dtype": "float32", "shape": [None, 3, 1]}}
    assert set(sig["outputs"]) == {"mean", "stddev", "quantiles", "rate_nats", "transfer_nats"}
    meta = info["metadata"]
    assert meta["model_class"] == "TEBForecaster" and meta["source_cols"] == ["x"]
    assert meta["quantile_levels"] == list(fitted.teb.quantile_levels)
    ((name, inputs),) = read_warmup_requests(path)
    assert name == "serving_default" and set(inputs) == {"source_history", "target_history"}
    assert os.path.basename(path) == "1"
