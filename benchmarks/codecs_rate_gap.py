"""Where the training-time rate estimate and the evaluation estimate of a shipped codec part,
on the held-out photos.

Training estimate: -log2 of the noisy-latent density (y + u, z + u, u ~ U(-1/2, 1/2); the
objective's rate term). Evaluation estimate: -log2 P of the rounded latents under the coder's
discrete prior (what the range coder spends, to within its tables). For a latent that rounds
to 0 under a narrow predicted scale sigma the rounded cost is -log2 P(0) ~ 0, while the noisy
cost averages -log2 p(y + u) over a unit interval whose ends fall where the smoothed density
p is about 1/2 (Balle et al. 2018, sec. 2: the relaxation is exact only when p is flat on a
bin), so at low rates, where most latents are 0, the training estimate runs high. The table
splits the two estimates of y into latents rounded to 0 and the rest, plus z.

    python -m benchmarks.codecs_rate_gap [--qualities 1,2]
"""
import argparse
import json
import math



def split_bits(codec, images, seed=0):
    """Totals (bits) over ``images``: noisy and rounded y bits for latents rounded to 0 and
    for the rest, noisy and rounded z bits; and the count of each kind of latent."""
    import tensorflow_compression as tfc

    from ibtf._keras import tf
    from ibtf.models.codecs.base import edge_pad
    tf.random.set_seed(seed)
    main, side = codec._entropy_models(compression=False)
    totals = {}
    for image in images:
        x = edge_pad(tf.constant(image[None], tf.float32) / 255.0, codec.stride)
        y = codec.analysis(x)
        z = codec.hyper_analysis(tf.abs(y))
        # training estimate (as in _noisy_forward)
        z_tilde = codec._perturb(z)
        y_tilde = codec._perturb(y)
        noisy_y = -tfc.NoisyNormal(loc=0.0, scale=codec.scale_fn(
            codec._indexes(z_tilde))).log_prob(y_tilde) / math.log(2.0)
        noisy_z = -tf.reduce_sum(codec.hyperprior.log_prob(z_tilde)) / math.log(2.0)
        # evaluation estimate (as in _quantized_forward, per element)
        z_hat, rounded_z = side(z, training=False)
        indexes = tf.floor(codec._indexes(z_hat))
        y_hat = main.quantize(y)
        rounded_y = -tfc.NoisyNormal(loc=0.0, scale=codec.scale_fn(indexes)).log_prob(
            y_hat) / math.log(2.0)
        zero = tf.equal(y_hat, 0.0)
        parts = {"noisy_y_zero": tf.reduce_sum(tf.where(zero, noisy_y, 0.0)),
                 "noisy_y_rest": tf.reduce_sum(tf.where(zero, 0.0, noisy_y)),
                 "rounded_y_zero": tf.reduce_sum(tf.where(zero, rounded_y, 0.0)),
                 "rounded_y_rest": tf.reduce_sum(tf.where(zero, 0.0, rounded_y)),
                 "noisy_z": noisy_z, "rounded_z": tf.reduce_sum(rounded_z),
                 "zero_latents": tf.reduce_sum(tf.cast(zero, tf.float32)),
                 "latents": tf.cast(tf.size(y_hat), tf.float32)}
        for key, value in parts.items():
            totals[key] = totals.get(key, 0.0) + float(value)
    totals["pixels"] = sum(i.shape[0] * i.shape[1] for i in images)
    return totals


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks.codecs_rate_gap",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--qualities", default="1,2")
    args = parser.parse_args(argv)
    from ibtf.data.images import load_photo_split
    from ibtf.models.codecs.shipped import load_pretrained
    heldout = load_photo_split()[1]
    images = [heldout[n] for n in sorted(heldout)]
    print("| model | latents rounded to 0 | y, rounded to 0: training / evaluation bpp | "
          "y, other: training / evaluation bpp | z: training / evaluation bpp | "
          "total: training / evaluation bpp |")
    print("|---|---|---|---|---|---|")
    for quality in (int(q) for q in args.qualities.split(",")):
        t = split_bits(load_pretrained(quality), images)
        print(json.dumps({"model": f"q{quality}", **t}), flush=True)
        bpp = {k: v / t["pixels"] for k, v in t.items() if k not in ("pixels",)}
        noisy = bpp["noisy_y_zero"] + bpp["noisy_y_rest"] + bpp["noisy_z"]
        rounded = bpp["rounded_y_zero"] + bpp["rounded_y_rest"] + bpp["rounded_z"]
        print(f"| q{quality} | {100 * t['zero_latents'] / t['latents']:.1f} % | "
              f"{bpp['noisy_y_zero']:.4f} / {bpp['rounded_y_zero']:.4f} | "
              f"{bpp['noisy_y_rest']:.4f} / {bpp['rounded_y_rest']:.4f} | "
              f"{bpp['noisy_z']:.4f} / {bpp['rounded_z']:.4f} | "
              f"{noisy:.4f} / {rounded:.4f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
