"""The ``ibtf`` command: one module per subcommand, thin over the library.

Each subcommand module exposes ``add_parser(subparsers)``, which adds its parser and sets
``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit status).
Bad input raises ``ValueError``/``TypeError``/``FileNotFoundError``/``FileExistsError`` in the
library; here it becomes one line on stderr and exit status 2, with no traceback.
"""
import argparse
import importlib
import sys

import ibtf

# Subcommand modules under ibtf.cli, in the order `ibtf --help` lists them.
SUBCOMMANDS = ("info", "theory", "mi", "forecast", "codec", "compress", "decompress", "zoo",
               "serving", "agents")

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, FileExistsError, NotADirectoryError)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="ibtf",
        description="Variational information bottlenecks for TensorFlow/Keras.",
    )
    parser.add_argument("--version", action="version", version=f"ibtf {ibtf.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"ibtf.cli.{name}").add_parser(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as error:
        print(f"ibtf {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ibtf {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
