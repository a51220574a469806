"""TF Serving warm-up records: requests the server replays when it loads a version.

TF Serving reads ``assets.extra/tf_serving_warmup_requests`` (a TFRecord file of
``PredictionLog`` protos) on load and runs each request before serving traffic, so the first real
request does not pay for graph initialisation. The protos come from ``tensorflow-serving-api``
(the ``serving`` extra: ``pip install 'ibtf[serving]'``).
"""
import os

import numpy as np

from ibtf._keras import tf

__all__ = ["WARMUP_FILE", "write_warmup_requests", "write_warmup_log", "read_warmup_requests"]

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")


def _apis():
    try:
        from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2
    except ImportError:
        raise ImportError("warm-up records need tensorflow-serving-api: pip install "
                          "'ibtf[serving]' (or tensorflow-serving-api==2.14.1)") from None
    return model_pb2, predict_pb2, prediction_log_pb2


def write_warmup_requests(export_dir, model_name, inputs, signature_name="serving_default",
                          num_records=1):
    """Writes ``num_records`` copies of one predict request built from ``inputs``.

    Args:
      export_dir: the version directory (``base/name/<version>``).
      model_name: the name TF Serving serves the model under.
      inputs: dict of input name -> array (a small batch of typical requests).
      signature_name: the signature the request calls.
      num_records: how many times TF Serving replays the request.

    Returns:
      The path of the written file.
    """
    return write_warmup_log(export_dir, model_name, [(signature_name, inputs)] * num_records)


def write_warmup_log(export_dir, model_name, requests):
    """Writes the warm-up file of ``export_dir``: one ``PredictionLog`` per request.

    Args:
      export_dir: the version directory.
      model_name: the name TF Serving serves the model under.
      requests: list of ``(signature_name, {input name: array})``; float64 arrays are sent as
        float32 (the dtype of ibtf's signatures).

    Returns:
      The path of the written file (replaced atomically if it existed).
    """
    model_pb2, predict_pb2, prediction_log_pb2 = _apis()
    logs = []
    for signature_name, inputs in requests:
        if not isinstance(inputs, dict) or not inputs:
            raise TypeError("warm-up inputs must be a non-empty dict {input name: array}, got "
                            f"{type(inputs).__name__} for signature {signature_name!r}")
        request = predict_pb2.PredictRequest(
            model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature_name))
        for key, value in inputs.items():
            array = np.asarray(value)
            if array.dtype == np.float64:
                array = array.astype(np.float32)
            request.inputs[key].CopyFrom(tf.make_tensor_proto(array))
        logs.append(prediction_log_pb2.PredictionLog(
            predict_log=prediction_log_pb2.PredictLog(request=request)))
    path = os.path.join(export_dir, WARMUP_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with tf.io.TFRecordWriter(tmp) as writer:
        for log in logs:
            writer.write(log.SerializeToString())
    os.replace(tmp, path)
    return path


def read_warmup_requests(export_dir):
    """Returns the warm-up requests as a list of (signature_name, {input: numpy array}); an
    export without a warm-up file has none."""
    _, _, prediction_log_pb2 = _apis()
    requests = []
    path = os.path.join(export_dir, WARMUP_FILE)
    if not os.path.isfile(path):
        return requests
    for record in tf.data.TFRecordDataset(path):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        request = log.predict_log.request
        requests.append((request.model_spec.signature_name,
                         {k: tf.make_ndarray(v) for k, v in request.inputs.items()}))
    return requests
