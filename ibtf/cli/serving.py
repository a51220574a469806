"""``ibtf serving {package,check,predict}``: a TF Serving model repository and its REST client."""
import json
import os
import sys


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "serving", help="package exports into a TF Serving model repository, check it, query it",
        description="Deploy exports on TF Serving: `package` builds a model repository "
                    "(models.config, numbered versions, warm-up requests), `check` loads every "
                    "version in a fresh process and replays its warm-ups, `predict` calls a "
                    "server's REST predict API.")
    commands = parser.add_subparsers(dest="serving_command", metavar="ACTION")

    pack = commands.add_parser(
        "package", help="assemble a model repository from exports",
        description="Copies each export's versions into OUT/NAME/<version>/ (atomically; never "
                    "overwriting), writes warm-up requests into every version and OUT/"
                    "models.config in TF Serving's text format. Serve it with "
                    "`tensorflow_model_server --model_config_file=OUT/models.config`. The last "
                    "stdout line is one JSON object.")
    pack.add_argument("exports", nargs="+", metavar="EXPORT",
                      help="BASE/NAME (every version) or BASE/NAME/VERSION, optionally "
                           "SERVED_NAME=PATH")
    pack.add_argument("--out", required=True, metavar="REPO", help="the repository directory")
    pack.add_argument("--policy", default="specific",
                      help="version policy: specific (every packaged version), all, latest, "
                           "latest:N")
    pack.add_argument("--label", action="append", default=[], metavar="MODEL:LABEL=VERSION",
                      help="a version label (repeatable), e.g. vib:stable=1; default per model: "
                           "stable = newest, or stable = second newest and canary = newest")
    pack.add_argument("--base-path", default="/models",
                      help="where the server sees OUT (the docker mount point); '' writes OUT's "
                           "absolute path for a local tensorflow_model_server")

    chk = commands.add_parser(
        "check", help="load every version in a fresh process and replay its warm-ups",
        description="For each model in REPO/models.config and each version its policy serves: "
                    "load it in a fresh Python process without ibtf (as the model server would), "
                    "replay the warm-up requests through their signatures, check every output is "
                    "finite and time the calls. Prints p50/p99 latency per model; the last stdout "
                    "line is one JSON object. Exit status 1 when a version fails.")
    chk.add_argument("repo", metavar="REPO")
    chk.add_argument("--repeats", type=int, default=20, help="timed calls per warm-up request")
    chk.add_argument("--jobs", type=int, default=2, help="versions loaded in parallel")
    chk.add_argument("--timeout", type=float, default=300.0, help="seconds per version")

    pred = commands.add_parser(
        "predict", help="call a TF Serving REST predict endpoint with rows from a CSV",
        description="POSTs --input to URL/v1/models/MODEL[/versions/V|/labels/L]:predict in TF "
                    "Serving's row (instances) or columnar (inputs) format and prints the answer "
                    "as one JSON object. CSV headers are NAME[i,j,...] (element of input NAME) or "
                    "NAME (a scalar per row); --input-name reads all columns as one flat input.")
    pred.add_argument("--url", default="http://localhost:8501", help="the server's REST root")
    pred.add_argument("--model", required=True, help="the served model name")
    pred.add_argument("--signature", default=None,
                      help="signature name (the server's default: serving_default)")
    pred.add_argument("--version", type=int, default=None, help="a version number")
    pred.add_argument("--label", default=None, help="a version label, e.g. stable or canary")
    pred.add_argument("--input", required=True, metavar="CSV", help="one row per example")
    pred.add_argument("--input-name", default=None,
                      help="read every CSV column as one flat input of this name")
    pred.add_argument("--format", choices=("columnar", "row"), default="columnar",
                      help="request format: columnar (inputs) or row (instances)")
    pred.add_argument("--timeout", type=float, default=30.0, help="seconds to wait")
    actions = {"package": run_package, "check": run_check, "predict": run_predict}

    def dispatch(args):
        if args.serving_command not in actions:
            parser.print_help(sys.stderr)
            return 2
        return actions[args.serving_command](args)

    parser.set_defaults(func=dispatch)


def _labels(items):
    labels = {}
    for item in items:
        model, _, rest = item.partition(":")
        label, _, version = rest.partition("=")
        if not model or not label or not version.isdigit():
            raise ValueError(f"--label {item!r} must be MODEL:LABEL=VERSION, e.g. vib:stable=1")
        labels.setdefault(model, {})[label] = int(version)
    return labels


def run_package(args):
    labels = _labels(args.label)
    for arg in args.exports:
        path = arg.split("=", 1)[1] if "=" in arg and not os.path.exists(arg) else arg
        if not os.path.isdir(path):
            raise FileNotFoundError(f"export {arg!r} is not a directory: pass BASE/NAME or "
                                    "BASE/NAME/VERSION as written by ibtf's exports")
    from ibtf.serving.repository import package

    report = package(args.exports, args.out, policy=args.policy, labels=labels,
                     base_path=args.base_path)
    for name, model in report["models"].items():
        print(f"{name}: versions {model['versions']} (added {model['added']}), policy "
              f"{model['policy']}, labels {model['labels']}", file=sys.stderr)
        for version, missing in model["no_warmup"].items():
            for sig, why in missing.items():
                print(f"  version {version}: no warm-up for {sig}: {why}", file=sys.stderr)
    print(json.dumps(report, default=str))
    return 0


def run_check(args):
    if not os.path.isdir(args.repo):
        raise FileNotFoundError(f"REPO {args.repo!r} is not a directory: pass the --out of "
                                "`ibtf serving package`")
    for flag, value in (("--repeats", args.repeats), ("--jobs", args.jobs)):
        if value < 1:
            raise ValueError(f"{flag} {value} must be >= 1")
    if args.timeout <= 0:
        raise ValueError(f"--timeout {args.timeout} must be > 0")
    from ibtf.serving.repository import check

    report = check(args.repo, repeats=args.repeats, jobs=args.jobs, timeout=args.timeout)
    for name, model in report["models"].items():
        timing = "no timings" if model["p50_ms"] is None else \
            f"p50 {model['p50_ms']:.2f} ms, p99 {model['p99_ms']:.2f} ms"
        print(f"{name}: {'ok' if model['ok'] else 'FAILED'}, {len(model['versions'])} version(s),"
              f" {model['requests']} warm-up request(s), {timing}")
        for version, result in model["versions"].items():
            if not result.get("ok"):
                print(f"  version {version}: {result.get('error')}")
    print(json.dumps(report, default=str))
    return 0 if report["ok"] else 1


def run_predict(args):
    from ibtf.serving.client import predict, predict_url, read_inputs_csv

    predict_url(args.url, args.model, version=args.version, label=args.label)
    if args.timeout <= 0:
        raise ValueError(f"--timeout {args.timeout} must be > 0")
    inputs = read_inputs_csv(args.input, input_name=args.input_name)
    answer = predict(args.url, args.model, inputs, signature=args.signature,
                     version=args.version, label=args.label, fmt=args.format,
                     timeout=args.timeout)
    print(json.dumps(answer))
    return 0
