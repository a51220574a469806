import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow
def test_demo_runs_end_to_end_and_exports(tmp_path):
    pytest.importorskip("astsa")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, os.path.join(ROOT, "apps", "demo.py"), "--epochs",
                             "3", "--surrogates", "5", "--out", str(tmp_path)],
                            capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "tensorflow" not in result.stderr.lower(), result.stderr[-2000:]   # no TF log lines
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["export"] == os.path.join(str(tmp_path), "teb_lead_sales", "1")
    assert os.path.isfile(os.path.join(summary["export"], "saved_model.pb"))
    assert open(summary["plot"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    lo, hi = summary["transfer_ci"]
    assert lo <= summary["transfer_nats"] <= hi
    assert summary["n_surrogates"] == 5
    assert summary["supported"] == (lo > 0 and summary["transfer_p"] < 0.05)
    assert not summary["placebo_supported"]
    assert "reverse control" in result.stdout and "ARX(6,6)" in result.stdout
