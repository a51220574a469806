"""Can any encoder read orientation and shape from the FactorVAE check's images?

`python -m benchmarks.zoo_factorvae_readable [--epochs E] [--seed N] [--image-size S]
[--positions P]` trains, with labels, the FactorVAE check's convolutional encoder
(``zoo_checks.FACTORVAE_NETWORKS``: 4x4 stride-2 convolutions 32, 32, 64, dense 128) with two
heads on a random 70 % of the procedural shapes and scores the other 30 %:

- a 3-way shape classifier (chance 1/3),
- a regressor of the orientation as (cos 2 theta, sin 2 theta) (the rectangle and ellipse repeat
  every half turn, so 2 theta is what the pixels can determine; the check spans a quarter turn,
  so these points are distinct), scored by the accuracy of the nearest of the grid's angles
  (chance 1 / num_orientations) and by its R^2.

Both accuracies are reported per scale and per shape: a factor that a supervised conv net cannot
read from held-out images cannot be asked of an unsupervised one, and would be a defect of the
data (sprites too small, symmetries), not of the model.

The other direction: the check's convolutional decoder, fed the true factors (shape one-hot,
scale, cos 2 theta, sin 2 theta, x, y), is trained on the same 70 % to reconstruct the images
(Bernoulli, nats), and scored on the held-out 30 %, with all factors and with orientation or
shape left out. The difference is what writing that factor is worth to this decoder, against
the floor (the Bernoulli entropy of the anti-aliased pixels). Prints one JSON line.
"""
import argparse
import json
import time

import numpy as np


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30, help="training epochs")
    parser.add_argument("--seed", type=int, default=0, help="random seed (split and weights)")
    parser.add_argument("--image-size", type=int, default=24, help="image side in pixels")
    parser.add_argument("--positions", type=int, default=10, help="x and y positions")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        raise ValueError("--epochs must be >= 1")
    from ibtf._keras import keras, tf
    from ibtf.data.procedural_shapes import ProceduralShapes
    from ibtf.models.disentangle import zoo_checks
    from ibtf.models.disentangle.factorvae import conv_decoder, conv_encoder

    data = ProceduralShapes(image_size=args.image_size, num_positions=args.positions)
    images, factors = data.dataset()
    angles = data.factor_values(factors)[2]
    target = np.stack([np.cos(2 * angles), np.sin(2 * angles)], 1).astype(np.float32)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(images))
    test, train = order[:len(order) * 3 // 10], order[len(order) * 3 // 10:]

    tf.random.set_seed(args.seed)
    net = zoo_checks.FACTORVAE_NETWORKS
    inputs = keras.Input(data.image_shape)
    features = conv_encoder(net["conv_filters"], net["hidden_units"], args.seed,
                            "encoder")(inputs)
    shape_logits = keras.layers.Dense(3, name="shape")(features)
    orientation = keras.layers.Dense(2, name="orientation")(features)
    model = keras.Model(inputs, [shape_logits, orientation])
    model.compile(keras.optimizers.Adam(1e-3),
                  loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True), "mse"])
    start = time.perf_counter()
    model.fit(images[train], [factors[train, 0], target[train]], batch_size=64,
              epochs=args.epochs, verbose=0)
    seconds = time.perf_counter() - start

    logits, predicted = model.predict(images[test], batch_size=512, verbose=0)
    shape_right = np.argmax(logits, 1) == factors[test, 0]
    grid = np.arange(data.num_orientations) * (0.5 * np.pi / data.num_orientations)
    grid_points = np.stack([np.cos(2 * grid), np.sin(2 * grid)], 1)
    nearest = np.argmin(((predicted[:, None, :] - grid_points[None]) ** 2).sum(-1), 1)
    orient_right = nearest == factors[test, 2]
    r2 = 1 - ((predicted - target[test]) ** 2).sum() / \
        ((target[test] - target[test].mean(0)) ** 2).sum()

    def decoder_nats(drop):
        """Held-out reconstruction (nats) of the check's decoder from the true factors."""
        shape_id, half, angle, x, y = data.factor_values(factors)
        columns = {"shape": np.eye(3)[shape_id], "scale": half[:, None],
                   "orientation": np.stack([np.cos(2 * angle), np.sin(2 * angle)], 1),
                   "x": x[:, None], "y": y[:, None]}
        inputs = np.concatenate([v for k, v in columns.items() if k != drop], 1)
        inputs = ((inputs - inputs.mean(0)) / (inputs.std(0) + 1e-9)).astype(np.float32)
        tf.random.set_seed(args.seed)
        decoder = conv_decoder(net["conv_filters"], net["hidden_units"][::-1], data.image_shape,
                               args.seed + 100, "decoder")
        decoder.compile(keras.optimizers.Adam(1e-3),
                        loss=keras.losses.BinaryCrossentropy(from_logits=True))
        decoder.fit(inputs[train], images[train], batch_size=64, epochs=args.epochs, verbose=0)
        logits = decoder.predict(inputs[test], batch_size=512, verbose=0)
        ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=images[test], logits=logits)
        return round(float(tf.reduce_mean(tf.reduce_sum(ce, [1, 2, 3]))), 2)

    clipped = np.clip(images[test], 1e-7, 1 - 1e-7)
    floor = float(-(clipped * np.log(clipped) + (1 - clipped) * np.log(1 - clipped))
                  .sum((1, 2, 3)).mean())
    decoder = {"all factors": decoder_nats(None), "without orientation":
               decoder_nats("orientation"), "without shape": decoder_nats("shape"),
               "floor": round(floor, 2)}

    def by(column, right, size):
        return [round(float(right[factors[test, column] == v].mean()), 3) for v in range(size)]

    print(json.dumps({
        "image_size": args.image_size, "positions": args.positions, "epochs": args.epochs,
        "seed": args.seed, "train_images": len(train), "test_images": len(test),
        "shape_accuracy": round(float(shape_right.mean()), 3), "shape_chance": 0.333,
        "shape_accuracy_by_scale": by(1, shape_right, data.num_scales),
        "orientation_accuracy": round(float(orient_right.mean()), 3),
        "orientation_chance": round(1 / data.num_orientations, 3),
        "orientation_r2": round(float(r2), 3),
        "orientation_accuracy_by_scale": by(1, orient_right, data.num_scales),
        "orientation_accuracy_by_shape": by(0, orient_right, 3),
        "classifier_train_seconds": round(seconds, 1),
        "decoder_heldout_recon_nats": decoder}))


if __name__ == "__main__":
    main()
