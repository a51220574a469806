import json

import numpy as np
import pandas as pd
import pytest

from ibtf.cli import mi
from ibtf.cli.main import main


def _correlated(n=4000, rho=0.8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1))
    return x, rho * x + np.sqrt(1 - rho ** 2) * rng.normal(size=(n, 1))


def _run(argv):
    # main() only knows subcommands listed in SUBCOMMANDS; build a parser with ours too.
    import argparse
    parser = argparse.ArgumentParser()
    mi.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_npz_estimate_near_truth(tmp_path, capsys):
    x, y = _correlated()
    path = tmp_path / "pairs.npz"
    np.savez(path, x=x, y=y)
    assert _run(["mi", str(path), "--steps", "400", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    truth = -0.5 * np.log(1 - 0.8 ** 2)            # 0.51 nats
    assert abs(out["mi_nats"] - truth) < 0.15 * truth
    assert out["method"] == "smile"


def test_csv_columns(tmp_path, capsys):
    x, y = _correlated(n=600)
    path = tmp_path / "pairs.csv"
    pd.DataFrame({"a": x[:, 0], "b": y[:, 0]}).to_csv(path, index=False)
    assert _run(["mi", str(path), "--x", "a", "--y", "b", "--steps", "5"]) == 0
    assert "nats" in capsys.readouterr().out


@pytest.mark.parametrize("name, extra, error, match", [
    ("missing.npz", [], FileNotFoundError, "does not exist"),
    ("pairs.txt", [], ValueError, ".npz or .csv"),
    ("pairs.csv", [], ValueError, "needs --x and --y"),
    ("pairs.csv", ["--x", "a", "--y", "zz"], ValueError, "--y names columns"),
])
def test_bad_input(tmp_path, name, extra, error, match):
    pd.DataFrame({"a": [1.0, 2.0]}).to_csv(tmp_path / "pairs.csv", index=False)
    (tmp_path / "pairs.txt").write_text("1")
    with pytest.raises(error, match=match):
        _run(["mi", str(tmp_path / name), *extra])


def test_errors_become_one_line_through_main(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("ibtf.cli.main.SUBCOMMANDS", ("mi",))
    assert main(["mi", str(tmp_path / "nope.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ibtf mi: error:") and err.count("\n") == 1
