import json
import os
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from ibtf.cli.main import main
from ibtf.data import coupled_ar

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARGS = ["--source", "x", "--target", "y", "--time-col", "t", "--chunk", "200", "--history",
        "2", "--steps", "40", "--hidden", "16", "--seed", "3"]


def _csv(path, n=1300):
    frame = coupled_ar(n, coupling=1.0, seed=5).frame
    frame.to_csv(path, index=False)
    return path


def test_bad_arguments_are_one_line_and_status_2(tmp_path, capsys):
    data = _csv(tmp_path / "d.csv", 50)
    assert main(["forecast", "online", str(data), "--source", "x", "--target", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "lacks ['nope']" in err[0]
    assert main(["forecast", "online", str(data), "--source", "x", "--target", "y",
                 "--chunk", "5"]) == 2
    assert "--chunk 5 is too small" in capsys.readouterr().err


def _run(argv, env):
    return subprocess.Popen([sys.executable, "-m", "ibtf.cli.main", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_killed_run_resumes_after_the_last_chunk(tmp_path, capsys):
    data = str(_csv(tmp_path / "d.csv"))
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # The uninterrupted run (in-process).
    assert main(["forecast", "online", data, *ARGS, "--out", str(tmp_path / "ref")]) == 0
    reference = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["chunk"] for r in reference] == [1, 2, 3, 4, 5, 6, 7]
    assert reference[-1]["export"] == str(tmp_path / "ref" / "1")

    ckpt, out = tmp_path / "ckpt", tmp_path / "model"
    argv = ["forecast", "online", data, *ARGS, "--checkpoint-dir", str(ckpt), "--out", str(out)]
    first = _run(argv, env)
    seen = []
    for line in first.stdout:                  # SIGKILL while the third chunk is under way
        seen.append(json.loads(line))
        if len(seen) == 2:
            first.send_signal(signal.SIGKILL)
            break
    first.wait()
    assert first.returncode == -signal.SIGKILL
    latest = (ckpt / "LATEST").read_text().strip()
    completed = int(latest.split("-")[1])
    assert completed >= 2 and not out.exists()

    second = _run(argv, env)
    stdout, stderr = second.communicate(timeout=600)
    assert second.returncode == 0, stderr
    rest = [json.loads(line) for line in stdout.splitlines()]
    assert f"resumed after chunk {completed}" in stderr
    assert [r["chunk"] for r in rest] == list(range(completed + 1, 8))
    assert rest[0]["rows_seen"] == 200 * (completed + 1)
    final = rest[-1]
    assert final["export"] == str(out / "1") and (out / "1" / "saved_model.pb").exists()
    # Nothing half-written is visible: one checkpoint, its pointer, one export version.
    assert sorted(p.name for p in ckpt.iterdir()) == ["LATEST", "chunk-000007"]
    assert sorted(p.name for p in out.iterdir()) == ["1"]
    # Within noise of the uninterrupted run (true TE 1/2 ln 2 = 0.35 nats).
    ref = pd.DataFrame(reference[2:]).set_index("chunk")
    got = pd.DataFrame(rest).set_index("chunk")
    both = got.index.intersection(ref.index)
    width = np.mean([hi - lo for lo, hi in ref.loc[both, "transfer_ci"]])
    assert np.abs(got.loc[both, "transfer_nats"] - ref.loc[both, "transfer_nats"]).max() < width
    assert abs(final["transfer_nats"] - reference[-1]["transfer_nats"]) < width
    assert final["transfer_ci"][0] > 0
