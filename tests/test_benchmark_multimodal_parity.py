"""The parity comparison of the multimodal benchmark (ibtf's seeds against MultiVae's own):
Welch's t and interval against a worked example and scipy's independent implementation, and
the judged MultiVae rows' keys."""
import importlib.util
import json
import os

import numpy as np
import pytest

# benchmarks/ is not an installed package: load the scripts by their paths
_DIR = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks")


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(_DIR, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


parity = _load("multimodal_parity")
reference = _load("multimodal_multivae_reference")


def test_welch_worked_example():
    # x = 1, 2, 3 and y = 4, 5, 6: sample variances 1, se = sqrt(2/3), t = -3 / se = -3.674,
    # Welch df = (2/3)^2 / (2 * (1/3)^2 / 2) = 4, t_{0.975, 4} = 2.776445 (tables)
    w = parity.welch([1, 2, 3], [4, 5, 6])
    assert w["diff"] == pytest.approx(-3.0)
    assert w["sd_x"] == pytest.approx(1.0) and w["sd_y"] == pytest.approx(1.0)
    assert w["t"] == pytest.approx(-3.0 / np.sqrt(2 / 3))
    assert w["df"] == pytest.approx(4.0)
    half = 2.776445 * np.sqrt(2 / 3)
    assert w["low"] == pytest.approx(-3.0 - half, abs=1e-5)
    assert w["high"] == pytest.approx(-3.0 + half, abs=1e-5)


def test_welch_matches_scipy_unequal_sizes_and_variances():
    from scipy import stats
    rng = np.random.default_rng(3)
    x, y = rng.normal(0.62, 0.03, size=5), rng.normal(0.63, 0.05, size=7)
    w = parity.welch(x, y)
    ref = stats.ttest_ind(x, y, equal_var=False)
    assert w["t"] == pytest.approx(ref.statistic, rel=1e-10)
    assert w["df"] == pytest.approx(ref.df, rel=1e-10)
    interval = ref.confidence_interval(0.95)
    assert w["low"] == pytest.approx(interval.low, rel=1e-10)
    assert w["high"] == pytest.approx(interval.high, rel=1e-10)
    with pytest.raises(ValueError, match="x has 1"):
        parity.welch([0.5], y)


def test_seeds_per_side_is_lehrs_rule():
    # Lehr's rule: n per group ~ 16 sd^2 / delta^2 for a two-sided 5% test at 80% power
    # (2 * (1.959964 + 0.841621)^2 = 15.70)
    assert parity.seeds_per_side(1.0, 1.0) == 16
    assert parity.seeds_per_side(0.04, 0.01) == 252
    assert parity.seeds_per_side(0.04, 0.04, power=0.5) == 8   # 2 * 1.96^2 = 7.68


def _row(model, seed, base, f=0.25):
    return {"model": model, "f": f, "seed": seed, "protocol": "multivae",
            "a_to_b_sample": base, "b_to_a_sample": base + 0.01, "joint": base + 0.02,
            "a_to_b_mean": base + 0.3, "b_to_a_mean": base + 0.31}


def test_select_and_tables():
    rows = [_row("MMVAE", 1, 0.62), _row("MMVAE", 0, 0.60), _row("MMVAE", 0, 0.7, f=1.0),
            _row("MMVAE-mean", 0, 0.5)]
    ours = parity.select(rows, "MMVAE", 0.25)
    assert [r["seed"] for r in ours] == [0, 1]
    with pytest.raises(ValueError, match="repeated seeds"):
        parity.select(rows + [_row("MMVAE", 1, 0.6)], "MMVAE", 0.25)
    theirs = [_row("MultiVae-MMVAE", s, b) for s, b in enumerate((0.63, 0.65, 0.64))]
    lines = parity.comparison_table(ours, theirs, issue=[0.62, 0.62, 0.79]).splitlines()
    assert len(lines) == 2 + len(parity.COLUMNS)
    w = parity.welch([0.60, 0.62], [0.63, 0.65, 0.64])
    assert lines[2].startswith(f"| a->b | 0.610 ({w['sd_x']:.3f}), 2 | 0.640 (0.010), 3 | "
                               f"-0.030 | {w['t']:+.2f} ({w['df']:.1f}) |")
    assert lines[2].endswith(" -0.010 | +0.020 |")
    assert lines[-1].endswith(" | |")           # no issue figure for the mean-z columns
    table = parity.per_seed_table(ours, theirs).splitlines()
    assert table[2] == "| ibtf | 0 | 0.600 / 0.610 / 0.620 | 0.900 / 0.910 |"
    assert table[-1] == "| MultiVae | 2 | 0.640 / 0.650 / 0.660 | 0.940 / 0.950 |"


def test_judged_dump_keys_and_append(tmp_path):
    assert reference.dump_keys("d/multivae_mmvae_f0.25_s3.npz") == {
        "model": "MultiVae-MMVAE", "f": 0.25, "seed": 3}
    assert reference.dump_keys("multivae_mopoe_f0.0625_s0.npz")["f"] == 0.0625
    assert reference.dump_keys("multivae_mvae_s12.npz") == {
        "model": "MultiVae-MVAE", "f": 1.0, "seed": 12}
    with pytest.raises(ValueError, match="multivae_init_s3.npz"):
        reference.dump_keys("multivae_init_s3.npz")
    path = str(tmp_path / "own.json")
    first = {"file": "multivae_mmvae_f0.25_s3.npz", "joint": 0.7}
    reference.append_rows(path, [first, {"file": "multivae_mmvae_f0.25_s4.npz", "joint": 0.8}])
    reference.append_rows(path, [{"file": "multivae_mmvae_f0.25_s3.npz", "joint": 0.75}])
    with open(path) as f:
        rows = json.load(f)
    assert [(r["file"][-6:-4], r["joint"]) for r in rows] == [("s4", 0.8), ("s3", 0.75)]
