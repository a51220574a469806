import numpy as np
import pytest

from ibtf.data.procedural_shapes import ProceduralShapes
from ibtf.metrics.disentanglement import factor_vae_score, linear_probe_accuracy


class FactorsAsObservations:
    """Observations are the factors themselves, so representations are known exactly."""
    factor_sizes = (3, 4, 5, 6)

    def sample_factors(self, n, rng):
        return np.stack([rng.integers(0, k, size=n) for k in self.factor_sizes], axis=1)

    def images(self, factors):
        return factors.astype(np.float64)


def test_identity_representation_scores_at_least_0_9():
    score = factor_vae_score(lambda x: x, FactorsAsObservations(), num_train=300, num_eval=200)
    assert score.eval_accuracy >= 0.9 and score.active_dims == 4


def test_constant_representation_scores_at_most_0_2():
    score = factor_vae_score(lambda x: np.zeros((len(x), 6)), FactorsAsObservations(),
                             num_train=300, num_eval=200)
    assert score.eval_accuracy <= 0.2


def test_noise_representation_scores_near_chance():
    rng = np.random.default_rng(0)
    score = factor_vae_score(lambda x: rng.normal(size=(len(x), 4)), FactorsAsObservations(),
                             num_train=400, num_eval=400)
    assert score.eval_accuracy < 0.45           # chance for 4 factors is 0.25


def test_scaled_and_permuted_identity_still_scores_1():
    # The metric divides by the global scale and lets the classifier learn the permutation
    # (scales above the prune threshold: a dimension with std < 0.05 counts as collapsed).
    scores = factor_vae_score(lambda x: x[:, ::-1] * np.array([100.0, 0.1, 3.0, 1.0]),
                              FactorsAsObservations(), num_train=300, num_eval=200)
    assert scores.eval_accuracy >= 0.9 and scores.active_dims == 4


def test_collapsed_dimensions_are_pruned_before_the_vote():
    # Identity plus 6 collapsed units (std 0.01 noise, like posterior means stuck at the prior):
    # normalised by their own tiny std they would be unit noise and steal votes.
    rng = np.random.default_rng(1)

    def with_collapsed(x):
        return np.concatenate([x, 0.01 * rng.normal(size=(len(x), 6))], axis=1)

    pruned = factor_vae_score(with_collapsed, FactorsAsObservations(), num_train=300,
                              num_eval=200)
    kept = factor_vae_score(with_collapsed, FactorsAsObservations(), num_train=300,
                            num_eval=200, prune_std=0.0)
    assert pruned.active_dims == 4 and pruned.eval_accuracy >= 0.9
    assert kept.active_dims == 10
    with pytest.raises(ValueError, match="prune_std"):
        factor_vae_score(with_collapsed, FactorsAsObservations(), prune_std=-1.0)


def test_entangled_rotation_scores_lower_than_identity():
    angle = np.pi / 4
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])

    def mixed(x):
        x = (x - x.mean(0)) / x.std(0)
        return np.concatenate([x[:, :2] @ rotation, x[:, 2:]], axis=1)
    score = factor_vae_score(mixed, FactorsAsObservations(), num_train=400, num_eval=400)
    assert score.eval_accuracy < 0.85


def test_score_on_procedural_shapes_runs_with_pixels():
    data = ProceduralShapes(image_size=16, num_positions=4)
    score = factor_vae_score(lambda x: x.reshape(len(x), -1)[:, ::37], data, num_train=50,
                             num_eval=50, num_variance_estimate=200)
    assert 0.0 <= score.eval_accuracy <= 1.0


def test_bad_represent_output_is_a_clear_error():
    with pytest.raises(ValueError, match="represent must map"):
        factor_vae_score(lambda x: np.zeros(len(x)), FactorsAsObservations())


def test_linear_probe_identity_and_noise():
    data = FactorsAsObservations()
    factors = data.sample_factors(3000, np.random.default_rng(0))
    onehots = np.concatenate([np.eye(k)[factors[:, i]] for i, k in
                              enumerate(data.factor_sizes)], axis=1)
    assert linear_probe_accuracy(onehots, factors)[0] > 0.99
    noise = np.random.default_rng(1).normal(size=(3000, 8))
    assert linear_probe_accuracy(noise, factors)[0] < 0.35


class DSpritesSizedFactors(FactorsAsObservations):
    """dSprites' factor sizes (shape 3, scale 6, orientation 40, x 32, y 32)."""
    factor_sizes = (3, 6, 40, 32, 32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_code_missing_one_of_five_factors_scores_the_ceiling_four_fifths(seed):
    # Truth from the metric's definition, not from the code: a code holding 4 of F = 5 factors
    # exactly and nothing of the first (dSprites' shape) gets every vote for the 4 right
    # (variance 0 in their own dimension) and every vote for the missing factor wrong (its
    # votes land on dimensions the majority assigns to the other factors): expected accuracy
    # (F - 1) / F = 0.8, binomial sd sqrt(0.16 / 500) = 0.018 over 500 eval votes.
    # Measured seeds 0, 1, 2: 0.792, 0.814, 0.836. So ">= 0.8" on dSprites-like data can only
    # be met by a code that holds some of the shape factor (Kim & Mnih report 0.82).
    score = factor_vae_score(lambda x: x[:, 1:], DSpritesSizedFactors(), num_train=800,
                             num_eval=500, seed=seed)
    assert score.active_dims == 4
    assert abs(score.eval_accuracy - 0.8) <= 0.06


def test_active_noise_dimensions_collect_the_missing_factor_votes():
    # The same code plus 6 active N(0, 1) dimensions: the missing factor's votes now also land
    # on dimensions no other factor wins, the majority vote assigns those to it, and the score
    # rises above (F - 1) / F: at least 0.8 + 0.2 * 6 / 10 = 0.92 if its votes spread
    # uniformly; Gaussian noise's sample variance spreads more than a discrete factor's, so it
    # wins the argmin more often (measured 0.964-0.970 over seeds 0-2). Collapsed units
    # (posterior means at the prior) are pruned and cannot do this.
    rng = np.random.default_rng(7)
    score = factor_vae_score(
        lambda x: np.concatenate([x[:, 1:], rng.normal(size=(len(x), 6))], axis=1),
        DSpritesSizedFactors(), num_train=800, num_eval=500, seed=0)
    assert score.active_dims == 10 and score.eval_accuracy >= 0.9


def test_per_factor_accuracy_names_the_missing_factor():
    # The code without factor 0: every one of its votes is wrong, every other factor's right.
    score = factor_vae_score(lambda x: x[:, 1:], DSpritesSizedFactors(), num_train=800,
                             num_eval=500, seed=0)
    assert score.per_factor[0] == 0.0 and np.all(score.per_factor[1:] == 1.0)


def test_true_factors_read_back_from_the_pixels_score_one():
    # Truth from the generator, not a model: every image of the zoo check's family is distinct,
    # so an encoder that looks the image up recovers its factor vector exactly: the ceiling 1.
    data = ProceduralShapes(image_size=24, num_positions=10)
    factors = data.all_factors()
    table = {image.tobytes(): f for image, f in zip(data.images(factors), factors)}
    assert len(table) == len(factors)                      # no two factor vectors alias

    def lookup(images):
        return np.array([table[image.tobytes()] for image in images], np.float64)
    score = factor_vae_score(lookup, data, num_train=400, num_eval=300, seed=0)
    assert score.eval_accuracy == 1.0 and score.active_dims == 5


def test_symmetric_shapes_lower_the_ceiling_on_the_dsprites_grid():
    # dSprites draws a square and an ellipse over a full turn: a perfect encoder knows their
    # orientation only modulo a quarter / half turn, so orientation votes with the fixed value
    # >= 10 see three different codes and often lose the argmin. Ceiling measured 0.912-0.920
    # (seeds 0-2), i.e. below 1 for a perfect model; the check's family avoids it (quarter turn
    # of elongated shapes).
    periods = np.array([10, 20, 40])           # square, ellipse, heart (40 steps per turn)

    def identifiable(f):
        f = f.astype(np.int64)
        f[:, 2] %= periods[f[:, 0]]
        return f.astype(np.float64)
    score = factor_vae_score(identifiable, DSpritesSizedFactors(), num_train=800, num_eval=500,
                             seed=0)
    assert 0.85 <= score.eval_accuracy <= 0.96
    assert score.per_factor[2] < 0.8 and np.all(np.delete(score.per_factor, 2) == 1.0)


def test_factor_shares_of_pure_mixed_and_noise_units():
    from ibtf.metrics.disentanglement import factor_shares
    factors = DSpritesSizedFactors().sample_factors(20_000, np.random.default_rng(0))
    x, y = factors[:, 3].astype(float), factors[:, 4].astype(float)
    noise = np.random.default_rng(1).normal(size=len(x))
    shares = factor_shares(np.stack([x, x + y, noise], 1), factors)
    assert shares[0, 3] > 0.999 and shares[0, [0, 1, 2, 4]].max() < 0.01
    assert abs(shares[1, 3] - 0.5) < 0.03 and abs(shares[1, 4] - 0.5) < 0.03   # equal halves
    assert shares[2].max() < 0.01


def test_table_of_codes_gives_the_same_score_as_representing_every_vote():
    # A deterministic representation of a finite family: representing each distinct image once
    # and looking the codes up must give exactly the votes of representing every draw.
    data = ProceduralShapes(image_size=16, num_positions=4)
    weights = np.random.default_rng(3).normal(size=(256, 6))
    calls = []

    def represent(x):
        calls.append(len(x))
        return np.tanh(x.reshape(len(x), -1) @ weights)
    direct = factor_vae_score(represent, data, num_train=60, num_eval=40,
                              num_variance_estimate=300, seed=5)
    direct_calls, calls[:] = sum(calls), []
    looked_up = factor_vae_score(represent, data, num_train=60, num_eval=40,
                                 num_variance_estimate=300, seed=5, table=True)
    assert sum(calls) == len(data) < direct_calls
    assert looked_up.eval_accuracy == direct.eval_accuracy
    np.testing.assert_array_equal(looked_up.votes, direct.votes)
    with pytest.raises(ValueError, match="all_factors"):
        factor_vae_score(lambda x: x, FactorsAsObservations(), table=True)
