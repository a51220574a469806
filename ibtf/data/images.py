"""Images for the codecs: sklearn digits, package-shipped photos with a fixed train/held-out
split, crops, and PNG/JPEG files.

Images are uint8 arrays [height, width, channels]; ``to_float`` maps them to [0, 1] for
training. Reading files needs Pillow (the ``data`` extra), the sets need scikit-learn and
scikit-image (both in the ``data`` extra); one held-out photo ships with matplotlib.

The photo split (``load_photo_split``) never copies an image into this repository: every photo
is read from the package that ships it. Training photos and held-out photos are disjoint
images of different scenes; scikit-image's right view of the stereo motorcycle is left out
entirely, since it nearly duplicates the held-out left view.
"""
import os

import numpy as np

from ibtf._keras import tf

__all__ = ["load_digits_images", "load_sample_photos", "load_photo_split", "load_photos",
           "TRAIN_PHOTOS", "HELDOUT_PHOTOS", "EXCLUDED_PHOTOS", "random_crops", "crop_dataset",
           "to_float", "read_image", "read_image_dir", "write_png", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def load_digits_images():
    """sklearn's 1797 8x8 handwritten digits as uint8 [N, 8, 8, 1] (0..16 scaled to 0..255)
    and their labels [N] (int32)."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    return images, digits.target.astype(np.int32)


def load_sample_photos():
    """sklearn's two sample photos {"china": ..., "flower": ...}, uint8 [427, 640, 3]."""
    from sklearn.datasets import load_sample_images
    bunch = load_sample_images()
    return {os.path.splitext(os.path.basename(name))[0]: np.asarray(image, np.uint8)
            for name, image in zip(bunch.filenames, bunch.images)}


# (package, name): where each photo ships. Grayscale training photos are replicated to RGB.
TRAIN_PHOTOS = (("sklearn", "china"), ("sklearn", "flower"), ("skimage", "astronaut"),
                ("skimage", "coffee"), ("skimage", "hubble_deep_field"), ("skimage", "retina"),
                ("skimage", "immunohistochemistry"), ("skimage", "camera"),
                ("skimage", "coins"), ("skimage", "grass"), ("skimage", "gravel"),
                ("skimage", "brick"))
HELDOUT_PHOTOS = (("skimage", "chelsea"), ("skimage", "rocket"),
                  ("skimage", "motorcycle_left"), ("matplotlib", "grace_hopper"))
EXCLUDED_PHOTOS = (("skimage", "motorcycle_right"),)  # stereo twin of a held-out photo


def _rgb(array):
    array = np.asarray(array, np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    return np.ascontiguousarray(array[:, :, :3])


def _load_photo(package, name):
    if package == "sklearn":
        return load_sample_photos()[name]
    if package == "matplotlib":
        import matplotlib.cbook
        from PIL import Image
        with Image.open(matplotlib.cbook.get_sample_data(f"{name}.jpg")) as image:
            return np.asarray(image.convert("RGB"))
    if package == "skimage":
        try:
            import skimage.data
        except ImportError:
            raise ValueError("the photo split needs scikit-image: pip install "
                             "'ibtf[data]'") from None
        if name.startswith("motorcycle_"):
            left, right, _ = skimage.data.stereo_motorcycle()
            return _rgb(left if name.endswith("left") else right)
        return _rgb(getattr(skimage.data, name)())
    raise ValueError(f"unknown photo package {package!r}")


def load_photos(entries):
    """{name: uint8 [H, W, 3]} for (package, name) entries such as ``HELDOUT_PHOTOS``."""
    return {name: _load_photo(package, name) for package, name in entries}


def load_photo_split():
    """(train, held_out): two {name: uint8 [H, W, 3]} dicts of real photos that ship with
    scikit-learn, scikit-image and matplotlib (``TRAIN_PHOTOS``, ``HELDOUT_PHOTOS``).

    Train (12 photos, 4.7 megapixels): sklearn's china and flower; skimage's astronaut,
    coffee, hubble_deep_field, retina, immunohistochemistry and the grayscale camera, coins,
    grass, gravel and brick (replicated to RGB). Held out (4 colour photos, 1.09 megapixels):
    skimage's chelsea (cat), rocket and the left motorcycle view, and matplotlib's
    grace_hopper. No photo appears in both, and no crop of a held-out photo is ever trained on.
    """
    return load_photos(TRAIN_PHOTOS), load_photos(HELDOUT_PHOTOS)


def to_float(images):
    """uint8 images -> float32 in [0, 1]."""
    return np.asarray(images, np.float32) / 255.0


def random_crops(images, size, count, seed=0):
    """``count`` random size x size crops (uint8 [count, size, size, C]) from a list of
    images [H, W, C], each crop drawn from a random image."""
    images = list(images)
    if not images:
        raise ValueError("images is empty; pass at least one image")
    size = int(size)
    for i, image in enumerate(images):
        if image.shape[0] < size or image.shape[1] < size:
            raise ValueError(f"image {i} is {image.shape[0]}x{image.shape[1]}, smaller than "
                             f"the crop size {size}: pass a smaller size")
    rng = np.random.default_rng(seed)
    crops = []
    for _ in range(int(count)):
        image = images[rng.integers(len(images))]
        top = rng.integers(image.shape[0] - size + 1)
        left = rng.integers(image.shape[1] - size + 1)
        crops.append(image[top:top + size, left:left + size])
    return np.stack(crops)


def crop_dataset(images, batch_size, seed=0, shuffle=True):
    """A tf.data pipeline of float [0, 1] batches from uint8 images [N, H, W, C] of one size;
    ``drop_remainder=True`` keeps shapes static (for XLA)."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images has shape {images.shape}; expected [N, H, W, C] of one size "
                         "(see random_crops)")
    if len(images) < batch_size:
        raise ValueError(f"{len(images)} images do not fill one batch of {batch_size}; lower "
                         "the batch size or pass more crops")
    data = tf.data.Dataset.from_tensor_slices(images)
    if shuffle:
        data = data.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return data.map(lambda x: tf.cast(x, tf.float32) / 255.0).batch(
        batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def read_image(path, channels=3):
    """Reads a PNG/JPEG file as uint8 [H, W, channels] with Pillow.

    Grayscale files are replicated to RGB when ``channels=3``; alpha is dropped; palette
    images are expanded. Colour files for a grayscale codec, 16-bit files and files that are
    not images raise ValueError naming the file and the fix.
    """
    from PIL import Image, UnidentifiedImageError
    if channels not in (1, 3):
        raise ValueError(f"channels={channels!r} must be 1 or 3")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"image {path!r} does not exist")
    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            if mode in ("I;16", "I;16B", "I;16L", "I", "F") or mode.startswith("I;16"):
                raise ValueError(f"{path} is a {mode} (16-bit or float) image; the codecs take "
                                 "8-bit images: convert it to 8-bit RGB or grayscale first")
            if mode in ("P", "PA"):
                image = image.convert("RGBA")
                mode = image.mode
            if channels == 1:
                if mode in ("L", "LA", "1"):
                    array = np.asarray(image.convert("L"))
                else:
                    raise ValueError(f"{path} is a colour ({mode}) image but the codec takes "
                                     "grayscale: convert it with Pillow's .convert('L') or use "
                                     "an RGB codec")
            else:
                array = np.asarray(image.convert("RGB"))
    except UnidentifiedImageError:
        raise ValueError(f"{path} is not an image Pillow can read; pass PNG or JPEG files"
                         ) from None
    except OSError as error:
        raise ValueError(f"{path} could not be read as an image ({error}); the file may be "
                         "truncated") from None
    array = np.asarray(array, np.uint8)
    return array[:, :, None] if array.ndim == 2 else array


def read_image_dir(directory, channels=3):
    """All PNG/JPEG files of a directory (sorted by name) as [(name, uint8 image)]."""
    if not os.path.isdir(directory):
        raise NotADirectoryError(f"{directory!r} is not a directory of images")
    names = sorted(n for n in os.listdir(directory) if n.lower().endswith(IMAGE_SUFFIXES))
    if not names:
        raise ValueError(f"{directory} holds no {'/'.join(IMAGE_SUFFIXES)} files")
    return [(name, read_image(os.path.join(directory, name), channels)) for name in names]


def write_png(path, image):
    """Writes a uint8 [H, W, 1 or 3] image as PNG (atomically: temp file, then rename)."""
    from PIL import Image
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[-1] not in (1, 3):
        raise ValueError(f"image has dtype {array.dtype} and shape {array.shape}; expected "
                         "uint8 [H, W, 1 or 3]")
    tmp = f"{path}.tmp-{os.getpid()}"
    Image.fromarray(array[:, :, 0] if array.shape[-1] == 1 else array).save(tmp, format="PNG")
    os.replace(tmp, path)
