"""The pretrained codecs shipped in the package: they load, round-trip through real files with
the plain CLI (no --model), fit the size budget, and the rate they promise is the rate a file
gets."""
import json
import os

import numpy as np
import pytest
from PIL import Image

from ibtf.cli.main import main
from ibtf.data.images import load_photo_split
from ibtf.models.codecs.pipeline import rate_agreement
from ibtf.models.codecs.shipped import (DEFAULT_QUALITY, PRETRAINED_DIR, QUALITIES,
                                        load_pretrained, pretrained_path)


@pytest.fixture(scope="module")
def crop():
    """A 96x128 region of a held-out photo (the cat of skimage's chelsea)."""
    return load_photo_split()[1]["chelsea"][100:196, 150:278]


@pytest.fixture(scope="module")
def codec():
    return load_pretrained(DEFAULT_QUALITY)


def test_shipped_models_fit_the_size_budget():
    total = sum(os.path.getsize(os.path.join(root, name))
                for root, _, names in os.walk(PRETRAINED_DIR) for name in names)
    assert 0 < total <= 20 * 2 ** 20
    for quality in QUALITIES:
        assert os.path.isdir(pretrained_path(quality))
    with pytest.raises(ValueError, match="quality"):
        pretrained_path(7)


def test_cli_round_trip_without_a_model(codec, crop, tmp_path, capsys):
    Image.fromarray(crop).save(tmp_path / "cat.png")
    assert main(["compress", str(tmp_path / "cat.png"), "-o", str(tmp_path / "cat.ibtc")]) == 0
    info = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert info["bytes"] == os.path.getsize(tmp_path / "cat.ibtc")
    assert info["bpp"] == pytest.approx(8 * info["bytes"] / crop[..., 0].size)
    assert main(["decompress", str(tmp_path / "cat.ibtc"), "-o", str(tmp_path / "back.png")]) == 0
    decoded = np.asarray(Image.open(tmp_path / "back.png"))
    # the file decodes to exactly the shipped model's quantized reconstruction
    expected = np.round(codec.reconstruct(crop[None] / 255.0).numpy()[0] * 255)
    np.testing.assert_array_equal(decoded, expected.astype(np.uint8))
    # and that reconstruction follows the image: error well below the image's own variance
    assert np.mean((decoded / 255.0 - crop / 255.0) ** 2) < 0.25 * np.var(crop / 255.0)


def test_the_qualities_are_distinct_rates(codec, crop):
    x = crop[None] / 255.0
    low = float(load_pretrained(1).estimated_bits(x).numpy()[0])
    assert low < float(codec.estimated_bits(x).numpy()[0])


def _check_rates(rates, pixels, files=1):
    assert abs(rates["file_over_estimate"] - 1) < 0.05, rates
    assert abs(rates["training_over_estimate"] - 1) < 0.05, rates
    # the header (32 bytes here, under 64) is the only difference between payload and file
    assert 0 < rates["file_bpp"] - rates["payload_bpp"] < 8 * 64 * files / pixels


def test_the_rate_promised_is_the_rate_of_the_file(codec):
    """Issue 18, item 2, on held-out pixels (a 256x256 region of chelsea, never trained on):
    the training-time estimate (noisy latents), the evaluation estimate (information of the
    quantized latents) and the range-coded payload agree within 5%. The file is the truth here:
    it is what the range coder writes, not a formula of the model."""
    region = load_photo_split()[1]["chelsea"][20:276, 100:356]
    _check_rates(rate_agreement(codec, [region]), region[..., 0].size)


@pytest.fixture(scope="module")
def heldout_rates():
    """rate_agreement of each shipped codec over the 4 whole held-out photos (1.09 MP)."""
    photos = list(load_photo_split()[1].values())
    pixels = sum(p[..., 0].size for p in photos)
    return {q: rate_agreement(load_pretrained(q), photos) for q in QUALITIES}, pixels, len(photos)


@pytest.mark.slow
@pytest.mark.parametrize("quality", QUALITIES)
def test_the_file_is_the_rate_promised_on_every_held_out_photo(heldout_rates, quality):
    """File vs evaluation estimate within 5% for both shipped codecs, totalled over the whole
    held-out photos (measured: 0.998 for q1 and q2; results/codecs_pretrain.md)."""
    rates, pixels, files = heldout_rates
    rates = rates[quality]
    assert abs(rates["file_over_estimate"] - 1) < 0.05, rates
    assert 0 < rates["file_bpp"] - rates["payload_bpp"] < 8 * 64 * files / pixels


@pytest.mark.slow
@pytest.mark.parametrize("quality", [
    2, pytest.param(1, marks=pytest.mark.xfail(strict=True, reason=(
        "measured 1.12: at q1's low rate 75% of the latents round to 0, which the noisy "
        "training estimate charges 0.121 bpp and the rounded one 0.069 "
        "(benchmarks/codecs_rate_gap.py)")))])
def test_the_training_estimate_on_every_held_out_photo(heldout_rates, quality):
    """Training-time (noisy) estimate vs evaluation estimate within 5%, whole held-out photos.
    q1 misses it (strict xfail: it fails loudly once it passes, so the note gets updated)."""
    rates = heldout_rates[0][quality]
    assert abs(rates["training_over_estimate"] - 1) < 0.05, rates
