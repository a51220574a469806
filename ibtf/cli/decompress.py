"""``ibtf decompress FILE -o IMAGE.png``: decode a bitstream to a PNG."""
import argparse
import json


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "decompress", help="decode a codec bitstream into a PNG",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Decodes FILE with the shipped pretrained codec that wrote it (found by the "
                    "model id in its header) or with --model EXPORT, which must be the export "
                    "that wrote it.")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("-o", "--output", required=True, metavar="IMAGE.png")
    parser.add_argument("--model", default=None, metavar="EXPORT",
                        help="the codec export that wrote FILE (default: the shipped codec "
                             "named by FILE's model id)")
    parser.set_defaults(func=run)


def run(args):
    import os

    if not os.path.isfile(args.file):
        raise FileNotFoundError(f"FILE {args.file!r} does not exist")
    if not args.output.lower().endswith(".png"):
        raise ValueError(f"-o {args.output!r} must end in .png (the output is PNG)")
    from ibtf.data.images import write_png
    from ibtf.models.codecs import bitstream
    from ibtf.models.codecs.export import LoadedCodec
    from ibtf.models.codecs.shipped import codec_for_stream

    with open(args.file, "rb") as f:
        data = f.read()
    codec = LoadedCodec(args.model) if args.model else codec_for_stream(data)
    image = bitstream.decompress(codec, data)
    write_png(args.output, image)
    print(json.dumps({"output": args.output, "height": image.shape[0],
                      "width": image.shape[1], "channels": image.shape[2]}))
    return 0
