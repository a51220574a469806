import importlib.util
import os

import pytest

pytestmark = pytest.mark.slow

APP = os.path.join(os.path.dirname(__file__), "..", "..", "apps", "multimodal_digits.py")


def _app():
    spec = importlib.util.spec_from_file_location("multimodal_digits", APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_app_trains_prints_the_table_saves_the_grid_and_exports(tmp_path, capsys):
    app = _app()
    grid = tmp_path / "grid.png"
    code = app.main(["--paired-fraction", "0.5", "--models", "MEME", "--steps", "30",
                     "--out", str(tmp_path / "saved"), "--grid", str(grid)])
    assert code == 0
    out = capsys.readouterr().out
    assert "| MEME |" in out and "674 pairs" in out
    assert grid.stat().st_size > 1000
    version = tmp_path / "saved" / "multimodal_digits_meme" / "1"
    assert (version / "saved_model.pb").exists()


def test_app_rejects_a_bad_paired_fraction(capsys):
    assert _app().main(["--paired-fraction", "1.5"]) == 2
    assert "paired_fraction=1.5" in capsys.readouterr().err
