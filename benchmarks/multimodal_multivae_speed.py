"""Training steps/s of ibtf's multivae-protocol MVAE, MMVAE and MoPoE against MultiVae 1.0.3's,
measured as ratios in one run.

Both sides train the protocol's networks (64-512-512 experts, 16-512-512-64 decoders,
Bernoulli, batch 64, Adam 1e-3; MMVAE K = 10) on the f = 1 digits pairing with the same
number of CPU threads. ibtf: ``protocol.build`` and Keras ``fit`` on the arrays, as
``protocol.train`` feeds them; MultiVae: a bare PyTorch loop
(``multimodal_multivae_reference.py time``, no trainer overhead, which favours MultiVae).
Each timing runs in its own process and counts steps after one warm-up epoch (tracing). The
two libraries alternate within each round (which goes first alternates between rounds), so
both see the same load; the table gives the medians over rounds, the median of the per-round
ratios, and the load average seen.

A variant's name (``MoPoE-one``) is timed against MultiVae's model of its first part
(``MoPoE``).

Usage: python -m benchmarks.multimodal_multivae_speed --multivae-python VENV/bin/python
       [--rounds 3] [--steps 200] [--threads 1] [--models MVAE MMVAE MoPoE]
(the comparison venv: ``python3.11 -m venv VENV && VENV/bin/pip install multivae==1.0.3``).
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "multimodal_multivae_reference.py")


def time_ibtf(name, steps, threads, batch=64):
    """steps/s of ibtf's protocol model ``name`` (one JSON line on stdout)."""
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    from ibtf.data import digits_pairs, with_paired_fraction
    from ibtf.models.multimodal import protocol
    train, _ = digits_pairs(seed=0)
    data = with_paired_fraction(train, 1.0, seed=0).as_dict()
    model = protocol.build(name, "multivae", 0)
    per_epoch = -(-len(data["mask"]) // batch)
    model.fit(data, batch_size=batch, epochs=1, shuffle=True, verbose=0)
    epochs = max(1, round(steps / per_epoch))
    start = time.perf_counter()
    model.fit(data, batch_size=batch, epochs=epochs, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    print(json.dumps({"library": "ibtf", "model": name, "steps": epochs * per_epoch,
                      "threads": threads, "steps_per_s": epochs * per_epoch / seconds}))


def _run(command):
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def compare(args):
    import numpy as np
    os.makedirs(args.dir, exist_ok=True)
    if not os.path.exists(os.path.join(args.dir, "data.npz")):
        subprocess.run([sys.executable, REFERENCE, "export", "--dir", args.dir], check=True)
    ours = [sys.executable, "-m", "benchmarks.multimodal_multivae_speed", "ibtf"]
    theirs = [args.multivae_python, REFERENCE, "time", "--dir", args.dir]
    rows = []
    for r in range(args.rounds):
        for name in args.models:
            common = ["--steps", str(args.steps), "--threads", str(args.threads)]
            order = [("ibtf", ours + ["--model", name] + common),
                     ("multivae", theirs + ["--model", name.split("-")[0]] + common)]
            if r % 2:
                order.reverse()
            for library, command in order:
                load = os.getloadavg()[0]
                row = _run(command)
                row["model"] = name
                row.update({"round": r, "load_before": load, "load_after": os.getloadavg()[0]})
                rows.append(row)
                print(json.dumps(row), flush=True)
    table = ["| model | ibtf steps/s (median) | MultiVae steps/s (median) | ratio ibtf / "
             "MultiVae (median of rounds) | per-round ratios | load average |",
             "|---|---|---|---|---|---|"]
    for name in args.models:
        mine = {r["round"]: r["steps_per_s"] for r in rows
                if r["model"] == name and r["library"] == "ibtf"}
        ref = {r["round"]: r["steps_per_s"] for r in rows
               if r["model"] == name and r["library"] == "multivae"}
        ratios = [mine[k] / ref[k] for k in sorted(mine)]
        loads = [r["load_before"] for r in rows if r["model"] == name]
        table.append(f"| {name} | {np.median(list(mine.values())):.1f} | "
                     f"{np.median(list(ref.values())):.1f} | {np.median(ratios):.2f} | "
                     f"{', '.join(f'{x:.2f}' for x in ratios)} | "
                     f"{min(loads):.1f}-{max(loads):.1f} |")
    print("\n".join(table))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "steps": args.steps, "rows": rows}, f, indent=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("mode", nargs="?", default="compare", choices=["compare", "ibtf"],
                        help="ibtf: time one ibtf model (used by compare)")
    parser.add_argument("--multivae-python", default=None,
                        help="compare: the python of a venv with multivae==1.0.3")
    parser.add_argument("--models", nargs="+", default=["MVAE", "MMVAE", "MoPoE"])
    parser.add_argument("--model", default="MVAE", help="ibtf: the model")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dir", default="multivae_reference",
                        help="the digits pairing for MultiVae (written if missing)")
    parser.add_argument("--json", default="benchmarks/results/multimodal_multivae_speed.json")
    args = parser.parse_args(argv)
    if args.mode == "ibtf":
        time_ibtf(args.model, args.steps, args.threads)
        return
    if not args.multivae_python:
        raise ValueError("--multivae-python is required: the python of a venv with "
                         "multivae==1.0.3 (python3.11 -m venv VENV && VENV/bin/pip install "
                         "multivae==1.0.3)")
    compare(args)


if __name__ == "__main__":
    main()
