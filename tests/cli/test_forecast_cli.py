import json
import re

import numpy as np
import pandas as pd
import pytest

from ibtf.cli.main import main
from ibtf.data import coupled_ar

N_ROWS = 800


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "pair.csv"
    frame = coupled_ar(N_ROWS, coupling=1.5, target_ar=0.5, seed=4).frame
    frame = frame.assign(date=pd.date_range("2020-01-01", periods=len(frame), freq="D"),
                         y=frame["y"] * 10 + 50, flat=2.5).drop(columns="t")
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fitted_export(data_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "teb_y"
    argv = ["forecast", "fit", str(data_csv), "--source", "x", "--target", "y", "--time-col",
            "date", "--history", "4", "--horizon", "2", "--epochs", "5", "--batch-size", "64",
            "--surrogates", "20", "--out", str(out)]
    return out, argv


def test_fit_prints_a_json_summary_last_and_exports(fitted_export, capsys):
    out, argv = fitted_export
    assert main(argv) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out.strip().splitlines()[-1])
    for key in ("transfer_nats", "transfer_ci", "transfer_nats_raw", "transfer_ci_raw",
                "transfer_p", "n_surrogates", "supported",
                "rate_nats", "val_nll", "val_nll_target_only", "val_mae", "val_mae_target_only",
                "val_crps", "test_crps", "export"):
        assert key in result, key
    assert result["export"] == str(out / "1")
    lo, hi = result["transfer_ci"]
    assert lo <= result["transfer_nats"] <= hi
    # A strong coupling (true one-step TE 0.59 nats): visible after 5 epochs on 800 rows.
    assert lo > 0 and result["val_nll"] < result["val_nll_target_only"]
    assert result["n_surrogates"] == 20 and result["transfer_p"] == pytest.approx(1 / 21)
    assert result["supported"]
    crps = result["test_crps"]
    assert crps["TEB"] <= 1.02 * crps["ARX(4,4)"] and crps["TEB"] < crps["naive"]
    assert "epoch" in captured.err and "transfer x -> y" in captured.err
    assert (out / "1" / "saved_model.pb").exists()

    forecasts = out.parent / "forecasts.csv"
    data_csv = argv[2]
    assert main(["forecast", "predict", str(out), data_csv, "--quantiles", "0.1,0.9",
                 "--out", str(forecasts)]) == 0
    table = pd.read_csv(forecasts)
    assert list(table.columns) == ["last_observed", "step", "target", "observed", "mean",
                                   "stddev", "q0.1", "q0.9", "transfer_nats", "rate_nats"]
    assert len(table) == (N_ROWS - 4 + 1) * 2
    assert (table["q0.1"] < table["mean"]).all() and (table["mean"] < table["q0.9"]).all()
    assert table["observed"].isna().sum() == 3        # 2 steps past the end, 1 past the end
    one = table[(table["step"] == 1) & table["observed"].notna()]
    assert np.mean(np.abs(one["mean"] - one["observed"])) < 12     # noise sd 10 in raw units

    png = out.parent / "fig.png"
    assert main(["forecast", "plot", str(out), data_csv, "--out", str(png), "--last",
                 "80"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    assert main(["forecast", "predict", str(out), data_csv, "--quantiles", "0.3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "quantile 0.3 is not in the export" in err[0]


@pytest.mark.slow
def test_backtest_reports_each_fold(data_csv, capsys):
    assert main(["forecast", "backtest", str(data_csv), "--source", "x", "--target", "y",
                 "--time-col", "date", "--history", "3", "--epochs", "2", "--folds", "2",
                 "--test-size", "60"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [f["fold"] for f in result["folds"]] == [0, 1]
    assert all(f["n_test"] == 60 for f in result["folds"])
    assert result["mean"]["mae_arx"] < result["mean"]["mae_target_only"]


@pytest.mark.parametrize("extra, match", [
    (["--target", "nope"], "'nope'"),
    (["--target", "y", "--distribution", "cauchy"], "--distribution"),
    (["--target", "y", "--history", "0"], "history"),
    (["--target", "y", "--surrogates", "-1"], "--surrogates"),
    (["--target", "y", "--linear-lags", "x"], "--linear-lags"),
    (["--target", "y", "--ensemble", "0"], "--ensemble"),
    (["--target", "y", "--source", "flat"], "constant over the training rows"),
])
def test_bad_input_is_one_stderr_line_and_exit_2(data_csv, capsys, extra, match):
    argv = ["forecast", "fit", str(data_csv), "--source", "x", "--time-col", "date",
            "--epochs", "1", *extra]
    assert _exit_status(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0] and "Traceback" not in err[0]


def _exit_status(argv):
    try:
        return main(argv)
    except SystemExit as stop:          # argparse's own usage errors
        return stop.code


def test_help_shows_every_default(capsys):
    assert _exit_status(["forecast", "fit", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for default in ("--history HISTORY past steps per window (L) (default: 16)",
                    "(default: 39)", "(default: shift)", "(default: auto)",
                    "(default: 0.0001)", "(default: auto)"):
        assert default in text, default


def test_semicolon_files_with_decimal_commas_are_read(data_csv, tmp_path, capsys):
    frame = pd.read_csv(data_csv)
    path = tmp_path / "semicolon.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-16")
    # Read and validated (the data has no 'nope' column): the error names the real columns.
    assert _exit_status(["forecast", "fit", str(path), "--source", "x", "--target", "nope",
                         "--time-col", "date"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "'x'" in err and "'y'" in err


def test_no_tensorflow_log_lines_on_stderr(data_csv, tmp_path):
    import subprocess
    import sys
    small = tmp_path / "small.csv"
    pd.read_csv(data_csv).iloc[:200].to_csv(small, index=False)
    proc = subprocess.run([sys.executable, "-m", "ibtf.cli.main", "forecast", "fit", str(small),
                           "--source", "x", "--target", "y", "--time-col", "date", "--history",
                           "3", "--epochs", "1", "--surrogates", "0", "--out",
                           str(tmp_path / "m")], capture_output=True, text=True,
                          env={k: v for k, v in __import__("os").environ.items()
                               if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert proc.returncode == 0, proc.stderr
    for line in proc.stderr.splitlines():
        assert not re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] ", line), line
        assert "tensorflow" not in line.lower() and "oneDNN" not in line, line
    assert json.loads(proc.stdout.strip().splitlines()[-1])["n_surrogates"] == 0


def test_missing_files_exit_2(tmp_path, capsys):
    assert main(["forecast", "fit", str(tmp_path / "none.csv"), "--source", "x", "--target",
                 "y"]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["forecast", "predict", str(tmp_path), str(tmp_path / "none.csv")]) == 2
    assert "saved_model.pb" in capsys.readouterr().err
