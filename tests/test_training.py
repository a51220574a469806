"""Every trainer takes a strategy, a checkpoint directory and stops at a non-finite loss:
`ibtf.training.fit_model` (VIB, CEB, multimodal VAEs), `fit_teb`, `train_codec`."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from ibtf._keras import keras
from ibtf.models import CEBClassifier, VIBClassifier
from ibtf.resume import NonFiniteLossError
from ibtf.training import fit_model


class Poison(keras.callbacks.Callback):
    """Sets every trainable weight to NaN before the ``at``-th training step (1-based)."""

    def __init__(self, at):
        super().__init__()
        self.at, self.seen = at, 0

    def on_train_batch_begin(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.at:
            for variable in self.model.trainable_variables:
                variable.assign(variable * np.nan)


def _digits(n=400):
    data = load_digits()
    return (data.data[:n] / 16).astype("float32"), data.target[:n]


@pytest.mark.parametrize("cls", [VIBClassifier, CEBClassifier])
def test_fit_model_trains_vib_and_ceb_and_resumes_from_its_checkpoint_dir(cls, tmp_path):
    x, y = _digits()
    model, history = fit_model(lambda: cls(num_classes=10, latent_dim=8, hidden_units=(32,),
                                           seed=0), x, y, strategy="default",
                               checkpoint_dir=str(tmp_path / "ck"), checkpoint_every=3,
                               epochs=3, batch_size=50, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 3 * 8      # global batch 50: 8 steps
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not (tmp_path / "ck" / "chief").exists()            # removed after a finished run


@pytest.mark.parametrize("cls", [VIBClassifier, CEBClassifier])
def test_fit_model_stops_at_a_nan_loss_with_the_last_good_weights(cls):
    x, y = _digits(200)
    built = []

    def build():
        built.append(cls(num_classes=10, latent_dim=8, hidden_units=(32,), seed=0))
        return built[-1]

    with pytest.raises(NonFiniteLossError, match="at training step 4 .*after step 3 restored"):
        fit_model(build, x, y, epochs=2, batch_size=50, verbose=0, callbacks=[Poison(4)])
    assert all(np.isfinite(w).all() for w in built[0].get_weights())


def test_fit_model_rejects_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="build must be a callable"):
        fit_model(VIBClassifier(num_classes=3), np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="strategy='tpu' is not one of"):
        fit_model(lambda: None, strategy="tpu")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        fit_model(lambda: None, checkpoint_dir=str(tmp_path / "file"))


def test_fit_teb_stops_at_a_nan_loss_naming_the_step():
    from ibtf.data import coupled_ar
    from ibtf.models.teb.fit import fit_teb
    from ibtf.streams import PairedStreams

    sim = coupled_ar(300, coupling=1.0, target_ar=0.5, seed=0)
    streams = PairedStreams(sim.frame, time_col="t", source_cols=["x"], target_cols=["y"],
                            history=3, horizon=1)
    with pytest.raises(NonFiniteLossError, match="at training step 4 .*after step 3 restored"):
        fit_teb(streams, epochs=2, batch_size=32, hidden_units=(8,), context_units=4,
                latent_dim=2,
                callbacks=[Poison(4)])
