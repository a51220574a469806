import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

from ibtf.testing import sigkill_after_first_checkpoint

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


def test_app_rejects_a_checkpoint_dir_that_is_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert _app().main(["--checkpoint-dir", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err


MIRRORED = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from ibtf.data import digits_pairs, with_paired_fraction
    from ibtf.models.multimodal import protocol
    train_data, test = digits_pairs(seed=0)
    data = with_paired_fraction(train_data, 0.5, seed=0)
    out = {}
    for strategy in ("default", "mirrored"):
        model, info = protocol.train("MVAE", data, "short", 0, steps=600, strategy=strategy,
                                     checkpoint_dir=f"{sys.argv[1]}/{strategy}")
        result = model.evaluate(test.as_dict(), verbose=0, return_dict=True,
                                batch_size=len(test))
        out[strategy] = {"replicas": model.distribute_strategy.num_replicas_in_sync,
                         "steps": int(model.optimizer.iterations.numpy()), **result}
    print(json.dumps(out))
""")


def _run(args, **kwargs):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kwargs)


def _last_json(proc, timeout=1200):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_multimodal_training_under_mirrored_matches_one_device(tmp_path):
    out = _last_json(_run(["-c", MIRRORED, str(tmp_path)]))
    one, two = out["default"], out["mirrored"]
    assert (one["replicas"], two["replicas"]) == (1, 2)
    assert one["steps"] == two["steps"]                     # the global batch is split
    # Replicas draw other noise than one device, so the runs differ by training noise only:
    # held-out negative ELBO within 2% (measured at 300 steps: 109.52 vs 109.46 nats).
    assert abs(two["loss"] - one["loss"]) < 0.02 * one["loss"], out
    print(json.dumps(out))


def test_app_killed_with_sigkill_then_rerun_finishes_like_an_uninterrupted_run(tmp_path):
    common = [APP, "--models", "MVAE", "--steps", "900", "--paired-fraction", "0.5",
              "--checkpoint-every", "20"]
    straight = _run([*common, "--out", str(tmp_path / "a"), "--grid", str(tmp_path / "a.png")])
    b = _last_json(straight)
    ck = tmp_path / "ck"
    resumed_args = [*common, "--out", str(tmp_path / "b"), "--grid", str(tmp_path / "b.png"),
                    "--checkpoint-dir", str(ck)]
    victim = _run(resumed_args)
    # At most 1.5 s after the first checkpoint (step 20): the ~880 steps left take about 6 s
    # at the 140-150 steps/s measured in CI, so the kill lands in training, not after it.
    sigkill_after_first_checkpoint(victim, ck, max_delay=1.5)
    a = _last_json(_run(resumed_args))
    ra, rb = a["models"]["MVAE"], b["models"]["MVAE"]
    assert rb["resumed_from_step"] == 0
    assert 0 < ra["resumed_from_step"] < ra["steps"] == rb["steps"] == 896, (ra, rb)
    # The resumed run draws other shuffles and other bottleneck noise than the uninterrupted
    # one, so it is compared within the seed-to-seed spread of uninterrupted runs. Measured
    # over seeds 0-4 (this protocol, 896 steps): IW ln p(a, b) -47.98 .. -48.72 (range 1.5%);
    # posterior-mean coherences a->b 0.19 .. 0.43, b->a 0.28 .. 0.43, joint 0.17 .. 0.26.
    # A coherence tolerance of 0.1 failed in CI on a correct resume (b->a 0.22 vs 0.35).
    assert abs(ra["iwll"] - rb["iwll"]) < 0.02 * abs(rb["iwll"]), (ra, rb)
    for key, spread in (("a_to_b_mean", 0.24), ("b_to_a_mean", 0.15), ("joint", 0.09)):
        assert abs(ra[key] - rb[key]) < 1.5 * spread, (key, ra, rb)
    assert not list(ck.glob("mvae/*"))                       # removed after the finished run
    print(json.dumps({"resumed": ra, "uninterrupted": rb}))
