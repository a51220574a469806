"""TF Serving warm-up records: requests the server replays when it loads a version.

TF Serving reads ``assets.extra/tf_serving_warmup_requests`` (a TFRecord file of
``PredictionLog`` protos) on load and runs each request before serving traffic, so the first real
request does not pay for graph initialisation. The protos come from ``tensorflow-serving-api``
(the ``serving`` extra: ``pip install 'ibtf[serving]'``).
"""
import os

import numpy as np

from ibtf._keras import tf

__all__ = ["WARMUP_FILE", "write_warmup_requests", "read_warmup_requests"]

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
    model_pb2, predict_pb2, prediction_log_pb2 = _apis()
    if not isinstance(inputs, dict) or not inputs:
        raise TypeError("warm-up inputs must be a non-empty dict {input name: array}")
    request = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature_name))
    for key, value in inputs.items():
        array = np.asarray(value)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        request.inputs[key].CopyFrom(tf.make_tensor_proto(array))
    log = prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request))
    path = os.path.join(export_dir, WARMUP_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for _ in range(num_records):
            writer.write(log.SerializeToString())
    return path


def read_warmup_requests(export_dir):
    """Returns the warm-up requests as a list of (signature_name, {input: numpy array})."""
    _, _, prediction_log_pb2 = _apis()
    requests = []
    for record in tf.data.TFRecordDataset(os.path.join(export_dir, WARMUP_FILE)):
        log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        request = log.predict_log.request
        requests.append((request.model_spec.signature_name,
                         {k: tf.make_ndarray(v) for k, v in request.inputs.items()}))
    return requests
