"""Loads one SavedModel version and replays its TF Serving warm-up requests.

Run as a script in a fresh process (``python -P _replay.py VERSION_DIR REPEATS``) by
``ibtf.serving.repository.check``. It imports TensorFlow and the serving protos only, never
ibtf or tensorflow_compression, so a version that passes here loads in the stock model server.
Prints one JSON object: ok, load_ms, requests, signatures, latencies_ms (one per timed call),
non_finite (outputs with NaN/Inf), ibtf_imported, error (one line) when not ok.
"""
import json
import os
import sys
import time


def replay(path, repeats):
    import numpy as np
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    out = {"ok": False, "path": path, "requests": 0, "signatures": [], "latencies_ms": [],
           "non_finite": []}
    start = time.perf_counter()
    loaded = tf.saved_model.load(path)
    out["load_ms"] = 1e3 * (time.perf_counter() - start)
    warmup = os.path.join(path, "assets.extra", "tf_serving_warmup_requests")
    if not os.path.isfile(warmup):
        out["error"] = "no assets.extra/tf_serving_warmup_requests: package it with " \
                       "`ibtf serving package`"
        return out
    for record in tf.data.TFRecordDataset(warmup):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        if log.WhichOneof("log_type") != "predict_log":
            out["error"] = f"a warm-up record is a {log.WhichOneof('log_type')}, not predict_log"
            return out
        request = log.predict_log.request
        key = request.model_spec.signature_name or "serving_default"
        if key not in loaded.signatures:
            out["error"] = f"a warm-up request names signature {key!r}, which the model lacks"
            return out
        fn = loaded.signatures[key]
        expected = set(fn.structured_input_signature[1])
        if set(request.inputs) != expected:
            out["error"] = (f"the warm-up request for {key!r} has inputs {sorted(request.inputs)}"
                            f", the signature takes {sorted(expected)}")
            return out
        inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
        outputs = fn(**inputs)                     # the server's warm-up call, untimed
        for name, value in outputs.items():
            value = value.numpy()
            if np.issubdtype(value.dtype, np.floating) and not np.all(np.isfinite(value)):
                out["non_finite"].append(f"{key}/{name}")
        for _ in range(repeats):
            tick = time.perf_counter()
            fn(**inputs)
            out["latencies_ms"].append(1e3 * (time.perf_counter() - tick))
        out["requests"] += 1
        out["signatures"].append(key)
    out["signatures"] = sorted(set(out["signatures"]))
    if not out["requests"]:
        out["error"] = "the warm-up file holds no requests"
    elif out["non_finite"]:
        out["error"] = f"non-finite outputs: {', '.join(out['non_finite'])}"
    else:
        out["ok"] = True
    return out


def main(argv):
    path, repeats = argv[0], int(argv[1])
    try:
        out = replay(path, repeats)
    except Exception as error:  # noqa: BLE001  any failure is reported, as one line
        out = {"ok": False, "path": path,
               "error": f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"}
    out["ibtf_imported"] = any(m == "ibtf" or m.startswith("ibtf.") for m in sys.modules)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
