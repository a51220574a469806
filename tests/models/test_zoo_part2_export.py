"""Every model of the zoo's part 2 exports and serves in a clean process without ibtf."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np

from ibtf.models.fair import CLUBModel, FarconVAE, InvariantBottleneck
from ibtf.models.multiview import MultiViewVSD
from ibtf.models.ratereduction import CTRL
from ibtf.serving import export

FRESH = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    out = {}
    for name, path in json.loads(sys.argv[1]).items():
        inputs = {k: tf.constant(v) for k, v in np.load(path + ".npz").items()}
        result = tf.saved_model.load(path).signatures["serving_default"](**inputs)
        out[name] = {k: v.numpy().tolist() for k, v in result.items()}
    out["ibtf_imported"] = any(m == "ibtf" or m.startswith("ibtf.") for m in sys.modules)
    print(json.dumps(out))
""")


def test_exports_load_and_agree_in_a_clean_process(tmp_path):
    rng = np.random.default_rng(0)
    x8 = rng.normal(size=(4, 8)).astype(np.float32)
    x2 = rng.normal(size=(4, 2)).astype(np.float32)
    s = np.array([0, 1, 1, 0], np.float32)
    models = {
        "club": (CLUBModel(8, hidden_units=(8, 8), adversary_units=(8,)), {"features": x8}),
        "club_dib": (CLUBModel.from_mode("deterministic_ib", 8, hidden_units=(8, 8),
                                         adversary_units=(8,)), {"features": x8}),
        "farcon": (FarconVAE(8, hidden_units=(8, 8)), {"features": x8, "sensitive": s}),
        "invariant": (InvariantBottleneck(2, hidden_units=(8, 8), adversary_units=(8,)),
                      {"features": x2}),
        "vsd": (MultiViewVSD((8, 8), 4, hidden_units=(8, 8)), {"view1": x8, "view2": -x8}),
        "ctrl": (CTRL(8, 3, latent_dim=4, hidden_units=(8,)), {"features": x8}),
    }
    paths, want = {}, {}
    for name, (model, inputs) in models.items():
        model.build()
        paths[name] = export(model, str(tmp_path), name)
        np.savez(paths[name] + ".npz", **inputs)
        serve = model.serving_signatures()["serving_default"]
        want[name] = {k: v.numpy() for k, v in serve(**inputs).items()}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""}
    result = subprocess.run([sys.executable, "-c", FRESH, json.dumps(paths)],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path),
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out.pop("ibtf_imported") is False
    for name, outputs in want.items():
        assert sorted(out[name]) == sorted(outputs), name
        for key, value in outputs.items():
            np.testing.assert_allclose(out[name][key], value, rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name}/{key}")
