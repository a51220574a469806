"""``ibtf info EXPORT_DIR``: list an export's signatures, inputs and outputs."""
import json


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "info", help="list a SavedModel export's signatures, inputs and outputs",
        description="Lists the signatures of an export written by ibtf (or any SavedModel): "
                    "each input and output with dtype and shape. EXPORT_DIR is BASE/NAME "
                    "(newest version) or BASE/NAME/VERSION.")
    parser.add_argument("export_dir", metavar="EXPORT_DIR")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.set_defaults(func=run)


def _shape(shape):
    return "?" if shape is None else "[" + ", ".join("B" if i == 0 and d is None else
                                                     ("?" if d is None else str(d))
                                                     for i, d in enumerate(shape)) + "]"


def run(args):
    from ibtf.serving import describe_export
    info = describe_export(args.export_dir)
    if args.json:
        print(json.dumps(info))
        return 0
    print(f"export: {info['path']}")
    meta = info["metadata"]
    if meta:
        print(f"model: {meta.get('model_class', '?')} (ibtf {meta.get('ibtf_version', '?')}, "
              f"created {meta.get('created_utc', '?')})")
    for key, sig in info["signatures"].items():
        print(f"signature {key}:")
        for kind in ("inputs", "outputs"):
            for name, spec in sig[kind].items():
                print(f"  {kind[:-1]:6s} {name}: {spec['dtype']} {_shape(spec['shape'])}")
    return 0
