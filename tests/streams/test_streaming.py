import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from ibtf.cli.main import main
from ibtf.data import coupled_ar
from ibtf.models.teb import export_teb, fit_teb, predict_export
from ibtf.streams import PairedStreams
from ibtf.streams.streaming import BadRow, StreamingForecaster

HISTORY, HORIZON = 4, 2


@pytest.fixture(scope="module")
def two_series(tmp_path_factory):
    """Two series (ids 1 and 2) of a coupled pair, dated daily; CSV and the export."""
    parts = []
    for sid, seed in ((1, 0), (2, 1)):
        frame = coupled_ar(160, coupling=1.0, seed=seed).frame.drop(columns="t")
        frame.insert(0, "date", pd.date_range("2021-03-01", periods=len(frame), freq="D")
                     .strftime("%Y-%m-%d"))
        frame.insert(0, "sid", sid)
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True)
    root = tmp_path_factory.mktemp("stream")
    path = root / "pair.csv"
    frame.to_csv(path, index=False)
    streams = PairedStreams(frame, time_col="date", id_col="sid", source_cols="x",
                            target_cols="y", history=HISTORY, horizon=HORIZON)
    fit = fit_teb(streams, epochs=2, batch_size=64, latent_dim=4, hidden_units=(16,),
                  context_units=8, surrogates=0)
    export = export_teb(fit, str(root), "teb", warmup=False)
    return frame, path, export


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("jit", [False, "auto"])
def test_stream_equals_predict_on_the_same_windows(two_series, jit):
    frame, path, export = two_series
    batch = predict_export(export, frame)
    stream = StreamingForecaster(export, jit_compile=jit)
    # The export's noise is fixed in its graph, so "auto" runs the XLA path.
    assert stream.jit_compile == (jit == "auto")
    records = [r for row in _rows(path) for r in stream.push(row)]
    got = pd.DataFrame(records)
    assert list(got.columns) == [c for c in batch.columns if c != "observed"]
    # Every window of both series, in the batch job's order (series, time, step, target).
    assert len(got) == len(batch) == 2 * (160 - HISTORY + 1) * HORIZON
    assert (got["sid"].to_numpy() == batch["sid"].to_numpy()).all()
    assert (pd.to_datetime(got["last_observed"]).to_numpy() ==
            pd.to_datetime(batch["last_observed"]).to_numpy()).all()
    assert (got["step"].to_numpy() == batch["step"].to_numpy()).all()
    for col in ("mean", "stddev", "q0.05", "q0.5", "q0.95", "transfer_nats", "rate_nats"):
        np.testing.assert_allclose(got[col], batch[col], rtol=1e-5, atol=1e-5, err_msg=col)
    assert stream.summary()["windows"] == 2 * (160 - HISTORY + 1)


def test_memory_is_the_last_history_rows_per_series(two_series):
    _, path, export = two_series
    stream = StreamingForecaster(export)
    for row in _rows(path)[:50]:
        stream.push(row)
    assert set(stream._series) == {1}
    assert stream._series[1].buffer.shape == (HISTORY, 2)


def test_bad_rows_raise_and_leave_the_state_alone(two_series):
    _, path, export = two_series
    rows = _rows(path)[:HISTORY + 1]
    stream = StreamingForecaster(export, quantiles=[0.5])
    for row in rows[:HISTORY - 1]:
        assert stream.push(row) == []
    bad = [({**rows[HISTORY - 1], "x": "abc"}, "not a number"),
           ({**rows[HISTORY - 1], "y": "nan"}, "NaN"),
           ({k: v for k, v in rows[HISTORY - 1].items() if k != "y"}, r"lacks \[.y.\]"),
           ({**rows[HISTORY - 1], "date": "2021-02-01"}, "not after the previous row"),
           ({**rows[HISTORY - 1], "date": "someday"}, "neither a number nor a date")]
    for row, message in bad:
        with pytest.raises(BadRow, match=message):
            stream.push(row)
    out = stream.push(rows[HISTORY - 1])
    assert len(out) == HORIZON and list(out[0]) == ["sid", "last_observed", "step", "target",
                                                    "mean", "stddev", "q0.5", "transfer_nats",
                                                    "rate_nats"]
    assert stream.rows_skipped == len(bad)


def test_cli_skips_bad_rows_with_one_line_each(two_series, tmp_path, capsys, monkeypatch):
    frame, path, export = two_series
    lines = open(path).read().splitlines()
    lines.insert(3, "1,2021-03-03,oops,1.0")              # text
    lines.insert(8, "1,2021-03-01,0.1,0.2")               # time going backwards
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines[:20]) + "\n"))
    assert main(["forecast", "stream", str(export), "--quantiles", "0.05,0.95"]) == 0
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    summary = out[-1]
    assert summary["skipped"] == 2 and summary["rows"] == 17
    assert summary["windows"] == 17 - HISTORY + 1 and len(out) - 1 == summary["windows"] * 2
    err = captured.err.strip().splitlines()
    assert len(err) == 2 and "row 3 (line 4)" in err[0] and "'oops'" in err[0]
    assert "not after the previous row" in err[1]

    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines[:12]) + "\n")
    assert main(["forecast", "stream", str(export), "--input", str(bad), "--strict"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--strict" in err[0] and "'oops'" in err[0]


def test_an_export_that_draws_at_run_time_is_served_by_the_plain_graph(tmp_path, monkeypatch):
    # Exports written before the Monte Carlo noise was fixed in the graph draw it with random
    # ops, which XLA would replace by other numbers: "auto" must not compile those.
    import tensorflow as tf

    from ibtf.models.teb.forecaster import TEBForecaster

    def drawn(self, kind, shape, stream, part=None, **kwargs):
        seed = self._seed(stream)
        if part is not None:
            seed = tf.random.experimental.stateless_split(seed, 2)[part]
        return getattr(tf.random, f"stateless_{kind}")(list(shape), seed, **kwargs)

    frame = coupled_ar(60, coupling=1.0, seed=0).frame
    streams = PairedStreams(frame, time_col="t", source_cols="x", target_cols="y", history=3)
    fit = fit_teb(streams, epochs=1, hidden_units=(8,), surrogates=0)
    fresh = export_teb(fit, str(tmp_path), "fresh", warmup=False)
    monkeypatch.setattr(TEBForecaster, "_fixed_noise", drawn)
    fit.teb.__dict__.pop("_noise_constants", None)
    old = export_teb(fit, str(tmp_path), "old", warmup=False)
    monkeypatch.undo()
    xla, plain = StreamingForecaster(fresh), StreamingForecaster(old)
    assert xla.jit_compile and not plain.jit_compile
    with pytest.raises(ValueError, match="draws its Monte Carlo noise at run time"):
        StreamingForecaster(old, jit_compile=True)
    # Same draws either way: the values agree (to XLA's float32 rounding).
    rows = frame.astype(str).to_dict("records")
    a = pd.DataFrame([r for row in rows for r in xla.push(row)])
    b = pd.DataFrame([r for row in rows for r in plain.push(row)])
    assert len(a) == len(b) == len(rows) - 2
    for col in ("mean", "q0.05", "transfer_nats"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-5, atol=1e-5, err_msg=col)
