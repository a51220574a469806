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


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Appends "(default: X)" unless the help already states its default or the option is
    required."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text.lower() or action.required:
            return text
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """Every (sub)command's parser: --help shows each option's default, a usage error is one
    line on stderr with exit status 2 (argparse would print the usage block first)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        action = super().add_argument(*args, **kwargs)
        # ArgumentDefaultsHelpFormatter only shows defaults of options that have a help text.
        if action.option_strings and action.help is None and \
                action.default not in (None, argparse.SUPPRESS):
            action.help = "default: %(default)s"
        return action

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    parser = Parser(
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
