"""``ibtf compress IMAGE -o FILE``: encode an image with the shipped codec or an export."""
import argparse
import json
import os

QUALITIES = (1, 2)  # ibtf.models.codecs.shipped.QUALITIES (not imported: it loads TF)
DEFAULT_QUALITY = 2


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "compress", help="encode an image into a codec bitstream",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Encodes a PNG/JPEG image with the pretrained hyperprior codec that ships "
                    "with ibtf (--quality picks one of two rates; trained on package photos, "
                    "see the README for how it compares with JPEG and WebP) or with --model "
                    "EXPORT (OUT/codec of `ibtf codec train`, or OUT itself). Prints one JSON "
                    "object (bytes, bpp).")
    parser.add_argument("image", metavar="IMAGE")
    parser.add_argument("-o", "--output", required=True, metavar="FILE")
    parser.add_argument("--model", default=None, metavar="EXPORT",
                        help="a full codec export to use instead of the shipped codec")
    parser.add_argument("--quality", type=int, choices=QUALITIES, default=DEFAULT_QUALITY,
                        help="shipped codec: 1 lower rate, 2 higher quality")
    parser.set_defaults(func=run)


def write_atomically(path, data):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def run(args):
    if not os.path.isfile(args.image):
        raise FileNotFoundError(f"IMAGE {args.image!r} does not exist")
    from ibtf.data.images import read_image
    from ibtf.models.codecs import bitstream
    from ibtf.models.codecs.export import LoadedCodec
    from ibtf.models.codecs.shipped import load_pretrained

    codec = LoadedCodec(args.model) if args.model else load_pretrained(args.quality)
    image = read_image(args.image, codec.channels)
    data = bitstream.compress(codec, image)
    write_atomically(args.output, data)
    height, width = image.shape[:2]
    print(json.dumps({"output": args.output, "bytes": len(data), "height": height,
                      "width": width, "bpp": 8.0 * len(data) / (height * width),
                      "model": args.model or f"pretrained q{args.quality}"}))
    return 0
