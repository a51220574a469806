import numpy as np
import pytest

from ibtf.models.multimodal.plots import plot_generations


class _Shift:
    """Stands in for a model: 'generates' the target by shifting the source image."""

    def __init__(self):
        self.calls = []

    def generate(self, inputs, target):
        (source, x), = inputs.items()
        self.calls.append((source, target, len(x)))
        return np.roll(x, 1, axis=-1)


def test_one_row_per_input_and_per_model_and_direction(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    rng = np.random.default_rng(0)
    inputs = {"a": rng.uniform(size=(5, 64)), "b": rng.uniform(size=(5, 64))}
    first, second = _Shift(), _Shift()
    path = tmp_path / "grid.png"
    plot_generations(path, [("one", first), ("two", second)], inputs, [("a", "b"), ("b", "a")])
    assert first.calls == second.calls == [("a", "b", 5), ("b", "a", 5)]
    image = matplotlib.image.imread(path)
    assert image.shape[1] > image.shape[0] * 0.5 and path.stat().st_size > 1000
