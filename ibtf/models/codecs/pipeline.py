"""Train and evaluate codecs end to end: the library behind ``ibtf codec`` and the benchmarks.

Evaluation goes through real bitstreams: bpp is 8 * file size (header included) / pixels.
"""
import time

import numpy as np

from ibtf._keras import keras, tf
from ibtf.data import images as image_data
from ibtf.metrics.image import ms_ssim, psnr
from ibtf.models.codecs import bitstream, make_codec

__all__ = ["CodecData", "load_codec_data", "codec_kwargs", "train_codec", "evaluate_codec",
           "digits_classifier", "summarize", "split_files", "with_references",
           "DIR_HELDOUT_FRACTION", "rate_agreement"]

DIGITS_TEST_FRACTION = 0.3  # ibtf.losses.load_digits_split's default: the classifier's split
DIR_HELDOUT_FRACTION = 0.25  # of a directory's files (every 4th by sorted name) held out


class CodecData:
    """Training crops (uint8 [N, s, s, C]) and evaluation images (list of uint8 [H, W, C],
    names, optional labels) for one source."""

    def __init__(self, source, train, eval_images, eval_names, eval_labels=None,
                 train_labels=None, note=""):
        self.source = source
        self.train = train
        self.eval_images = eval_images
        self.eval_names = eval_names
        self.eval_labels = eval_labels
        self.train_labels = train_labels
        self.note = note

    @property
    def channels(self):
        return int(self.train.shape[-1])


def digits_split(seed=0):
    """The digits split of ``ibtf.losses.load_digits_split`` (stratified 70/30, split seed 0),
    the one the pretrained digits classifier trained on, as uint8 images. ``seed`` is unused:
    the split stays fixed so the classifier never sees a codec's test digits."""
    from ibtf.losses.classification import load_digits_split
    x_train, y_train, x_test, y_test = load_digits_split(DIGITS_TEST_FRACTION, split_seed=0)
    as_uint8 = lambda x: np.round(x * 255.0).astype(np.uint8)  # noqa: E731
    return (as_uint8(x_train), y_train), (as_uint8(x_test), y_test)


def split_files(names):
    """Splits sorted file names into (train, held_out): every 4th name (the 4th, 8th, ...)
    is held out, at least one; a single file cannot be split (ValueError)."""
    names = sorted(names)
    if len(names) < 2:
        raise ValueError(f"{len(names)} image file(s): a directory needs at least 2 images so "
                         "that evaluation runs on images the codec never trained on")
    step = round(1 / DIR_HELDOUT_FRACTION)
    held = [n for i, n in enumerate(names) if i % step == step - 1] or names[-1:]
    return [n for n in names if n not in held], held


def load_codec_data(source, patch=256, crops=128, seed=0, eval_limit=None):
    """``source``: "digits" (the classifier's 70/30 split), "photos" (the package photo split
    of ``ibtf.data.images.load_photo_split``: crops of 12 training photos, evaluation on 4
    other held-out photos) or a directory of PNG/JPEG files (every 4th file by name held out,
    ``split_files``). Evaluation never sees an image whose crops were trained on."""
    if source == "digits":
        (train, train_labels), (test, test_labels) = digits_split(seed)
        if eval_limit:
            test, test_labels = test[:eval_limit], test_labels[:eval_limit]
        return CodecData("digits", train, list(test), [f"digit_{i}" for i in range(len(test))],
                         test_labels, train_labels,
                         note=f"digits: {len(train)} train / {len(test)} held-out test")
    if source == "photos":
        train_photos, heldout = image_data.load_photo_split()
        train = image_data.random_crops([train_photos[n] for n in sorted(train_photos)],
                                        patch, crops, seed)
        names = sorted(heldout)[:eval_limit] if eval_limit else sorted(heldout)
        return CodecData("photos", train, [heldout[n] for n in names], names,
                         note=f"photos: trained on crops of {len(train_photos)} package "
                              f"photos, evaluated on {len(names)} held-out photos")
    files = dict(image_data.read_image_dir(source, channels=3))
    train_names, held_names = split_files(files)
    images = [files[n] for n in train_names]
    size = min(patch, *(min(a.shape[:2]) for a in images))
    train = image_data.random_crops(images, size, crops, seed)
    if eval_limit:
        held_names = held_names[:eval_limit]
    return CodecData(source, train, [files[n] for n in held_names], held_names,
                     note=f"{source}: trained on crops of {len(train_names)} files, evaluated "
                          f"on {len(held_names)} held-out files (every 4th by name)")


def codec_kwargs(data, model="hyperprior", filters=None):
    """Sizes for the data: 8x8 digits get 2 stages (and 1 hyper stage), photos 4 (and 2)."""
    small = min(data.train.shape[1:3]) < 32
    kwargs = {"channels": data.channels,
              "filters": filters or (32 if small else 64),
              "stages": 2 if small else 4}
    if model == "hyperprior":
        kwargs["hyper_stages"] = 1 if small else 2
    return kwargs


def train_codec(data, model="hyperprior", epochs=10, lambda_d=650.0, lambda_p=0.0,
                lambda_c=0.0, distortion="mse", seed=0, batch_size=16, filters=None,
                learning_rate=1e-3, verbose=0, jit_compile="auto", strategy="default",
                checkpoint_dir=None, checkpoint_every=None):
    """Builds and fits a codec on ``data.train``; returns (codec, history).

    ``strategy``: "default", "mirrored" or "multiworker" (`ibtf.distribute`); ``batch_size``
    is the global batch, and the replicas draw the single-device step's noise, so a mirrored
    run follows the single-device one (tested to 1e-5). ``checkpoint_dir`` makes the fit resumable
    (checkpoints every ``checkpoint_every`` steps, else every epoch; `ibtf.resume`); a NaN or
    Inf loss stops training with the last good weights either way."""
    from ibtf.distribute import get_strategy
    from ibtf.resume import training_callbacks

    strategy = get_strategy(strategy)
    tf.random.set_seed(seed)
    classifier = None
    if lambda_c > 0:
        if data.source != "digits":
            raise ValueError("lambda_c > 0 needs labelled images and a classifier: only "
                             "--data digits has them (the pretrained digits classifier)")
        classifier = "digits"
    with strategy.scope():
        codec = make_codec(model, lambda_d=lambda_d, lambda_p=lambda_p, lambda_c=lambda_c,
                           classifier=classifier, distortion=distortion, seed=seed,
                           **codec_kwargs(data, model, filters))
        codec.compile(keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    batch_size = min(batch_size, len(data.train))
    if classifier is not None:
        dataset = tf.data.Dataset.from_tensor_slices(
            (data.train.astype(np.float32) / 255.0, data.train_labels)).shuffle(
            len(data.train), seed=seed).batch(batch_size, drop_remainder=True)
    else:
        dataset = image_data.crop_dataset(data.train, batch_size, seed=seed)
    history = codec.fit(dataset, epochs=epochs, verbose=verbose,
                        callbacks=training_callbacks(checkpoint_dir, checkpoint_every))
    return codec, history


def digits_classifier(seed=0):
    """Images [N, 8, 8, 1] in [0, 1] -> predicted labels, from the frozen pretrained digits
    CNN (``ibtf.losses.pretrained_digits_classifier``, trained on the train split of
    ``digits_split``), so accuracy on held-out reconstructions measures what the codec kept
    of the class. ``seed`` seeds the classifier's training."""
    from ibtf.losses.classification import pretrained_digits_classifier
    model = pretrained_digits_classifier(seed=seed)
    return lambda images: np.argmax(model(np.asarray(images, np.float32),
                                          training=False).numpy(), axis=-1)


def evaluate_codec(codec, images, names=None, labels=None, classifier=None):
    """Per-image records through real bitstreams; ``codec`` is a CodecModel or LoadedCodec.

    Each record: name, height, width, bytes, bpp (file bytes), psnr (dB), ms_ssim,
    encode_ms, decode_ms (after one untimed warm-up that traces the coding functions), and
    ``correct`` when labels and a classifier are given.
    """
    records, reconstructions = [], []
    names = names or [f"image_{i}" for i in range(len(images))]
    if len(images):  # warm-up: trace the coding functions outside the timings
        first = bitstream.as_uint8_image(images[0], codec.channels, name=names[0])
        bitstream.decompress(codec, bitstream.compress(codec, first))
    for name, image in zip(names, images):
        image = bitstream.as_uint8_image(image, codec.channels, name=name)
        start = time.perf_counter()
        data = bitstream.compress(codec, image)
        encoded = time.perf_counter()
        decoded = bitstream.decompress(codec, data)
        decode_ms = 1000 * (time.perf_counter() - encoded)
        x = image[None].astype(np.float32) / 255.0
        y = decoded[None].astype(np.float32) / 255.0
        height, width = image.shape[:2]
        record = {"name": name, "height": height, "width": width, "bytes": len(data),
                  "bpp": 8.0 * len(data) / (height * width),
                  "psnr": float(psnr(x, y)[0]),
                  "ms_ssim": float(ms_ssim(x, y)[0]) if min(height, width) >= 3 else None,
                  "encode_ms": 1000 * (encoded - start), "decode_ms": decode_ms}
        records.append(record)
        reconstructions.append(y[0])
    if labels is not None and classifier is not None:
        predicted = classifier(np.stack(reconstructions))
        for record, label, guess in zip(records, labels, predicted):
            record["label"], record["correct"] = int(label), bool(int(guess) == int(label))
    return records


def rate_agreement(codec, images, header_bytes=True):
    """The three rates of a trained ``CodecModel`` on the same images, in bits per pixel:

    * ``training_estimate_bpp``: the training-time estimate (noisy latents, the objective's
      rate term; ``CodecModel.training_bits``),
    * ``estimate_bpp``: the evaluation estimate (information content of the quantized latents
      under the coder's prior; ``CodecModel.estimated_bits``),
    * ``file_bpp``: 8 * real file bytes / pixels (header included; ``payload_bpp`` without),

    and their ratios ``file_over_estimate`` (payload over the evaluation estimate) and
    ``training_over_estimate``. Totals over images (rates weighted by pixels).
    """
    pixels, noisy, estimated, payload, files = 0, 0.0, 0.0, 0, 0
    for image in images:
        image = bitstream.as_uint8_image(image, codec.channels)
        x = image[None].astype(np.float32) / 255.0
        noisy += float(codec.training_bits(x).numpy()[0])
        estimated += float(codec.estimated_bits(x).numpy()[0])
        data = bitstream.compress(codec, image)
        files += len(data)
        payload += len(data) - bitstream.header_size(codec.num_strings)
        pixels += image.shape[0] * image.shape[1]
    return {"training_estimate_bpp": noisy / pixels, "estimate_bpp": estimated / pixels,
            "payload_bpp": 8.0 * payload / pixels, "file_bpp": 8.0 * files / pixels,
            "file_over_estimate": 8.0 * payload / estimated,
            "training_over_estimate": noisy / estimated}


def with_references(summary, images, curves=None):
    """Adds JPEG's and WebP's PSNR (Pillow, same images) at the summary's bpp:
    ``jpeg_psnr_at_bpp``, ``webp_psnr_at_bpp`` (None outside their swept range) and the
    differences ``psnr_vs_jpeg_db``, ``psnr_vs_webp_db``."""
    from ibtf.models.codecs.reference import at_bpp, pillow_curve
    summary = dict(summary)
    for codec in ("jpeg", "webp"):
        curve = (curves or {}).get(codec) or pillow_curve(images, codec, with_ms_ssim=False)
        reference = at_bpp(curve, summary["bpp"])
        summary[f"{codec}_psnr_at_bpp"] = reference
        summary[f"psnr_vs_{codec}_db"] = None if reference is None else \
            summary["psnr"] - reference
    return summary


def summarize(records):
    """Means over images; encode/decode time per megapixel; accuracy when labelled."""
    pixels = sum(r["height"] * r["width"] for r in records)
    summary = {"images": len(records),
               "bpp": 8.0 * sum(r["bytes"] for r in records) / pixels,
               "psnr": float(np.mean([r["psnr"] for r in records])),
               "encode_ms_per_mp": sum(r["encode_ms"] for r in records) / pixels * 1e6,
               "decode_ms_per_mp": sum(r["decode_ms"] for r in records) / pixels * 1e6}
    similarity = [r["ms_ssim"] for r in records if r["ms_ssim"] is not None]
    if similarity:
        summary["ms_ssim"] = float(np.mean(similarity))
    if records and "correct" in records[0]:
        summary["accuracy"] = float(np.mean([r["correct"] for r in records]))
    return summary
