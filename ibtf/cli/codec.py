"""``ibtf codec {train,eval,plot}``: train learned image codecs, measure them, plot R-D curves."""
import argparse
import json
import os
import sys

DATA_HELP = ("digits: sklearn's 8x8 digits, the 70/30 split of the pretrained digits "
             "classifier; photos: random crops of 12 training photos shipped by scikit-learn "
             "(china, flower) and scikit-image (astronaut, coffee, hubble_deep_field, retina, "
             "immunohistochemistry, and grayscale camera, coins, grass, gravel, brick), "
             "evaluated on 4 other held-out photos (scikit-image's chelsea, rocket, "
             "motorcycle_left; matplotlib's grace_hopper); DIR: a directory of PNG/JPEG files, "
             "every 4th by name held out for evaluation")
FORMATTER = argparse.ArgumentDefaultsHelpFormatter


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "codec", help="train, evaluate and plot learned image codecs",
        description="Learned image codecs (factorized prior, scale hyperprior) on "
                    "tensorflow-compression, measured through real bitstreams.")
    commands = parser.add_subparsers(dest="codec_command", metavar="ACTION")

    train = commands.add_parser(
        "train", help="train a codec and export it", formatter_class=FORMATTER,
        description="Trains on DATA and writes OUT/codec (compress/decompress; needs "
                    "tensorflow_compression to load) and OUT/transforms (stock TF Serving). "
                    "Every reported figure is measured on held-out images through real "
                    "bitstreams, next to JPEG and WebP (Pillow) at the same bpp. The last "
                    "stdout line is one JSON object. For a ready model, `ibtf compress` uses "
                    "the shipped pretrained codec.")
    train.add_argument("--data", required=True, metavar="{digits,photos,DIR}", help=DATA_HELP)
    train.add_argument("--model", choices=("factorized", "hyperprior"), default="hyperprior",
                       help="entropy model")
    train.add_argument("--epochs", type=int, default=10, help="passes over the crops")
    train.add_argument("--lambda-d", type=float, default=650.0,
                       help="weight of the distortion (MSE of [0, 1] pixels); 650 = tfc's "
                            "lmbda 0.01")
    train.add_argument("--lambda-p", type=float, default=0.0,
                       help="weight of the perception term (WGAN-GP critic)")
    train.add_argument("--lambda-c", type=float, default=0.0,
                       help="weight of the classification term (frozen digits classifier; "
                            "--data digits only)")
    train.add_argument("--distortion", choices=("mse", "ms-ssim"), default="mse",
                       help="distortion term")
    train.add_argument("--filters", type=int, default=None,
                       help="channels of the transforms (None: 32 for digits, 64 for photos)")
    train.add_argument("--patch", type=int, default=256,
                       help="crop size for photos/DIR (digits ignore it); a hyperprior's side "
                            "information is patch/64 wide: 64 would leave it 1x1 and its rate "
                            "estimate would not transfer to whole images")
    train.add_argument("--crops", type=int, default=128,
                       help="training crops for photos/DIR (digits ignore it)")
    train.add_argument("--batch-size", type=int, default=16, help="crops per step")
    train.add_argument("--eval-limit", type=int, default=None,
                       help="evaluate at most this many held-out images")
    train.add_argument("--seed", type=int, default=0, help="crops, weights and noise")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                       default="default",
                       help="tf.distribute strategy; --batch-size is the global batch, split "
                            "across replicas (multiworker reads TF_CONFIG)")
    train.add_argument("--checkpoint-dir", default=None,
                       help="checkpoint here and resume an interrupted run (same command)")
    train.add_argument("--checkpoint-every", type=int, default=None,
                       help="checkpoint every N steps (default: every epoch)")
    train.add_argument("--out", required=True, metavar="DIR", help="export directory (new)")

    evaluate = commands.add_parser(
        "eval", help="measure an exported codec on images through real bitstreams",
        formatter_class=FORMATTER,
        description="Prints one JSON line per image (bytes, bpp from the real file size, psnr, "
                    "ms_ssim, encode/decode ms) and a final summary line, with JPEG's and "
                    "WebP's PSNR (Pillow, same images) at the codec's bpp.")
    evaluate.add_argument("export", metavar="EXPORT_DIR",
                          help="a full codec export, or 'pretrained' (the shipped codec, "
                               "--quality)")
    evaluate.add_argument("images", nargs="+", metavar="IMAGES",
                          help="PNG/JPEG files or directories, 'digits' (held-out split) or "
                               "'heldout' (the 4 held-out package photos)")
    evaluate.add_argument("--quality", type=int, choices=(1, 2), default=2,
                          help="which shipped codec, with EXPORT_DIR 'pretrained'")
    evaluate.add_argument("--classifier", choices=("digits",), default=None,
                          help="score class accuracy on reconstructions (digits only)")
    evaluate.add_argument("--label", default=None, help="curve name in the summary line")
    evaluate.add_argument("--limit", type=int, default=None,
                          help="evaluate at most this many images")
    evaluate.add_argument("--seed", type=int, default=0, help="classifier training seed")

    plot = commands.add_parser(
        "plot", help="plot R-D curves from `ibtf codec eval` JSON lines",
        formatter_class=FORMATTER,
        description="Reads summary lines (bpp, psnr, ms_ssim, label) from FILES and draws "
                    "bpp vs PSNR and bpp vs MS-SSIM, one curve per label.")
    plot.add_argument("files", nargs="+", metavar="FILES")
    plot.add_argument("-o", "--output", required=True, metavar="PNG")
    actions = {"train": run_train, "eval": run_eval, "plot": run_plot}

    def dispatch(args):
        if args.codec_command not in actions:
            parser.print_help(sys.stderr)
            return 2
        return actions[args.codec_command](args)

    parser.set_defaults(func=dispatch)


def run_train(args):
    from ibtf.models.codecs import pipeline
    from ibtf.models.codecs.export import export_codec, export_transforms

    if args.epochs < 1:
        raise ValueError(f"--epochs {args.epochs} must be >= 1")
    if os.path.exists(args.out) and os.listdir(args.out):
        raise FileExistsError(f"--out {args.out!r} exists and is not empty; exports are never "
                              "overwritten: pass a new directory")
    from ibtf.distribute import check_strategy, is_chief
    from ibtf.resume import check_checkpoint_dir

    check_strategy(args.strategy)
    check_checkpoint_dir(args.checkpoint_dir)
    if args.checkpoint_every is not None and args.checkpoint_every < 1:
        raise ValueError(f"--checkpoint-every {args.checkpoint_every} must be >= 1")
    data = pipeline.load_codec_data(args.data, patch=args.patch, crops=args.crops,
                                    seed=args.seed, eval_limit=args.eval_limit)
    codec, history = pipeline.train_codec(
        data, model=args.model, epochs=args.epochs, lambda_d=args.lambda_d,
        lambda_p=args.lambda_p, lambda_c=args.lambda_c,
        distortion=args.distortion, seed=args.seed, batch_size=args.batch_size,
        filters=args.filters, verbose=0 if args.quiet else 1, strategy=args.strategy,
        checkpoint_dir=args.checkpoint_dir, checkpoint_every=args.checkpoint_every)
    meta = {"data": args.data, "lambda_d": args.lambda_d, "lambda_p": args.lambda_p,
            "lambda_c": args.lambda_c, "seed": args.seed, "epochs": args.epochs}
    # Every worker takes part in the save's collectives; only the chief keeps the exports.
    codec_path = export_codec(codec, args.out, "codec", metadata=meta)
    transforms_path = export_transforms(codec, args.out, "transforms", metadata=meta)
    if not is_chief():     # a multi-worker non-chief: the chief evaluates
        print(json.dumps({"chief": False, "train_loss": float(history.history["loss"][-1])}))
        return 0
    classifier = pipeline.digits_classifier(args.seed) if data.source == "digits" else None
    records = pipeline.evaluate_codec(codec, data.eval_images, data.eval_names,
                                      data.eval_labels, classifier)
    rates = pipeline.rate_agreement(codec, data.eval_images)
    summary = pipeline.summarize(records)
    if data.source != "digits":  # JPEG/WebP headers alone exceed an 8x8 digit's budget
        summary = pipeline.with_references(summary, data.eval_images)
    result = {"model": args.model, "data": args.data, "evaluated_on": "held-out images",
              **summary,
              "heldout_training_estimate_bpp": rates["training_estimate_bpp"],
              "heldout_estimate_bpp": rates["estimate_bpp"],
              "heldout_file_over_estimate": rates["file_over_estimate"],
              "train_loss": float(history.history["loss"][-1]),
              "train_crops_bpp_estimate": float(history.history["bpp"][-1]),
              "export": codec_path, "transforms_export": transforms_path, "note": data.note}
    print(json.dumps(result))
    return 0


def _expand(paths, channels, seed):
    from ibtf.data.images import IMAGE_SUFFIXES, read_image
    from ibtf.models.codecs.pipeline import digits_split

    names, images, labels = [], [], []
    for path in paths:
        if path == "heldout":
            from ibtf.data.images import load_photo_split
            heldout = load_photo_split()[1]
            names += sorted(heldout)
            images += [heldout[n] for n in sorted(heldout)]
            labels += [None] * len(heldout)
            continue
        if path == "digits":
            _, (test, test_labels) = digits_split(seed)
            names += [f"digit_{i}" for i in range(len(test))]
            images += list(test)
            labels += list(test_labels)
            continue
        files = [path] if not os.path.isdir(path) else sorted(
            os.path.join(path, n) for n in os.listdir(path)
            if n.lower().endswith(IMAGE_SUFFIXES))
        for file in files:
            names.append(file)
            images.append(read_image(file, channels))
            labels.append(None)
    if not images:
        raise ValueError(f"IMAGES {paths} hold no PNG/JPEG files")
    return names, images, labels


def run_eval(args):
    from ibtf.models.codecs import pipeline
    from ibtf.models.codecs.export import LoadedCodec

    if args.export == "pretrained":
        from ibtf.models.codecs.shipped import load_pretrained
        codec = load_pretrained(args.quality)
        name, path, lambda_d = f"pretrained q{args.quality}", "pretrained", codec.lambda_d
    else:
        codec = LoadedCodec(args.export)
        name, path = codec.metadata.get("name", "codec"), codec.path
        lambda_d = codec.metadata.get("lambda_d")
    names, images, labels = _expand(args.images, codec.channels, args.seed)
    if args.limit is not None:
        if args.limit < 1:
            raise ValueError(f"--limit {args.limit} must be >= 1")
        names, images, labels = names[:args.limit], images[:args.limit], labels[:args.limit]
    classifier = None
    if args.classifier == "digits":
        if any(label is None for label in labels):
            raise ValueError("--classifier digits needs labelled images: pass 'digits' as "
                             "IMAGES")
        classifier = pipeline.digits_classifier(args.seed)
    records = pipeline.evaluate_codec(codec, images, names,
                                      labels if classifier else None, classifier)
    for record in records:
        print(json.dumps(record))
    summary = {"summary": True, "label": args.label or name, "export": path,
               "lambda_d": lambda_d,
               **pipeline.summarize(records)}
    if min(min(i.shape[:2]) for i in images) >= 32:  # JPEG/WebP headers swamp tiny images
        summary = pipeline.with_references(summary, images)
    print(json.dumps(summary))
    return 0


def run_plot(args):
    from ibtf.models.codecs.plots import plot_rd_curves

    summaries = []
    for path in args.files:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"FILES: {path!r} does not exist")
        with open(path) as f:
            for number, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    raise ValueError(f"{path}:{number} is not a JSON line; pass the output of "
                                     "`ibtf codec eval`") from None
                if isinstance(record, dict) and record.get("summary"):
                    summaries.append(record)
    if not summaries:
        raise ValueError(f"{args.files} hold no summary lines; pass the output of "
                         "`ibtf codec eval`")
    plot_rd_curves(summaries, args.output)
    print(json.dumps({"plot": args.output, "points": len(summaries)}))
    return 0
