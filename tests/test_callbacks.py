import numpy as np
import pytest

from ibtf.callbacks import BetaSchedule
from ibtf.models import VIBClassifier


def test_schedule_values_follow_their_formulas():
    linear = BetaSchedule(2.0, "linear", warmup_steps=10, start=0.5)
    assert [linear.value(t) for t in (0, 5, 10, 50)] == [0.5, 1.25, 2.0, 2.0]
    cyclic = BetaSchedule(1.0, "cyclic", cycle_steps=8, ramp_fraction=0.5)
    values = [cyclic.value(t) for t in range(17)]
    np.testing.assert_allclose(values[:9], [0, .25, .5, .75, 1, 1, 1, 1, 0])
    assert values[12] == 1.0 and values[16] == 0.0
    assert BetaSchedule(0.3, "constant").value(1000) == 0.3
    delayed = BetaSchedule(4.0, "linear", warmup_steps=4, delay_steps=3)
    assert [delayed.value(t) for t in (0, 3, 5, 7, 100)] == [0.0, 0.0, 2.0, 4.0, 4.0]


def test_schedule_drives_the_model_beta_during_fit():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 3)).astype("float32"), rng.integers(0, 2, 64)
    model = VIBClassifier(num_classes=2, latent_dim=2, hidden_units=(4,), beta=0.0, seed=0)
    model.compile()
    seen = []

    class Record(BetaSchedule):
        def on_train_batch_begin(self, batch, logs=None):
            super().on_train_batch_begin(batch, logs)
            seen.append(self.model.beta)

    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0,
                        callbacks=[Record(0.8, "linear", warmup_steps=4)])
    np.testing.assert_allclose(seen, [0, .2, .4, .6, .8, .8, .8, .8], rtol=1e-6)
    assert history.history["beta"][-1] == pytest.approx(0.8)


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="schedule"):
        BetaSchedule(1.0, "exponential")
    with pytest.raises(ValueError, match="warmup_steps"):
        BetaSchedule(1.0, "linear", warmup_steps=0)
    with pytest.raises(ValueError, match="beta"):
        BetaSchedule(-1.0)
    with pytest.raises(ValueError, match="attribute"):
        BetaSchedule(1.0, attribute="")
    with pytest.raises(ValueError, match="delay_steps"):
        BetaSchedule(1.0, delay_steps=-1)
    assert BetaSchedule(1.0, attribute="gamma").get_config()["attribute"] == "gamma"
