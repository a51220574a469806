import numpy as np
import pytest

from ibtf.models.fair.zoo_checks import SWEEP_MODES, _club_config, club_sweep_passes
from ibtf.models.zoo.helpers import code_probes


def test_code_probes_read_a_planted_label_from_samples_and_means_and_miss_an_absent_one():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 1200)
    x = (2.0 * labels - 1.0)[:, None] + 0.3 * rng.standard_normal((1200, 2))
    draws = []

    def sample(rows, draw):               # noise on top of the mean, one draw per call
        draws.append(draw)
        return rows + 0.1 * np.random.default_rng(draw).standard_normal(rows.shape)

    on_samples, on_means = code_probes(sample, lambda rows: rows, x[:800], labels[:800],
                                       x[800:], labels[800:])
    assert draws == [0, 1]                # train and test codes come from different draws
    assert on_samples > 0.97 and on_means > 0.97
    unrelated = rng.integers(0, 2, 1200)
    chance = max(np.mean(unrelated[800:]), 1 - np.mean(unrelated[800:]))
    on_samples, _ = code_probes(sample, lambda rows: rows, x[:800], unrelated[:800], x[800:],
                                unrelated[800:])
    assert on_samples == pytest.approx(chance, abs=0.06)


def test_every_swept_configuration_carries_the_leakage_term():
    for mode in SWEEP_MODES:
        assert _club_config(mode)["leakage"] == "vclub", mode
    assert _club_config("ceb")["complexity"] == "conditional_kl"
    assert _club_config("conditional_pf")["conditional_leakage"] is True


@pytest.mark.parametrize("s_probe, u_acc, want", [
    (0.52, 0.92, (True, True)), (0.54, 0.92, (False, True)), (0.50, 0.89, (True, False))])
def test_sweep_pass_rule_reads_the_largest_lambda(s_probe, u_acc, want):
    result = {"base_rate": 0.5, "lambda_max": 3.0, "lambdas": {
        0.0: {"s_probe": 0.7, "u_acc": 0.93}, 1.0: {"s_probe": 0.9, "u_acc": 0.5},
        3.0: {"s_probe": s_probe, "u_acc": u_acc}}}
    assert club_sweep_passes(result) == want
