"""A figure of conditional generations: inputs of one modality and each model's output."""
import numpy as np

__all__ = ["plot_generations"]


def plot_generations(path, models, inputs, directions, image_shape=(8, 8)):
    """Writes a PNG grid: per direction (s, t), a row of the inputs of s, then one row per model
    of the t images it generates from them. Columns are the examples.

    Args:
      path: the PNG to write.
      models: sequence of (name, model) with ``model.generate({s: x_s}, t)``.
      inputs: dict modality name -> array [N, ...] of the examples to show.
      directions: sequence of (source, target) modality names.
      image_shape: how one example is drawn.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = []
    for source, target in directions:
        panels.append((f"input {source}", inputs[source]))
        panels += [(f"{name}: {source}->{target}",
                    np.asarray(model.generate({source: inputs[source]}, target)))
                   for name, model in models]
    columns = len(panels[0][1])
    fig, axes = plt.subplots(len(panels), columns, squeeze=False,
                             figsize=(columns * 0.8, len(panels) * 0.85))
    for r, (title, images) in enumerate(panels):
        for c in range(columns):
            ax = axes[r, c]
            ax.imshow(np.reshape(images[c], image_shape), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
