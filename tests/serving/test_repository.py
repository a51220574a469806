import json
import os
import numpy as np
import pytest
from google.protobuf import text_format

from ibtf._keras import keras, tf
from ibtf.cli.main import main
from ibtf.models import VIBClassifier
from ibtf.serving import export, read_warmup_requests
from ibtf.serving.client import predict, to_outputs
from ibtf.serving.repository import check, package, read_models_config, signature_specs


@pytest.fixture(scope="module")
def vib_exports(tmp_path_factory):
    """Two versions of a small VIB on a known rule: class = [x0 + x1 > 0]."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int32)
    model = VIBClassifier(num_classes=2, latent_dim=4, hidden_units=(16,), beta=1e-2, seed=1)
    model.compile(keras.optimizers.Adam(1e-2))
    model.fit(x, y, epochs=4, verbose=0)
    base = str(tmp_path_factory.mktemp("exports"))
    export(model, base, "vib", warmup_inputs={"features": x[:3]})
    export(model, base, "vib")     # no warm-up examples of its own: the package probes it
    return base, model, x, y


def test_package_writes_a_model_server_config_and_warmups(tmp_path, vib_exports):
    base, model, x, _ = vib_exports
    repo = str(tmp_path / "repo")
    report = package([os.path.join(base, "vib")], repo)
    assert sorted(os.listdir(repo)) == ["models.config", "vib"]
    assert sorted(os.listdir(os.path.join(repo, "vib"))) == ["1", "2"]
    # Re-read with TF Serving's own protos.
    config = read_models_config(repo)
    [entry] = config.model_config_list.config
    assert (entry.name, entry.base_path, entry.model_platform) == ("vib", "/models/vib",
                                                                   "tensorflow")
    assert list(entry.model_version_policy.specific.versions) == [1, 2]
    assert dict(entry.version_labels) == {"stable": 1, "canary": 2}
    from tensorflow_serving.config import model_server_config_pb2
    reparsed = text_format.Parse(open(os.path.join(repo, "models.config")).read(),
                                 model_server_config_pb2.ModelServerConfig())
    assert reparsed == config
    # Version 1 keeps the export's own example; version 2 gets a probe from its specs.
    [(sig, inputs)] = read_warmup_requests(os.path.join(repo, "vib", "1"))
    assert sig == "serving_default"
    np.testing.assert_array_equal(inputs["features"], x[:3])
    [(sig, inputs)] = read_warmup_requests(os.path.join(repo, "vib", "2"))
    assert sig == "serving_default" and inputs["features"].shape == (2, 6)
    assert report["models"]["vib"]["warmup"] == {1: ["serving_default"],
                                                 2: ["serving_default"]}
    # The export directories themselves are untouched.
    assert read_warmup_requests(os.path.join(base, "vib", "2")) == []
    assert signature_specs(os.path.join(repo, "vib", "1"))["serving_default"]["inputs"] == {
        "features": (np.float32, [None, 6])}


def test_check_replays_warmups_in_fresh_processes(tmp_path, vib_exports):
    base, *_ = vib_exports
    repo = str(tmp_path / "repo")
    package([os.path.join(base, "vib")], repo)
    report = check(repo, repeats=5)
    assert report["ok"], report
    vib = report["models"]["vib"]
    assert sorted(vib["versions"]) == [1, 2]
    for result in vib["versions"].values():
        assert result["ok"] and result["ibtf_imported"] is False
        assert result["signatures"] == ["serving_default"]
    assert vib["requests"] == 2
    assert 0 < vib["p50_ms"] <= vib["p99_ms"]


def test_check_fails_on_non_finite_outputs_and_missing_versions(tmp_path):
    class Broken(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
        def serve(self, x):
            return {"log": tf.math.log(x - 2.0)}     # NaN for inputs in [0, 1)

    module = Broken()
    base = str(tmp_path / "exports")
    export(module, base, "broken", signatures={"serving_default": module.serve})
    repo = str(tmp_path / "repo")
    package([os.path.join(base, "broken")], repo)
    report = check(repo, repeats=1)
    assert not report["ok"]
    assert "non-finite outputs: serving_default/log" in report["models"]["broken"][
        "versions"][1]["error"]
    config = read_models_config(repo)
    config.model_config_list.config[0].model_version_policy.specific.versions.append(5)
    from ibtf.serving.repository import write_models_config
    write_models_config(config, repo)
    assert "version 5" in check(repo, repeats=1)["models"]["broken"]["versions"][5]["error"]


def test_package_extends_a_repository_and_validates(tmp_path, vib_exports):
    base, *_ = vib_exports
    repo = str(tmp_path / "repo")
    package([os.path.join(base, "vib", "1")], repo, labels={"vib": {"stable": 1}})
    assert dict(read_models_config(repo).model_config_list.config[0].version_labels) == {
        "stable": 1}
    with pytest.raises(FileExistsError, match="never overwritten"):
        package([os.path.join(base, "vib", "1")], repo)
    report = package([f"other={os.path.join(base, 'vib', '2')}"], repo, policy="latest:1",
                     base_path="")
    config = read_models_config(repo)
    assert [e.name for e in config.model_config_list.config] == ["vib", "other"]
    other = config.model_config_list.config[1]
    assert other.model_version_policy.latest.num_versions == 1
    assert os.path.isabs(other.base_path) and dict(other.version_labels) == {"stable": 2}
    assert report["models"]["other"]["served"] == [2]
    with pytest.raises(ValueError, match="not served"):
        package([f"third={os.path.join(base, 'vib', '2')}"], repo, labels={"third": {"x": 1}})
    with pytest.raises(ValueError, match="policy"):
        package([os.path.join(base, "vib")], str(tmp_path / "r2"), policy="newest")
    with pytest.raises(FileNotFoundError, match="no numeric version"):
        package([str(tmp_path)], str(tmp_path / "r3"))
    with pytest.raises(ValueError, match="from two exports"):
        package([os.path.join(base, "vib"), os.path.join(base, "vib", "1")],
                str(tmp_path / "r4"))
    assert "third" not in [e.name for e in read_models_config(repo).model_config_list.config]


def test_rest_client_row_and_columnar_against_the_fixture(tmp_path, vib_exports, rest_server,
                                                          capsys):
    base, model, x, y = vib_exports
    repo = str(tmp_path / "repo")
    package([os.path.join(base, "vib")], repo)
    url, log = rest_server(repo)
    want = model.predict(x[:5], verbose=0)
    columnar = predict(url, "vib", {"features": x[:5]})
    assert set(columnar["outputs"]) == {"probabilities", "class_ids", "rate_nats"}
    np.testing.assert_allclose(columnar["outputs"]["probabilities"], want, atol=1e-5)
    rows = predict(url, "vib", {"features": x[:5]}, fmt="row", label="canary")
    assert len(rows["predictions"]) == 5
    assert [r["class_ids"] for r in rows["predictions"]] == want.argmax(-1).tolist()
    assert log[-1]["path"] == "/v1/models/vib/labels/canary:predict"
    assert log[-1]["body"] == {"instances": x[:5].tolist()}     # one input: a list of values
    np.testing.assert_allclose(to_outputs(rows)["probabilities"], want, atol=1e-5)
    predict(url, "vib", {"features": x[:1]}, version=1, signature="serving_default")
    assert log[-1]["path"] == "/v1/models/vib/versions/1:predict"
    assert log[-1]["body"]["signature_name"] == "serving_default"
    with pytest.raises(ValueError, match="HTTP 404: Servable not found"):
        predict(url, "nope", {"features": x[:1]})
    with pytest.raises(ValueError, match="HTTP 400: .*signature"):
        predict(url, "vib", {"features": x[:1]}, signature="missing")
    # The CLI on a CSV with NAME[i] headers: the last stdout line is the server's answer.
    header = ",".join(f"features[{i}]" for i in range(6))
    np.savetxt(tmp_path / "in.csv", x[:4], delimiter=",", header=header, comments="")
    assert main(["serving", "predict", "--url", url, "--model", "vib", "--input",
                 str(tmp_path / "in.csv"), "--format", "row"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    answer = json.loads(captured.out.strip().splitlines()[-1])
    assert [r["class_ids"] for r in answer["predictions"]] == want[:4].argmax(-1).tolist()


def test_cli_package_and_check(tmp_path, vib_exports, capsys):
    base, *_ = vib_exports
    repo = str(tmp_path / "repo")
    assert main(["serving", "package", os.path.join(base, "vib"), "--out", repo,
                 "--label", "vib:stable=2"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["models"]["vib"]["labels"] == {"stable": 2}
    assert main(["serving", "check", repo, "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert "vib: ok, 2 version(s), 2 warm-up request(s), p50" in out
    assert main(["serving", "package", os.path.join(base, "vib"), "--out", str(tmp_path / "x"),
                 "--label", "vib-stable"]) == 2
    assert "MODEL:LABEL=VERSION" in capsys.readouterr().err
