import contextlib
import io
import json
import os

import numpy as np
import pytest
from PIL import Image

from ibtf.cli.main import main


def _last_json(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1]), out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("codec") / "run"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(["codec", "train", "--data", "digits", "--model", "factorized",
                       "--epochs", "1", "--filters", "8", "--eval-limit", "20", "--quiet",
                       "--out", str(out)])
    assert status == 0
    return out, json.loads(stdout.getvalue().strip().splitlines()[-1])


def test_train_prints_a_json_summary_and_exports(trained):
    out, result = trained
    assert {"bpp", "psnr", "accuracy", "export", "transforms_export"} <= set(result)
    assert result["images"] == 20 and 0.0 <= result["accuracy"] <= 1.0
    # bpp comes from file sizes: at least the 28-byte header over 64 pixels
    assert result["bpp"] >= 8 * 28 / 64
    assert result["export"] == str(out / "codec" / "1") and os.path.isdir(result["export"])
    assert os.path.isdir(out / "transforms" / "1")


def test_compress_decompress_eval_plot(trained, tmp_path, capsys):
    trained = trained[0]
    digit = np.zeros((8, 8), np.uint8)
    digit[2:6, 3:5] = 255
    Image.fromarray(digit).save(tmp_path / "digit.png")
    assert main(["compress", str(tmp_path / "digit.png"), "-o", str(tmp_path / "digit.ibtc"),
                 "--model", str(trained)]) == 0
    info, _ = _last_json(capsys)
    assert info["bytes"] == os.path.getsize(tmp_path / "digit.ibtc")
    assert main(["decompress", str(tmp_path / "digit.ibtc"), "-o", str(tmp_path / "back.png"),
                 "--model", str(trained)]) == 0
    capsys.readouterr()
    back = np.asarray(Image.open(tmp_path / "back.png"))
    assert back.shape == (8, 8) and back.dtype == np.uint8
    assert main(["codec", "eval", str(trained), "digits", "--classifier", "digits",
                 "--label", "tiny", "--limit", "50"]) == 0
    summary, lines = _last_json(capsys)
    assert summary["summary"] and summary["label"] == "tiny" and len(lines) == 51
    assert 0.0 <= summary["accuracy"] <= 1.0
    (tmp_path / "eval.jsonl").write_text("\n".join(lines) + "\n")
    assert main(["codec", "plot", str(tmp_path / "eval.jsonl"),
                 "-o", str(tmp_path / "rd.png")]) == 0
    assert os.path.getsize(tmp_path / "rd.png") > 1000


@pytest.mark.parametrize("argv, match", [
    (["codec", "train", "--data", "photos", "--lambda-c", "1", "--out", "x"], "digits"),
    (["codec", "train", "--data", "/no/such/dir", "--out", "x"], "not a directory"),
    (["compress", "img.png", "-o", "f"], "does not exist"),
    (["compress", "img.png", "-o", "f", "--quality", "5"], None),
])
def test_errors_are_one_line_and_exit_2(argv, match, capsys, tmp_path):
    os.chdir(tmp_path)
    if match is None:  # argparse's own refusal (bad choice): usage + one error line
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err
        return
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err


def test_compress_with_a_missing_export(tmp_path, capsys):
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "img.png")
    assert main(["compress", str(tmp_path / "img.png"), "-o", str(tmp_path / "f"),
                 "--model", str(tmp_path / "no_export")]) == 2
    assert "no saved_model.pb" in capsys.readouterr().err


def test_decompress_of_a_corrupt_file(trained, tmp_path, capsys):
    trained = trained[0]
    (tmp_path / "bad.ibtc").write_bytes(b"IBTC" + b"\0" * 40)
    assert main(["decompress", str(tmp_path / "bad.ibtc"), "-o", str(tmp_path / "x.png"),
                 "--model", str(trained)]) == 2
    assert "bitstream" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "x.png")


def test_photos_default_to_256_crops(capsys):
    """A hyperprior's side information is patch/64 wide: the photos default must give z a
    4x4 map (64x64 crops left it 1x1, and the rate estimate did not transfer to whole photos)."""
    from ibtf.cli.main import build_parser
    args = build_parser().parse_args(["codec", "train", "--data", "photos", "--out", "x"])
    assert args.patch == 256 and args.patch // 64 >= 4
    with pytest.raises(SystemExit):
        main(["codec", "train", "--help"])
    assert "(default: 256)" in " ".join(capsys.readouterr().out.split())
