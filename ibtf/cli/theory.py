"""``ibtf theory``: exact information theory from the command line.

``ibtf theory plot {rdc,rpc,rd} [options] --out FILE.png`` draws contour plots of the closed
forms in :mod:`ibtf.theory` (rates in nats).
"""

import os
import tempfile

__all__ = ["add_parser", "run_plot"]


def add_parser(subparsers):
    """Adds ``theory`` with its ``plot`` action to the ``ibtf`` command."""
    parser = subparsers.add_parser(
        "theory",
        help="closed-form information theory (plots)",
        description=__doc__.split("\n\n")[0],
    )
    actions = parser.add_subparsers(dest="theory_action", metavar="ACTION")
    plot = actions.add_parser(
        "plot",
        help="contour plot of R(D,C), R(P,C) or R(D,P)",
        description="Contour plot of a rate function (nats) written to a PNG.",
    )
    plot.add_argument(
        "function",
        choices=("rdc", "rpc", "rd"),
        help="rdc: R(D,C); rpc: R(P,C); rd: Gaussian R(D,P) with squared-W2 perception",
    )
    plot.add_argument("--out", required=True, help="output PNG path")
    plot.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    plot.add_argument(
        "--source",
        choices=("gaussian", "binary"),
        default="gaussian",
        help="rdc only: Gaussian or binary source (default gaussian)",
    )
    plot.add_argument("--var-x", type=float, default=1.0, help="source variance (Gaussian)")
    plot.add_argument("--var-s", type=float, default=1.0, help="label variance (Gaussian)")
    plot.add_argument("--rho", type=float, default=0.9, help="correlation of X and S (Gaussian)")
    plot.add_argument("--p", type=float, default=0.5, help="P(X = 1) (binary)")
    plot.add_argument("--eps", type=float, default=0.1, help="label flip probability (binary)")
    plot.add_argument(
        "--divergence",
        choices=("kl", "reverse_kl", "w2"),
        default="kl",
        help="rpc only: perception divergence",
    )
    plot.add_argument(
        "--max-perception",
        type=float,
        default=None,
        help="upper end of the perception axis (rpc, rd)",
    )
    plot.add_argument("--resolution", type=int, default=120, help="grid points per axis")
    plot.set_defaults(func=run_plot)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
    return parser


def run_plot(args):
    """Draws the requested figure and writes it atomically to ``args.out``."""
    from ibtf.theory import plots

    out = args.out
    if not out.lower().endswith(".png"):
        raise ValueError(f"--out must name a .png file, got {out!r}")
    if os.path.exists(out) and not args.overwrite:
        raise FileExistsError(f"--out {out!r} exists; pass --overwrite to replace it")
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"--out folder {folder!r} does not exist; create it first")
    if args.function == "rdc":
        fig = plots.plot_rdc(
            args.source,
            args.var_x,
            args.var_s,
            args.rho,
            args.p,
            args.eps,
            resolution=args.resolution,
        )
    elif args.function == "rpc":
        fig = plots.plot_rpc(
            args.var_x,
            args.var_s,
            args.rho,
            args.divergence,
            max_perception=args.max_perception or 1.0,
            resolution=args.resolution,
        )
    else:
        fig = plots.plot_rdp(args.var_x, args.max_perception, resolution=args.resolution)
    # Write next to the target, then rename: a crash never leaves a half-written PNG.
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=folder)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        fig.savefig(tmp, format="png")
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual file mode
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
        import matplotlib.pyplot as plt

        plt.close(fig)
    print(out)
    return 0
