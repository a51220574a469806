"""Every `ibtf` subcommand: --help shows defaults; bad input is one stderr line, exit status 2,
no traceback and no TensorFlow log line."""
import argparse
import json
import os
import subprocess
import sys
import textwrap

from ibtf.cli.main import build_parser


def _leaves(parser, path=()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, child in subs[0].choices.items():
        yield from _leaves(child, path + (name,))


def test_every_help_shows_the_defaults():
    leaves = dict(_leaves(build_parser()))
    assert ("serving", "package") in leaves and ("forecast", "fit") in leaves
    for path, parser in leaves.items():
        text = " ".join(parser.format_help().split())
        for action in parser._actions:
            if not action.option_strings or action.required or isinstance(
                    action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            if action.default in (None, argparse.SUPPRESS, False):
                continue
            help_text = " ".join((action.help or "").split())
            assert "default" in help_text.lower() or f"default: {action.default}" in text, \
                f"ibtf {' '.join(path)} {action.option_strings[0]} hides its default"


def _bad_inputs(tmp):
    missing = os.path.join(tmp, "missing")
    empty_csv = os.path.join(tmp, "empty.csv")
    return {
        "info": ["info", missing],
        "theory plot": ["theory", "plot", "rd", "--out", os.path.join(tmp, "t.png"),
                        "--resolution", "0"],
        "mi": ["mi", missing + ".csv", "--x", "a", "--y", "b"],
        "forecast fit": ["forecast", "fit", missing + ".csv", "--source", "a", "--target", "b"],
        "forecast predict": ["forecast", "predict", missing, missing + ".csv"],
        "forecast backtest": ["forecast", "backtest", empty_csv, "--source", "a", "--target",
                              "b"],
        "forecast plot": ["forecast", "plot", missing, missing + ".csv", "--out", "x.png"],
        "forecast stream": ["forecast", "stream", missing, "--input", missing + ".csv"],
        "forecast online": ["forecast", "online", missing + ".csv", "--source", "a",
                            "--target", "b"],
        "forecast (usage)": ["forecast", "fit"],
        "codec train": ["codec", "train", "--data", "digits", "--epochs", "0", "--out",
                        os.path.join(tmp, "c")],
        "codec eval": ["codec", "eval", missing, "digits"],
        "codec plot": ["codec", "plot", missing + ".jsonl", "-o", os.path.join(tmp, "p.png")],
        "compress": ["compress", missing + ".png", "-o", os.path.join(tmp, "f")],
        "decompress": ["decompress", missing + ".ibtc", "-o", os.path.join(tmp, "x.png")],
        "zoo list": ["zoo", "list", "--bogus"],
        "zoo check": ["zoo", "check", "no_such_model"],
        "agents collect": ["agents", "collect", "--policy", "clever", "--out",
                           os.path.join(tmp, "a.csv")],
        "serving package": ["serving", "package", missing, "--out", os.path.join(tmp, "r")],
        "serving check": ["serving", "check", missing],
        "serving predict": ["serving", "predict", "--model", "m", "--input", empty_csv,
                            "--url", "ftp://host"],
    }


# All invocations run in one fresh process (TensorFlow is imported once): a marker line on
# stderr separates them, and the parent checks each command's stderr share.
RUNNER = textwrap.dedent("""
    import json, sys
    from ibtf.cli.main import main
    codes = {}
    for name, argv in json.loads(sys.argv[1]).items():
        print(f"=== {name}", file=sys.stderr, flush=True)
        try:
            codes[name] = main(argv)
        except SystemExit as stop:
            codes[name] = stop.code
        sys.stderr.flush()
    print(json.dumps(codes))
""")


def test_every_command_rejects_bad_input_with_one_line(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    cases = _bad_inputs(str(tmp_path))
    leaves = {" ".join(p) for p, _ in _leaves(build_parser())}
    assert leaves <= set(cases), f"add a bad-input case for {sorted(leaves - set(cases))}"
    env = {**os.environ}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)    # the CLI must silence TensorFlow by itself
    result = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(cases)],
                            capture_output=True, text=True, env=env, timeout=600,
                            cwd=str(tmp_path))
    codes = json.loads(result.stdout.strip().splitlines()[-1])
    chunks = result.stderr.split("=== ")
    assert chunks[0].strip() == "", f"stderr before the first command: {chunks[0][-2000:]}"
    for chunk in chunks[1:]:
        name, _, err = chunk.partition("\n")
        lines = [line for line in err.splitlines() if line.strip()]
        assert codes[name] == 2, (name, codes[name], err[-2000:])
        assert len(lines) == 1, (name, lines)
        assert lines[0].startswith("ibtf") and ": error: " in lines[0], (name, lines[0])
