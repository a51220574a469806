"""Loads an export in a fresh Python process that does not import ibtf, and runs a signature."""
import json
import os
import subprocess
import sys

import numpy as np

FRESH = r"""
import json, sys
import numpy as np
import tensorflow as tf
path, inputs, signature = sys.argv[1], sys.argv[2], sys.argv[3]
loaded = tf.saved_model.load(path)
arrays = dict(np.load(inputs))
out = loaded.signatures[signature](**{k: tf.constant(v) for k, v in arrays.items()})
print(json.dumps({"ibtf_imported": "ibtf" in sys.modules,
                  "signatures": sorted(loaded.signatures.keys()),
                  "outputs": {k: v.numpy().tolist() for k, v in out.items()}}))
"""


def run_export(path, tmp_path, signature="serving_default", **inputs):
    """Runs ``signature`` of the export at ``path`` on ``inputs`` in a clean process."""
    npz = os.path.join(str(tmp_path), "inputs.npz")
    np.savez(npz, **{k: np.asarray(v, np.float32) for k, v in inputs.items()})
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""}
    result = subprocess.run([sys.executable, "-c", FRESH, path, npz, signature],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path),
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["ibtf_imported"] is False
    return out
