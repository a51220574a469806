import numpy as np
import pytest

from ibtf.streams.scaling import StreamScaler


def test_fit_matches_numpy_and_round_trips():
    rng = np.random.default_rng(0)
    src = rng.normal(3.0, 2.0, size=(500, 2))
    tgt = rng.normal(-1.0, 0.5, size=(500, 1))
    scaler = StreamScaler.fit(src, tgt)
    np.testing.assert_allclose(scaler.source_mean, src.mean(0), rtol=1e-6)
    np.testing.assert_allclose(scaler.source_scale, src.std(0), rtol=1e-6)
    np.testing.assert_allclose(scaler.target_scale, tgt.std(0), rtol=1e-6)
    z = scaler.transform_target(tgt)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1.0, atol=1e-5)
    np.testing.assert_allclose(scaler.inverse_target(z), tgt, atol=1e-5)
    np.testing.assert_allclose(scaler.inverse_source(scaler.transform_source(src)), src,
                               atol=1e-5)
    np.testing.assert_allclose(scaler.inverse_target_scale(np.ones(1)), tgt.std(0), rtol=1e-6)


def test_constant_column_gets_unit_scale():
    scaler = StreamScaler.fit(np.full((10, 1), 5.0), np.arange(10.0)[:, None])
    assert scaler.source_scale[0] == 1.0 and scaler.source_mean[0] == 5.0


def test_config_round_trip():
    scaler = StreamScaler.fit(np.arange(12.0).reshape(6, 2), np.arange(6.0)[:, None] ** 2)
    again = StreamScaler.from_config(scaler.get_config())
    for k in ("source_mean", "source_scale", "target_mean", "target_scale"):
        np.testing.assert_array_equal(getattr(again, k), getattr(scaler, k))


def test_bad_input():
    with pytest.raises(ValueError, match="source_rows must be a 2-D array"):
        StreamScaler.fit(np.zeros(5), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="target_rows holds NaN"):
        StreamScaler.fit(np.zeros((5, 1)), np.full((5, 1), np.nan))
    with pytest.raises(ValueError, match="no rows"):
        StreamScaler.fit(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(ValueError, match="source_scale must be positive"):
        StreamScaler([0.0], [0.0], [0.0], [1.0])
