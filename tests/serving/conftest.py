"""A test-only stand-in for TF Serving's REST API, serving a model repository on 127.0.0.1.

It decodes requests as TF Serving documents them (https://www.tensorflow.org/tfx/serving/
api_rest): ``POST /v1/models/NAME[/versions/N | /labels/L]:predict`` with a JSON body holding
``signature_name`` (default ``serving_default``) and exactly one of ``instances`` (row format: a
list of values for a one-input signature, else of ``{input: value}`` objects) or ``inputs``
(columnar: a value for one input, else ``{input: batch}``); it answers ``{"predictions": [...]}``
(a value per row for one output, else objects) or ``{"outputs": ...}`` (the batch alone for one
output), errors as ``{"error": "..."}`` with status 400/404, and ``GET /v1/models/NAME`` with the
model's version status. Models, versions and labels come from the repository's models.config;
no version or label means the newest served version. Never shipped: a fixture only.
"""
import http.server
import json
import os
import re
import threading

import numpy as np
import pytest

from ibtf._keras import tf
from ibtf.serving.export import list_versions
from ibtf.serving.repository import model_dirs, read_models_config, served_versions

_PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(/versions/(?P<version>\d+)|"
                   r"/labels/(?P<label>[^/:]+))?(?P<verb>:predict)?$")


class _Error(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class _Repository:
    def __init__(self, repo):
        config = read_models_config(repo)
        self.entries = {e.name: e for e in config.model_config_list.config}
        self.dirs = model_dirs(repo, config)
        self.loaded = {}

    def served(self, name):
        if name not in self.entries:
            raise _Error(404, f"Servable not found for request: Latest({name})")
        return served_versions(self.entries[name], list_versions(self.dirs[name]))

    def version(self, name, version, label):
        served = self.served(name)
        if label is not None:
            labels = dict(self.entries[name].version_labels)
            if label not in labels:
                raise _Error(404, f"Unrecognized servable version label: {label}")
            version = labels[label]
        version = served[-1] if version is None else int(version)
        if version not in served:
            raise _Error(404, f"Servable not found for request: Specific({name}, {version})")
        key = (name, version)
        if key not in self.loaded:
            self.loaded[key] = tf.saved_model.load(os.path.join(self.dirs[name], str(version)))
        return self.loaded[key]


def _decode(body, fn):
    specs = fn.structured_input_signature[1]
    names = sorted(specs)
    has_rows, has_columns = "instances" in body, "inputs" in body
    if has_rows == has_columns:
        raise _Error(400, "JSON Value must contain exactly one of 'instances' or 'inputs'")
    if has_rows:
        rows = body["instances"]
        if not isinstance(rows, list) or not rows:
            raise _Error(400, "'instances' must be a non-empty JSON list")
        if all(isinstance(r, dict) for r in rows):
            if any(set(r) != set(names) for r in rows):
                raise _Error(400, f"every instance must name the inputs {names}")
            columns = {k: [r[k] for r in rows] for k in names}
        elif len(names) == 1:
            columns = {names[0]: rows}
        else:
            raise _Error(400, f"the signature takes {names}: instances must be objects")
    else:
        value = body["inputs"]
        columns = value if isinstance(value, dict) else (
            {names[0]: value} if len(names) == 1 else None)
        if columns is None or set(columns) != set(names):
            raise _Error(400, f"'inputs' must name the signature's inputs {names}")
    tensors = {}
    for k, v in columns.items():
        try:
            tensors[k] = tf.constant(np.asarray(v, specs[k].dtype.as_numpy_dtype))
        except (ValueError, TypeError) as error:
            raise _Error(400, f"input {k!r}: {error}") from None
    return tensors, has_rows


def _encode(outputs, rows):
    arrays = {k: v.numpy().tolist() for k, v in outputs.items()}
    if not rows:
        return {"outputs": next(iter(arrays.values())) if len(arrays) == 1 else arrays}
    sizes = {len(v) for v in arrays.values()}
    if len(sizes) != 1:
        raise _Error(400, "row format needs every output to share the batch size; use 'inputs'")
    if len(arrays) == 1:
        return {"predictions": next(iter(arrays.values()))}
    return {"predictions": [{k: v[i] for k, v in arrays.items()} for i in range(sizes.pop())]}


def _handler(repository, log):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):   # quiet
            pass

        def _answer(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self):
            match = _PATH.match(self.path)
            if not match:
                raise _Error(404, f"Malformed request: {self.command} {self.path}")
            return match

        def do_GET(self):
            try:
                match = self._route()
                served = repository.served(match["name"])
                self._answer(200, {"model_version_status": [
                    {"version": str(v), "state": "AVAILABLE",
                     "status": {"error_code": "OK", "error_message": ""}} for v in served]})
            except _Error as error:
                self._answer(error.status, {"error": str(error)})

        def do_POST(self):
            try:
                match = self._route()
                if not match["verb"]:
                    raise _Error(404, f"Malformed request: POST {self.path}")
                try:
                    body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                except ValueError as error:
                    raise _Error(400, f"JSON Parse error: {error}") from None
                if not isinstance(body, dict):
                    raise _Error(400, "the request body must be a JSON object")
                model = repository.version(match["name"], match["version"], match["label"])
                signature = body.get("signature_name", "serving_default")
                if signature not in model.signatures:
                    raise _Error(400, f"Serving signature name: \"{signature}\" not found in "
                                      "signature def")
                fn = model.signatures[signature]
                inputs, rows = _decode(body, fn)
                log.append({"path": self.path, "body": body})
                self._answer(200, _encode(fn(**inputs), rows))
            except _Error as error:
                self._answer(error.status, {"error": str(error)})

    return Handler


@pytest.fixture
def rest_server():
    """Factory: rest_server(repo) -> (base URL, request log), served until the test ends."""
    servers = []

    def start(repo):
        log = []
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                 _handler(_Repository(repo), log))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", log

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
