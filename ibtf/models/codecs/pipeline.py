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
           "digits_classifier", "summarize"]

DIGITS_TEST_FRACTION = 0.2


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
    """The digits split used everywhere here: a seeded 80/20 permutation."""
    images, labels = image_data.load_digits_images()
    order = np.random.default_rng(seed).permutation(len(images))
    cut = int(round(len(images) * (1 - DIGITS_TEST_FRACTION)))
    return (images[order[:cut]], labels[order[:cut]]), (images[order[cut:]], labels[order[cut:]])


def load_codec_data(source, patch=64, crops=512, seed=0, eval_limit=None):
    """``source``: "digits", "photos" (sklearn's china and flower) or a directory of
    PNG/JPEG files. Photos and directories train on random ``patch`` crops."""
    if source == "digits":
        (train, train_labels), (test, test_labels) = digits_split(seed)
        if eval_limit:
            test, test_labels = test[:eval_limit], test_labels[:eval_limit]
        return CodecData("digits", train, list(test), [f"digit_{i}" for i in range(len(test))],
                         test_labels, train_labels,
                         note=f"digits: {len(train)} train / {len(test)} held-out test")
    if source == "photos":
        photos = image_data.load_sample_photos()
        names = sorted(photos)
        train = image_data.random_crops([photos[n] for n in names], patch, crops, seed)
        return CodecData("photos", train, [photos[n] for n in names], names,
                         note="photos: trained on crops of the evaluated photos")
    files = image_data.read_image_dir(source, channels=3)
    names, images = [n for n, _ in files], [a for _, a in files]
    size = min(patch, *(min(a.shape[:2]) for a in images))
    train = image_data.random_crops(images, size, crops, seed)
    if eval_limit:
        images, names = images[:eval_limit], names[:eval_limit]
    return CodecData(source, train, images, names,
                     note=f"{source}: trained on crops of the evaluated images")


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
                learning_rate=1e-3, verbose=0, jit_compile="auto"):
    """Builds and fits a codec on ``data.train``; returns (codec, history)."""
    tf.random.set_seed(seed)
    codec = make_codec(model, lambda_d=lambda_d, lambda_p=lambda_p, lambda_c=lambda_c,
                       distortion=distortion, seed=seed, **codec_kwargs(data, model, filters))
    codec.compile(keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    batch_size = min(batch_size, len(data.train))
    dataset = image_data.crop_dataset(data.train, batch_size, seed=seed)
    history = codec.fit(dataset, epochs=epochs, verbose=verbose)
    return codec, history


def digits_classifier(seed=0):
    """A classifier for 8x8 digits in [0, 1]: images [N, 8, 8, 1] -> predicted labels.

    Logistic regression on the digits train split (``digits_split``), so accuracy on held-out
    reconstructions measures what the codec kept of the class.
    """
    from sklearn.linear_model import LogisticRegression
    (train, labels), _ = digits_split(seed)
    fitted = LogisticRegression(max_iter=2000).fit(train.reshape(len(train), -1) / 255.0,
                                                   labels)
    return lambda images: fitted.predict(np.asarray(images).reshape(len(images), -1))


def evaluate_codec(codec, images, names=None, labels=None, classifier=None):
    """Per-image records through real bitstreams; ``codec`` is a CodecModel or LoadedCodec.

    Each record: name, height, width, bytes, bpp (file bytes), psnr (dB), ms_ssim,
    encode_ms, decode_ms, and ``correct`` when labels and a classifier are given.
    """
    records, reconstructions = [], []
    names = names or [f"image_{i}" for i in range(len(images))]
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
