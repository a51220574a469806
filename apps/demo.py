"""The main job (interim): a Deep VIB classifier on scikit-learn's bundled digits, exported.

Trains VIBClassifier (Alemi et al. 2017) at beta = 1e-3, prints held-out accuracy and the
information the code keeps (rate_nats upper-bounds I(Z;X); H(Y) - ce_nats lower-bounds I(Z;Y)),
and exports a SavedModel to saved_models/vib_digits/<version>/ for TF Serving.
"""
import argparse
import json
import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from ibtf._keras import keras  # noqa: E402
from ibtf.models import VIBClassifier  # noqa: E402
from ibtf.serving import export  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--beta", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="saved_models", help="export base directory")
    args = parser.parse_args(argv)

    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    idx = np.random.default_rng(args.seed).permutation(len(x))
    train, test = idx[:1400], idx[1400:]
    keras.utils.set_random_seed(args.seed)
    model = VIBClassifier(num_classes=10, latent_dim=32, beta=args.beta,
                          hidden_units=(256, 256), seed=args.seed)
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(x[train], data.target[train], epochs=args.epochs, batch_size=100, verbose=2)
    result = model.evaluate(x[test], data.target[test], verbose=0, return_dict=True)
    counts = np.bincount(data.target[test], minlength=10) / len(test)
    h_y = -float(np.sum(counts * np.log(counts)))
    path = export(model, args.out, "vib_digits")
    summary = {"test_accuracy": result["accuracy"], "rate_nats": result["rate_nats"],
               "iyz_lower_bound_nats": h_y - result["ce_nats"], "ln_num_classes": math.log(10),
               "export": path}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
