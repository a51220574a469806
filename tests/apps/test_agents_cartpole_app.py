import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow
def test_cartpole_app_plots_transfer_per_dimension(tmp_path):
    pytest.importorskip("tf_agents")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, os.path.join(ROOT, "apps", "agents_cartpole.py"),
                             "--steps", "3000", "--epochs", "15", "--out", str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=1800)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert open(summary["plot"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    ci = summary["transfer_ci"]
    # The force enters the cart velocity at the next step (the placebo's own check is
    # tests/streams/test_agents.py).
    assert ci["actions:obs_1"][0] > 0.5 and ci["actions:obs_3"][0] > 0.5
    supported = summary["supported"]
    assert supported["actions:obs_1"] and supported["actions:obs_3"]
    assert not any(supported[f"placebo:obs_{j}"] for j in range(4)), summary["transfer_p"]
    assert set(ci) == {f"{n}:obs_{j}" for n in ("actions", "placebo") for j in range(4)}
