"""``ibtf decompress EXPORT_DIR FILE -o IMAGE.png``: decode a bitstream to a PNG."""
import json


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "decompress", help="decode a codec bitstream into a PNG",
        description="EXPORT_DIR must be the codec export that wrote FILE (its model id is "
                    "checked).")
    parser.add_argument("export", metavar="EXPORT_DIR")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("-o", "--output", required=True, metavar="IMAGE.png")
    parser.set_defaults(func=run)


def run(args):
    import os

    from ibtf.data.images import write_png
    from ibtf.models.codecs import bitstream
    from ibtf.models.codecs.export import LoadedCodec

    if not os.path.isfile(args.file):
        raise FileNotFoundError(f"FILE {args.file!r} does not exist")
    if not args.output.lower().endswith(".png"):
        raise ValueError(f"-o {args.output!r} must end in .png (the output is PNG)")
    codec = LoadedCodec(args.export)
    with open(args.file, "rb") as f:
        data = f.read()
    image = bitstream.decompress(codec, data)
    write_png(args.output, image)
    print(json.dumps({"output": args.output, "height": image.shape[0],
                      "width": image.shape[1], "channels": image.shape[2]}))
    return 0
