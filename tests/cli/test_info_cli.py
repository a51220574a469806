import os
import subprocess
import sys

import numpy as np

import ibtf
from ibtf.cli.main import main
from ibtf.models import VIBClassifier
from ibtf.serving import export


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as stop:
        assert stop.code == 0
    assert capsys.readouterr().out.strip() == f"ibtf {ibtf.__version__}"


def test_info_lists_signatures(tmp_path, capsys):
    model = VIBClassifier(num_classes=3, latent_dim=2, hidden_units=(4,), seed=0)
    model.compile()
    model.fit(np.zeros((8, 5), np.float32), np.arange(8) % 3, verbose=0)
    export(model, str(tmp_path), "m")
    assert main(["info", os.path.join(str(tmp_path), "m")]) == 0
    out = capsys.readouterr().out
    assert "signature serving_default:" in out
    assert "input  features: float32 [B, 5]" in out
    assert "output probabilities: float32 [B, 3]" in out


def test_bad_export_dir_is_one_line_and_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ibtf.cli.main", "info",
                             str(tmp_path / "missing")], capture_output=True, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("ibtf info: error: export dir")
    assert "Traceback" not in result.stderr
