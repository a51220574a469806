import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from ibtf.models import VIBClassifier
    from ibtf.training import fit_model
    from sklearn.datasets import load_digits
    data = load_digits()
    x, y = (data.data / 16).astype("float32"), data.target

    def build():
        model = VIBClassifier(num_classes=10, latent_dim=16, hidden_units=(64,), seed=0)
        model.compile(tf.keras.optimizers.Adam(3e-3))
        return model

    out = {}
    for strategy in ("default", "mirrored"):       # the trainer's argument, as for TEB/codecs
        model, _ = fit_model(build, x[:1400], y[:1400], strategy=strategy, epochs=30,
                             batch_size=100, verbose=0)
        result = model.evaluate(x[1400:], y[1400:], verbose=0, return_dict=True)
        out[model.distribute_strategy.num_replicas_in_sync] = result
    print(json.dumps(out))
""")


def test_vib_trains_under_mirrored_strategy_on_two_logical_devices():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    single, mirrored = out["1"], out["2"]
    assert mirrored["accuracy"] > 0.85
    assert abs(mirrored["accuracy"] - single["accuracy"]) < 0.03
    # The rate is a per-example mean, so it must not scale with the number of replicas.
    assert 0.7 < mirrored["rate_nats"] / single["rate_nats"] < 1.3
