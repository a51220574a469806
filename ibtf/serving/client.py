"""A client for TF Serving's REST predict API, ``POST /v1/models/NAME[...]:predict``.

Request bodies follow TF Serving's documented REST API:

* row ("instances") format: ``{"signature_name": S, "instances": [row, ...]}`` where a row is a
  value when the signature has one input and ``{input: value}`` otherwise; the answer is
  ``{"predictions": [row, ...]}`` (a value per row for one output, else ``{output: value}``).
* columnar ("inputs") format: ``{"signature_name": S, "inputs": {input: batch}}`` (or the batch
  alone for one input); the answer is ``{"outputs": {output: batch}}`` (or the batch alone).

``/versions/N`` or ``/labels/L`` after the model name picks a version. Only the standard
library is used for HTTP (urllib, json).
"""
import json
import re
import urllib.error
import urllib.request

import numpy as np

__all__ = ["predict", "predict_url", "read_inputs_csv", "to_outputs"]

_COLUMN = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)(\[(?P<index>[0-9, ]+)\])?$")


def predict_url(url, model, version=None, label=None):
    """The predict endpoint of ``model`` (a version or a label, not both)."""
    if not isinstance(url, str) or not re.match(r"^https?://", url):
        raise ValueError(f"--url {url!r} must start with http:// or https:// (TF Serving's REST "
                         "port, e.g. http://localhost:8501)")
    if not isinstance(model, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", model):
        raise ValueError(f"--model {model!r} must be a served model name (letters, digits, "
                         "'.', '_', '-')")
    if version is not None and label is not None:
        raise ValueError("pass a version or a label, not both")
    path = f"{url.rstrip('/')}/v1/models/{model}"
    if version is not None:
        if isinstance(version, bool) or int(version) < 1:
            raise ValueError(f"--version {version!r} must be a positive integer")
        path += f"/versions/{int(version)}"
    elif label is not None:
        path += f"/labels/{label}"
    return path + ":predict"


def read_inputs_csv(path, input_name=None):
    """Reads request inputs from a CSV file: one row per example.

    Column headers name the input and, in brackets, the index into its per-example shape:
    ``features[0]``, ``features[1]``, ... make ``features`` [B, 2]; ``history[0,1]`` is
    element (0, 1) of ``history`` [B, L, d]; a bare header ``x`` is a per-example scalar
    ``x`` [B]. With ``input_name``, every column is one flat input ``input_name`` [B, columns].

    Returns:
      {input name: float32 array}.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"--input {path!r} does not exist: pass a CSV file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"--input {path!r} is not a readable CSV ({str(error).strip()}): "
                         "write one header row and one row per example") from None
    if frame.empty:
        raise ValueError(f"--input {path!r} has no rows: give one row per example")
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise ValueError(f"--input {path!r} has non-numeric column(s) {bad[:5]}: the REST "
                         "inputs must be numbers")
    values = frame.to_numpy(np.float32)
    if not np.all(np.isfinite(values)):
        row = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
        raise ValueError(f"--input {path!r} has a missing or infinite value in data row {row + 1}"
                         ": fill it in or drop the row")
    if input_name is not None:
        return {input_name: values}
    groups = {}
    for j, column in enumerate(frame.columns):
        match = _COLUMN.match(str(column).strip())
        if not match:
            raise ValueError(f"--input {path!r} column {column!r} is not NAME or NAME[i,j,...]: "
                             "rename it, or pass --input-name NAME to read every column as one "
                             "flat input")
        index = match.group("index")
        index = () if index is None else tuple(int(i) for i in index.split(","))
        groups.setdefault(match.group("name"), {})
        if index in groups[match.group("name")]:
            raise ValueError(f"--input {path!r} repeats column {column!r}")
        groups[match.group("name")][index] = j
    out = {}
    for name, cells in groups.items():
        ranks = {len(i) for i in cells}
        if len(ranks) != 1:
            raise ValueError(f"--input {path!r} mixes index ranks for input {name!r}: use "
                             f"{name}[i] or {name}[i,j] throughout")
        shape = tuple(max(i[k] for i in cells) + 1 for k in range(ranks.pop()))
        if len(cells) != int(np.prod(shape)):
            raise ValueError(f"--input {path!r} has {len(cells)} columns for {name!r} but its "
                             f"indices span shape {list(shape)}: give every element")
        array = np.zeros((len(frame), *shape), np.float32)
        for index, j in cells.items():
            array[(slice(None), *index)] = values[:, j]
        out[name] = array
    return out


def _request_body(inputs, signature, fmt):
    inputs = {k: np.asarray(v).tolist() for k, v in inputs.items()}
    body = {} if signature is None else {"signature_name": signature}
    if fmt == "columnar":
        body["inputs"] = next(iter(inputs.values())) if len(inputs) == 1 else inputs
    elif fmt == "row":
        sizes = {k: len(v) for k, v in inputs.items()}
        if len(set(sizes.values())) != 1:
            raise ValueError(f"row format needs the same batch size for every input, got {sizes}"
                             ": use --format columnar or equal batches")
        batch = next(iter(sizes.values()))
        if len(inputs) == 1:
            body["instances"] = next(iter(inputs.values()))
        else:
            body["instances"] = [{k: v[i] for k, v in inputs.items()} for i in range(batch)]
    else:
        raise ValueError(f"format {fmt!r} must be 'row' (instances) or 'columnar' (inputs)")
    return body


def to_outputs(response):
    """A predict response in either format -> {output name: array}; a single unnamed output
    (TF Serving omits the name when there is one) is returned under ``"output"``."""
    if "outputs" in response:
        outputs = response["outputs"]
        return {k: np.asarray(v) for k, v in outputs.items()} if isinstance(outputs, dict) \
            else {"output": np.asarray(outputs)}
    rows = response.get("predictions")
    if rows is None:
        raise ValueError(f"the server's answer has neither 'outputs' nor 'predictions': "
                         f"{str(response)[:200]}")
    if rows and isinstance(rows[0], dict):
        return {k: np.asarray([row[k] for row in rows]) for k in rows[0]}
    return {"output": np.asarray(rows)}


def predict(url, model, inputs, *, signature=None, version=None, label=None,
            fmt="columnar", timeout=30.0):
    """Posts one predict request and returns the decoded JSON answer.

    Args:
      url: the server's REST root, e.g. ``http://localhost:8501``.
      model: the served model name.
      inputs: {input name: array}, batch first.
      signature: the signature name (the server's default: ``serving_default``).
      version, label: pick a version by number or by label (``stable``, ``canary``).
      fmt: ``"columnar"`` (``inputs``) or ``"row"`` (``instances``).
      timeout: seconds to wait for the answer.

    Raises:
      ValueError: the server answered with an error (its message is in the text) or could not
        be reached.
    """
    endpoint = predict_url(url, model, version=version, label=label)
    if not isinstance(inputs, dict) or not inputs:
        raise TypeError("inputs must be a non-empty dict {input name: array}")
    data = json.dumps(_request_body(inputs, signature, fmt)).encode()
    request = urllib.request.Request(endpoint, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read().decode())
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read().decode()).get("error", "")
        except (ValueError, AttributeError):
            message = ""
        message = " ".join(str(message).split()) or error.reason
        raise ValueError(f"{endpoint} answered HTTP {error.code}: {message}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ValueError(f"cannot reach {endpoint} ({reason}): is the model server running "
                         "and --url its REST port (8501 by default)?") from None
