"""``ibtf compress EXPORT_DIR IMAGE -o FILE``: encode an image with an exported codec."""
import json
import os


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "compress", help="encode an image into a codec bitstream",
        description="EXPORT_DIR is a full codec export (OUT/codec of `ibtf codec train`, or "
                    "OUT itself). Prints one JSON object (bytes, bpp).")
    parser.add_argument("export", metavar="EXPORT_DIR")
    parser.add_argument("image", metavar="IMAGE")
    parser.add_argument("-o", "--output", required=True, metavar="FILE")
    parser.set_defaults(func=run)


def write_atomically(path, data):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def run(args):
    from ibtf.data.images import read_image
    from ibtf.models.codecs import bitstream
    from ibtf.models.codecs.export import LoadedCodec

    codec = LoadedCodec(args.export)
    image = read_image(args.image, codec.channels)
    data = bitstream.compress(codec, image)
    write_atomically(args.output, data)
    height, width = image.shape[:2]
    print(json.dumps({"output": args.output, "bytes": len(data), "height": height,
                      "width": width, "bpp": 8.0 * len(data) / (height * width)}))
    return 0
