import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.models import VIBClassifier
from ibtf.serving import describe_export, export, list_versions

FRESH_PROCESS = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorflow as tf
    loaded = tf.saved_model.load(sys.argv[1])
    fn = loaded.signatures["serving_default"]
    x = np.load(sys.argv[2])
    out = {k: v.numpy().tolist() for k, v in fn(features=tf.constant(x)).items()}
    out["ibtf_imported"] = any(m == "ibtf" or m.startswith("ibtf.") for m in sys.modules)
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def trained_vib():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int32)
    model = VIBClassifier(num_classes=2, latent_dim=4, hidden_units=(16,), beta=1e-2, seed=1)
    model.compile(keras.optimizers.Adam(1e-2))
    model.fit(x, y, epochs=3, verbose=0)
    return model, x


def test_export_loads_in_a_fresh_process_without_ibtf_and_matches(tmp_path, trained_vib):
    model, x = trained_vib
    path = export(model, str(tmp_path), "vib")
    assert path == os.path.join(str(tmp_path), "vib", "1")
    np.save(tmp_path / "x.npy", x[:20])
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ""}
    result = subprocess.run([sys.executable, "-c", FRESH_PROCESS, path, str(tmp_path / "x.npy")],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path),
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["ibtf_imported"] is False
    np.testing.assert_allclose(out["probabilities"], model.predict(x[:20], verbose=0),
                               atol=1e-5)
    assert out["class_ids"] == model.predict(x[:20], verbose=0).argmax(-1).tolist()
    assert np.all(np.asarray(out["rate_nats"]) >= 0)


def test_versions_increment_and_are_never_overwritten(tmp_path, trained_vib):
    model, _ = trained_vib
    first = export(model, str(tmp_path), "vib")
    second = export(model, str(tmp_path), "vib")
    assert [os.path.basename(first), os.path.basename(second)] == ["1", "2"]
    assert list_versions(os.path.join(str(tmp_path), "vib")) == [1, 2]
    stamp = os.path.getmtime(os.path.join(first, "saved_model.pb"))
    with pytest.raises(FileExistsError, match="never overwritten"):
        export(model, str(tmp_path), "vib", version=1)
    assert os.path.getmtime(os.path.join(first, "saved_model.pb")) == stamp
    assert export(model, str(tmp_path), "vib", version=7).endswith("7")
    info = describe_export(os.path.join(str(tmp_path), "vib"))  # the newest version
    assert info["path"].endswith("7")
    sig = info["signatures"]["serving_default"]
    assert sig["inputs"] == {"features": {"dtype": "float32", "shape": [None, 6]}}
    assert sig["outputs"]["probabilities"] == {"dtype": "float32", "shape": [None, 2]}
    assert info["metadata"]["model_class"] == "VIBClassifier"


def test_a_failed_export_leaves_nothing_behind(tmp_path, trained_vib):
    model, _ = trained_vib

    @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32, name="features")])
    def broken(features):
        raise RuntimeError("boom while tracing")

    with pytest.raises(RuntimeError, match="boom"):
        export(model, str(tmp_path), "vib", signatures={"serving_default": broken})
    assert os.listdir(os.path.join(str(tmp_path), "vib")) == []


def test_bad_export_arguments(tmp_path, trained_vib):
    model, _ = trained_vib
    with pytest.raises(ValueError, match="not a valid model name"):
        export(model, str(tmp_path), "../escape")
    with pytest.raises(ValueError, match="positive integer"):
        export(model, str(tmp_path), "vib", version=0)
    with pytest.raises(ValueError, match="serving_default"):
        export(model, str(tmp_path), "vib", signatures={"other": model.serving_signatures()[
            "serving_default"]})
    with pytest.raises(TypeError, match="input_signature"):
        export(model, str(tmp_path), "vib",
               signatures={"serving_default": tf.function(lambda features: features)})
    with pytest.raises(ValueError, match="not built"):
        export(VIBClassifier(num_classes=2), str(tmp_path), "unbuilt")


def test_warmup_requests_replay_through_the_export(tmp_path, trained_vib):
    from ibtf.serving import read_warmup_requests
    model, x = trained_vib
    path = export(model, str(tmp_path), "vib", warmup_inputs={"features": x[:3]})
    [(signature, inputs)] = read_warmup_requests(path)
    assert signature == "serving_default"
    np.testing.assert_array_equal(inputs["features"], x[:3])
    loaded = tf.saved_model.load(path)
    out = loaded.signatures[signature](features=tf.constant(inputs["features"]))
    np.testing.assert_allclose(out["probabilities"].numpy(), model.predict(x[:3], verbose=0),
                               atol=1e-5)
    with pytest.raises(ValueError, match="warmup_inputs do not fit serving_default"):
        export(model, str(tmp_path), "vib", warmup_inputs={"features": x[:3, :4]})
    assert list_versions(os.path.join(str(tmp_path), "vib")) == [1]
