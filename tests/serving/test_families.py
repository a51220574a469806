"""Every model family through `package` + `check` + the REST API: CEB, TEB, a multimodal VAE
and a codec's transforms (tiny models, a few steps: this tests the deployment path)."""
import functools
import os

import numpy as np
import pytest

from ibtf._keras import keras, tf
from ibtf.serving import export
from ibtf.serving.client import predict as rest_predict
from ibtf.serving.repository import check, package

# Trains four small families and loads each export in a fresh process: minutes on a shared
# 2-core machine, so the slow suite runs it (.ci/run runs the slow serving tests).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("exports"))
    rng = np.random.default_rng(0)
    out = {"base": base}

    from ibtf.models import CEBClassifier
    x = rng.normal(size=(128, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    ceb = CEBClassifier(num_classes=2, latent_dim=3, hidden_units=(8,), seed=0)
    ceb.compile(keras.optimizers.Adam(1e-2))
    ceb.fit(x, y, epochs=2, verbose=0)
    export(ceb, base, "ceb", warmup_inputs={"features": x[:4]})
    out["ceb"] = (ceb.predict(x[:3], verbose=0), {"features": x[:3]})

    from ibtf.data import coupled_ar
    from ibtf.models.teb.export import export_teb
    from ibtf.models.teb.fit import fit_teb
    from ibtf.streams import PairedStreams
    sim = coupled_ar(600, coupling=1.0, target_ar=0.5, seed=1)
    streams = PairedStreams(sim.frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=3, horizon=1)
    fit = fit_teb(streams, epochs=2, seed=0, hidden_units=(8,), context_units=4, latent_dim=2)
    export_teb(fit, base, "teb")
    windows = {"source_history": rng.normal(size=(2, 3, 1)).astype(np.float32),
               "target_history": rng.normal(size=(2, 3, 1)).astype(np.float32)}
    out["teb"] = windows

    from ibtf.models.multimodal import MVAE, Modality
    mods = [Modality((6,), name="a", hidden_units=(8,), seed=1),
            Modality((5,), likelihood="bernoulli", name="b", hidden_units=(8,), seed=2)]
    mvae = MVAE(mods, latent_dim=2, seed=0)
    data = {"a": rng.normal(size=(64, 6)).astype(np.float32),
            "b": rng.uniform(size=(64, 5)).round().astype(np.float32)}
    mvae.compile(keras.optimizers.Adam(1e-2))
    mvae.fit(data, epochs=1, batch_size=32, verbose=0)
    export(mvae, base, "mvae")
    out["mvae"] = (mvae, data)

    from ibtf.models.codecs import FactorizedPriorCodec
    from ibtf.models.codecs.export import export_codec, export_transforms
    yy, xx = np.mgrid[0:16, 0:16] / 16.0
    images = np.stack([np.exp(-((xx - c) ** 2 + (yy - c) ** 2) / 0.1)
                       for c in np.linspace(0.2, 0.8, 16)])[..., None].astype(np.float32)
    codec = FactorizedPriorCodec(channels=1, filters=8, stages=2, lambda_d=200.0, seed=3)
    codec.compile(keras.optimizers.Adam(3e-3), jit_compile=False)
    codec.fit(images, epochs=1, batch_size=8, verbose=0)
    export_transforms(codec, base, "codec_transforms")
    export_codec(codec, base, "codec_full")
    out["codec"] = (codec, images)
    return out


@pytest.fixture(scope="module")
def repo(exports, tmp_path_factory):
    base = exports["base"]
    path = str(tmp_path_factory.mktemp("repo"))
    package([os.path.join(base, name) for name in ("ceb", "teb", "mvae", "codec_transforms")],
            path)
    return path


def test_every_family_passes_check_without_ibtf(repo):
    report = check(repo, repeats=5)
    assert report["ok"], {k: v["versions"] for k, v in report["models"].items()}
    signatures = {name: model["versions"][1]["signatures"]
                  for name, model in report["models"].items()}
    assert signatures["ceb"] == ["serving_default"]
    assert signatures["teb"] == ["serving_default"]
    assert signatures["mvae"] == ["generate_a_from_b", "generate_b_from_a", "sample_joint",
                                  "serving_default"]
    # entropy_tables takes no inputs, so it has no predict warm-up; the rest are replayed.
    assert signatures["codec_transforms"] == ["analyze", "serving_default", "synthesize"]
    for model in report["models"].values():
        assert model["versions"][1]["ibtf_imported"] is False
        assert 0 < model["p50_ms"] <= model["p99_ms"]


def test_the_full_codec_is_refused_for_stock_tf_serving(exports, tmp_path):
    with pytest.raises(ValueError, match="ops stock TF Serving lacks .*Entropy"):
        package([os.path.join(exports["base"], "codec_full")], str(tmp_path / "r"))
    assert not os.path.exists(tmp_path / "r" / "codec_full")


def test_every_family_answers_rest_requests_like_the_library(exports, repo, rest_server):
    url, _ = rest_server(repo)
    # The fixture server loads each SavedModel at its first request: on a loaded machine that
    # takes longer than the client's default 30 s wait.
    predict = functools.partial(rest_predict, timeout=600)
    probs, inputs = exports["ceb"]
    answer = predict(url, "ceb", inputs, fmt="row")
    np.testing.assert_allclose([r["probabilities"] for r in answer["predictions"]], probs,
                               atol=1e-5)

    teb = tf.saved_model.load(os.path.join(exports["base"], "teb", "1"))
    want = teb.signatures["serving_default"](**{k: tf.constant(v) for k, v in
                                                exports["teb"].items()})
    answer = predict(url, "teb", exports["teb"])["outputs"]
    for key in ("mean", "stddev", "transfer_nats"):
        np.testing.assert_allclose(answer[key], want[key].numpy(), rtol=1e-5, atol=1e-6)

    mvae, data = exports["mvae"]
    answer = predict(url, "mvae", {"a": data["a"][:4]}, signature="generate_b_from_a")
    np.testing.assert_allclose(answer["outputs"], mvae.generate({"a": data["a"][:4]}, "b"),
                               rtol=1e-5, atol=1e-6)     # one output: TF Serving omits its name

    codec, images = exports["codec"]
    pixels = (images[:2] * 255.0).round()
    latents = predict(url, "codec_transforms", {"image": pixels},
                      signature="analyze")["outputs"]["latents"]
    image = predict(url, "codec_transforms", {"latents": latents, "image_shape": [16, 16]},
                    signature="synthesize")["outputs"]
    # The served transforms decode to the codec's own 8-bit reconstruction (one level of
    # slack for float rounding at a .5 boundary).
    np.testing.assert_allclose(np.asarray(image) / 255.0, codec.reconstruct(images[:2]).numpy(),
                               atol=1.0 / 255 + 1e-6)
