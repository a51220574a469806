"""``ibtf theory plot``: writes PNGs, refuses bad input with one-line errors."""

import argparse

import pytest

from ibtf.cli import theory


def _run(argv):
    parser = argparse.ArgumentParser(prog="ibtf")
    theory.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.mark.parametrize(
    "argv",
    [
        ["rdc"],
        ["rdc", "--source", "binary", "--p", "0.3", "--eps", "0.2"],
        ["rpc", "--divergence", "w2", "--rho", "-0.7"],
        ["rd", "--var-x", "2.0"],
    ],
)
def test_plot_writes_a_png(tmp_path, argv):
    out = tmp_path / "fig.png"
    assert _run(["theory", "plot", *argv, "--resolution", "30", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def test_existing_file_is_not_overwritten_without_flag(tmp_path):
    out = tmp_path / "fig.png"
    out.write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="--overwrite"):
        _run(["theory", "plot", "rd", "--resolution", "20", "--out", str(out)])
    assert out.read_bytes() == b"keep"
    assert (
        _run(["theory", "plot", "rd", "--resolution", "20", "--overwrite", "--out", str(out)]) == 0
    )


@pytest.mark.parametrize(
    "argv, error, match",
    [
        (["rdc", "--rho", "1.5"], ValueError, r"rho must lie in the feasible range \[-1, 1\]"),
        (["rdc", "--var-s", "-1"], ValueError, "var_s must lie"),
        (["rdc", "--source", "binary", "--eps", "2"], ValueError, r"eps|p must lie"),
        (["rpc", "--max-perception", "-1"], ValueError, "max_perception must be > 0"),
        (["rd", "--resolution", "3"], ValueError, "resolution must be an integer >= 10"),
    ],
)
def test_bad_arguments_raise_user_errors(tmp_path, argv, error, match):
    with pytest.raises(error, match=match):
        _run(["theory", "plot", *argv, "--out", str(tmp_path / "x.png")])
    assert not (tmp_path / "x.png").exists()


def test_out_must_be_png_in_an_existing_folder(tmp_path):
    with pytest.raises(ValueError, match=r"--out must name a \.png file"):
        _run(["theory", "plot", "rd", "--out", str(tmp_path / "x.jpg")])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _run(["theory", "plot", "rd", "--out", str(tmp_path / "missing" / "x.png")])


def test_main_turns_errors_into_one_line_and_status_2(tmp_path, capsys, monkeypatch):
    from ibtf.cli import main

    # Only this subcommand: the test must not depend on the other subcommands' modules.
    monkeypatch.setattr(main, "SUBCOMMANDS", ("theory",))
    status = main.main(["theory", "plot", "rdc", "--rho", "3", "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "rho must lie" in err
