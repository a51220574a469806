"""A TF Serving model repository: numbered versions, ``models.config`` and warm-up requests.

``package`` assembles a directory that the stock model server serves unchanged::

    REPO/
      models.config                      ModelServerConfig, text format (tensorflow-serving-api)
      NAME/                              one model per export
        1/  saved_model.pb  variables/  assets.extra/tf_serving_warmup_requests
        2/  ...                                      (PredictionLog records, one per signature)

    tensorflow_model_server --model_config_file=REPO/models.config          (base_path /models/NAME)

``check`` loads every served version in a fresh Python process that imports TensorFlow and the
serving protos only (as the model server would: no ibtf, no tensorflow_compression), replays its
warm-up requests through the named signatures, checks that every floating output is finite and
reports p50/p99 latency per model.

Warm-up requests are the export's own examples when it has them (``export(...,
warmup_inputs=...)`` writes them), and otherwise one probe per signature built from the
signature's input specs (uniform [0, 1) floats, ones for integers; unknown batch dims 2, other
unknown dims 16). A probe that does not run is left out (a failing warm-up request makes the
model server refuse the version), and the report says which signature has none.
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from ibtf.serving.export import _NAME, list_versions

__all__ = ["MODELS_CONFIG", "package", "check", "read_models_config", "write_models_config",
           "served_versions", "signature_specs", "custom_ops", "model_dirs"]

MODELS_CONFIG = "models.config"
DEFAULT_BASE_PATH = "/models"
_LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_REPLAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_replay.py")
_PROBE_BATCH, _PROBE_DIM = 2, 16


def _config_pb2():
    try:
        from tensorflow_serving.config import model_server_config_pb2
    except ImportError:
        raise ImportError("the model repository needs tensorflow-serving-api: pip install "
                          "'ibtf[serving]' (or tensorflow-serving-api==2.14.1)") from None
    return model_server_config_pb2


def read_models_config(path):
    """Parses ``path`` (``REPO`` or ``REPO/models.config``) into a ``ModelServerConfig``."""
    from google.protobuf import text_format

    if os.path.isdir(path):
        path = os.path.join(path, MODELS_CONFIG)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no {MODELS_CONFIG} at {path!r}: pass a repository written by "
                                "`ibtf serving package`")
    config = _config_pb2().ModelServerConfig()
    with open(path) as f:
        text = f.read()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError as error:
        raise ValueError(f"{path!r} is not a ModelServerConfig in text format ({error}); "
                         "rewrite it with `ibtf serving package`") from None
    return config


def write_models_config(config, path):
    """Writes ``config`` in TF Serving's text format, atomically (temp file, then rename)."""
    from google.protobuf import text_format

    if os.path.isdir(path):
        path = os.path.join(path, MODELS_CONFIG)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text_format.MessageToString(config))
    os.replace(tmp, path)
    return path


def _meta_graph(version_dir):
    from tensorflow.core.protobuf import saved_model_pb2

    path = os.path.join(version_dir, "saved_model.pb")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{version_dir!r} holds no saved_model.pb: pass an export "
                                "directory BASE/NAME or BASE/NAME/VERSION")
    saved = saved_model_pb2.SavedModel()
    with open(path, "rb") as f:
        saved.ParseFromString(f.read())
    for graph in saved.meta_graphs:
        if "serve" in graph.meta_info_def.tags:
            return graph
    raise ValueError(f"{version_dir!r} has no MetaGraph tagged 'serve', which TF Serving "
                     "loads: export with tf.saved_model.save (ibtf.serving.export)")


def signature_specs(version_dir):
    """{signature: {"inputs": {name: (numpy dtype, shape)}, "outputs": {...}}} read from
    ``saved_model.pb`` (no graph is loaded); unknown dims are None, an unknown rank is None."""
    from ibtf._keras import tf

    def spec(info):
        dtype = tf.dtypes.as_dtype(info.dtype).as_numpy_dtype
        if info.tensor_shape.unknown_rank:
            return dtype, None
        return dtype, [None if d.size < 0 else int(d.size) for d in info.tensor_shape.dim]

    out = {}
    for key, sig in _meta_graph(version_dir).signature_def.items():
        if key.startswith("__"):        # e.g. __saved_model_init_op
            continue
        out[key] = {"inputs": {k: spec(v) for k, v in sorted(sig.inputs.items())},
                    "outputs": {k: spec(v) for k, v in sorted(sig.outputs.items())}}
    return out


def custom_ops(version_dir):
    """Op types the export's graph uses that stock TensorFlow (hence TF Serving) lacks."""
    from tensorflow.python.framework import op_def_registry

    foreign = set()
    if "tensorflow_compression" in sys.modules:   # registered here, absent from the server
        from tensorflow_compression.python.ops import gen_ops
        foreign = {n for n in dir(gen_ops) if n[:1].isupper() and not n.startswith("TV_")}
    used = {op.name for op in _meta_graph(version_dir).meta_info_def.stripped_op_list.op}
    return sorted(op for op in used if op in foreign or op_def_registry.get(op) is None)


def _probe(specs, seed):
    rng = np.random.default_rng(seed)
    arrays = {}
    for name, (dtype, shape) in specs.items():
        if shape is None:
            return None
        shape = [(_PROBE_BATCH if i == 0 else _PROBE_DIM) if d is None else d
                 for i, d in enumerate(shape)]
        if np.issubdtype(dtype, np.floating):
            arrays[name] = rng.uniform(size=shape).astype(dtype)
        elif np.issubdtype(dtype, np.integer):
            arrays[name] = np.ones(shape, dtype)
        else:
            return None
    return arrays


def _warmup_requests(version_dir, specs):
    """The version's own warm-up requests, plus a probe for each signature they miss.
    Returns (requests, {signature: why it has no request})."""
    from ibtf._keras import tf
    from ibtf.serving.warmup import read_warmup_requests

    own = [(sig or "serving_default", inputs) for sig, inputs in
           read_warmup_requests(version_dir)]
    loaded = tf.saved_model.load(version_dir)
    requests, missing = [], {}
    for sig, inputs in own:
        if sig not in specs:
            raise ValueError(f"{version_dir!r} has a warm-up request for signature {sig!r}, "
                             f"which it lacks ({sorted(specs)}): re-export it")
        requests.append((sig, inputs))
    covered = {sig for sig, _ in requests}
    for index, sig in enumerate(sorted(specs)):
        if sig in covered:
            continue
        if not specs[sig]["inputs"]:
            missing[sig] = "no inputs (TF Serving's predict API needs one)"
            continue
        inputs = _probe(specs[sig]["inputs"], seed=index)
        if inputs is None:
            missing[sig] = "an input of unknown rank or non-numeric dtype"
            continue
        try:
            loaded.signatures[sig](**{k: tf.constant(v) for k, v in inputs.items()})
        except (tf.errors.OpError, ValueError, TypeError) as error:
            missing[sig] = f"the probe from its input specs failed: {str(error).splitlines()[0]}"
            continue
        requests.append((sig, inputs))
    return requests, missing


def _resolve_export(arg):
    """'PATH' or 'NAME=PATH' -> (name, {version: version_dir})."""
    name = None
    if "=" in arg and _NAME.match(arg.split("=", 1)[0]):
        name, arg = arg.split("=", 1)
    path = os.path.normpath(arg)
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        version = os.path.basename(path)
        if not version.isdigit() or int(version) < 1:
            raise ValueError(f"export {arg!r} holds a SavedModel but its directory name is not "
                             "a version number: pass BASE/NAME/VERSION or BASE/NAME")
        versions = {int(version): path}
        default = os.path.basename(os.path.dirname(path))
    else:
        found = list_versions(path)
        if not found:
            raise FileNotFoundError(f"export {arg!r} holds no saved_model.pb and no numeric "
                                    "version directories: pass BASE/NAME or BASE/NAME/VERSION "
                                    "as written by ibtf.serving.export")
        versions = {v: os.path.join(path, str(v)) for v in found}
        default = os.path.basename(path)
    name = name or default
    if not _NAME.match(name):
        raise ValueError(f"model name {name!r} (from {arg!r}) is not valid for TF Serving: "
                         "pass NAME=PATH with letters, digits, '.', '_' or '-'")
    return name, versions


def served_versions(model_config, available):
    """The versions the model server loads under ``model_config``'s version policy."""
    policy = model_config.model_version_policy
    which = policy.WhichOneof("policy_choice")
    if which == "all":
        return sorted(available)
    if which == "specific":
        return sorted(policy.specific.versions)
    count = policy.latest.num_versions if which == "latest" else 1
    return sorted(available)[-max(count, 1):]


def _set_policy(entry, policy, versions):
    entry.ClearField("model_version_policy")
    if policy == "all":
        entry.model_version_policy.all.SetInParent()
    elif policy == "specific":
        entry.model_version_policy.specific.versions.extend(sorted(versions))
    elif policy.startswith("latest"):
        count = int(policy.partition(":")[2] or 1)
        entry.model_version_policy.latest.num_versions = count
    else:
        raise ValueError(f"policy {policy!r} is not one of 'specific', 'all', 'latest' or "
                         "'latest:N'")


def _check_policy(policy):
    if policy in ("specific", "all", "latest"):
        return
    head, _, count = policy.partition(":")
    if head != "latest" or not count.isdigit() or int(count) < 1:
        raise ValueError(f"--policy {policy!r} must be 'specific' (every packaged version), "
                         "'all', 'latest' or 'latest:N' with N >= 1")


def _default_labels(versions):
    versions = sorted(versions)
    if len(versions) == 1:
        return {"stable": versions[0]}
    return {"stable": versions[-2], "canary": versions[-1]}


def model_dirs(repo, config=None):
    """{model name: its directory in ``repo``} for every model in ``models.config``; a
    ``base_path`` that does not exist here (e.g. the container's ``/models/NAME``) maps to
    ``REPO/NAME``."""
    config = config or read_models_config(repo)
    out = {}
    for entry in config.model_config_list.config:
        base = entry.base_path
        out[entry.name] = base if os.path.isdir(base) and os.path.isabs(base) else \
            os.path.join(repo, os.path.basename(base.rstrip("/")))
    return out


def _copy_version(src, dst, model_name, requests):
    from ibtf.serving.warmup import write_warmup_log

    parent = os.path.dirname(dst)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".tmp-{os.path.basename(dst)}-", dir=parent)
    try:
        staged = os.path.join(tmp, "v")
        shutil.copytree(src, staged, ignore=shutil.ignore_patterns(".tmp-*"))
        if requests:
            write_warmup_log(staged, model_name, requests)
        os.rename(staged, dst)   # atomic: the server never sees a half-copied version
    except OSError as error:
        if os.path.exists(dst):
            raise FileExistsError(f"{dst!r} appeared while packaging; nothing was "
                                  "overwritten: package again") from error
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def package(exports, out, *, policy="specific", labels=None, base_path=DEFAULT_BASE_PATH):
    """Assembles (or extends) a TF Serving model repository at ``out``.

    Args:
      exports: export paths, ``BASE/NAME`` (every version) or ``BASE/NAME/VERSION``, each
        optionally prefixed ``SERVED_NAME=``; the model is served as ``NAME`` by default.
      out: the repository directory (created; existing models and versions are kept, a
        version that already exists is never overwritten).
      policy: the model version policy: ``"specific"`` (every packaged version),
        ``"all"``, ``"latest"`` or ``"latest:N"``.
      labels: {model: {label: version}}; default per model: ``stable`` = the newest version,
        or, with two or more versions, ``stable`` = the second newest and ``canary`` = the
        newest. Every label must point at a served version (TF Serving refuses others).
      base_path: where the server sees the repository; the default ``/models`` matches
        ``docker run -v REPO:/models tensorflow/serving``. Pass the absolute repository path
        to run ``tensorflow_model_server`` on this machine.

    Returns:
      {"repo", "config", "models": {name: {"versions", "added", "policy", "labels",
      "warmup": {version: [signatures]}, "no_warmup": {version: {signature: why}}}}}.
    """
    config_pb2 = _config_pb2()
    if isinstance(exports, str) or not exports:
        raise TypeError("exports must be a non-empty list of export paths")
    _check_policy(policy)
    labels = dict(labels or {})
    resolved = {}
    for arg in exports:
        name, versions = _resolve_export(arg)
        clash = set(resolved.get(name, {})) & set(versions)
        if clash:
            raise ValueError(f"model {name!r} gets version(s) {sorted(clash)} from two exports; "
                             "serve one under another name with NAME=PATH")
        resolved.setdefault(name, {}).update(versions)
    unknown = sorted(set(labels) - set(resolved))
    os.makedirs(out, exist_ok=True)
    config_path = os.path.join(out, MODELS_CONFIG)
    config = read_models_config(config_path) if os.path.isfile(config_path) else \
        config_pb2.ModelServerConfig()
    entries = {e.name: e for e in config.model_config_list.config}
    unknown = [m for m in unknown if m not in entries]
    if unknown:
        raise ValueError(f"labels name models {unknown} that are neither packaged now nor in "
                         f"{config_path!r}: use a model name from the exports")
    dirs = {name: os.path.join(out, name) for name in resolved}
    for name, versions in resolved.items():
        for version in versions:
            dst = os.path.join(dirs[name], str(version))
            if os.path.exists(dst):
                raise FileExistsError(f"{dst!r} exists; packaged versions are never "
                                      "overwritten: export a new version or package elsewhere")
        for version, src in versions.items():
            bad = custom_ops(src)
            if bad:
                raise ValueError(f"export {src!r} uses ops stock TF Serving lacks ({', '.join(bad)}"
                                 "; e.g. tensorflow_compression's range coder): package the "
                                 "codec's transforms export and entropy-code on the client")
    report = {"repo": out, "config": config_path, "models": {}}
    for name, versions in resolved.items():
        info = {"added": sorted(versions), "warmup": {}, "no_warmup": {}}
        for version, src in sorted(versions.items()):
            specs = signature_specs(src)
            if "serving_default" not in specs:
                raise ValueError(f"export {src!r} has no 'serving_default' signature, which TF "
                                 "Serving calls when a request names none: re-export with one")
            requests, missing = _warmup_requests(src, specs)
            _copy_version(src, os.path.join(dirs[name], str(version)), name, requests)
            info["warmup"][version] = sorted({sig for sig, _ in requests})
            if missing:
                info["no_warmup"][version] = missing
        report["models"][name] = info
    for name in sorted(set(resolved) | set(labels)):
        entry = entries.get(name)
        if entry is None:
            entry = config.model_config_list.config.add()
            entries[name] = entry
        entry.name = name
        entry.base_path = f"{base_path.rstrip('/')}/{name}" if base_path else \
            os.path.abspath(os.path.join(out, name))
        entry.model_platform = "tensorflow"
        available = list_versions(os.path.join(out, name))
        if name in resolved or not entry.HasField("model_version_policy"):
            _set_policy(entry, policy, available)
        served = served_versions(entry, available)
        chosen = labels.get(name) or (dict(entry.version_labels) if name not in resolved
                                      else _default_labels(served))
        for label, version in chosen.items():
            if not _LABEL.match(str(label)):
                raise ValueError(f"label {label!r} of model {name!r} must start with a letter "
                                 "and hold letters, digits, '_' or '-' (e.g. stable, canary)")
            if version not in served:
                raise ValueError(f"label {label}={version} of model {name!r} points at a version "
                                 f"that is not served (served: {served}); TF Serving refuses "
                                 "labels on unloaded versions: pick one of those")
        entry.ClearField("version_labels")
        for label, version in sorted(chosen.items()):
            entry.version_labels[label] = int(version)
        model = report["models"].setdefault(name, {"added": [], "warmup": {}, "no_warmup": {}})
        model.update(versions=available, served=served, labels=dict(entry.version_labels),
                     policy=entry.model_version_policy.WhichOneof("policy_choice"))
    write_models_config(config, config_path)
    return report


def _percentile(values, q):
    return float(np.percentile(values, q)) if len(values) else None


def check(repo, *, repeats=20, jobs=2, timeout=300):
    """Loads every served version of every model in a fresh process and replays its warm-up
    requests ``repeats`` times (after one untimed call).

    Returns:
      {"repo", "ok", "models": {name: {"ok", "p50_ms", "p99_ms", "requests",
      "versions": {version: worker report}}}}; a version fails when it does not load, has no
      warm-up request, a request does not run or an output is not finite.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats={repeats!r} must be a positive integer")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs={jobs!r} must be a positive integer")
    config = read_models_config(repo)
    entries = list(config.model_config_list.config)
    if not entries:
        raise ValueError(f"{repo!r}'s {MODELS_CONFIG} lists no models: package exports into it")
    dirs = model_dirs(repo, config)
    tasks, report = [], {"repo": repo, "ok": True, "models": {}}
    for entry in entries:
        available = list_versions(dirs[entry.name])
        served = served_versions(entry, available)
        model = report["models"][entry.name] = {"ok": True, "versions": {},
                                                "labels": dict(entry.version_labels)}
        for version in served:
            path = os.path.join(dirs[entry.name], str(version))
            if version not in available:
                model["versions"][version] = {"ok": False, "error": f"the policy serves "
                                              f"version {version} but {path!r} is missing"}
            else:
                tasks.append((entry.name, version, path))
        for label, version in entry.version_labels.items():
            if version not in served:
                model["versions"].setdefault(version, {"ok": False, "error": (
                    f"label {label!r} points at version {version}, which is not served")})
        if not served:
            model["versions"][0] = {"ok": False, "error": f"no version under {dirs[entry.name]!r}"}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    running = []

    def collect(item):
        name, version, proc = item
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            result = {"ok": False, "error": f"timed out after {timeout} s"}
        else:
            lines = stdout.strip().splitlines()
            try:
                result = json.loads(lines[-1])
            except (IndexError, json.JSONDecodeError):
                tail = (stderr.strip().splitlines() or ["no output"])[-1]
                result = {"ok": False, "error": f"the loader exited {proc.returncode}: {tail}"}
        report["models"][name]["versions"][version] = result

    for name, version, path in tasks:
        if len(running) >= jobs:
            collect(running.pop(0))
        # -P: the script's directory (ibtf/serving) is not put on sys.path, so nothing of
        # ibtf can be imported by accident; the loader sees what the model server sees.
        proc = subprocess.Popen([sys.executable, "-P", _REPLAY, path, str(repeats)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=os.path.dirname(path))
        running.append((name, version, proc))
    for item in running:
        collect(item)
    for model in report["models"].values():
        latencies = [ms for v in model["versions"].values() for ms in v.pop("latencies_ms", [])]
        model["ok"] = bool(model["versions"]) and all(v.get("ok") for v in
                                                      model["versions"].values())
        model["requests"] = sum(v.get("requests", 0) for v in model["versions"].values())
        model["p50_ms"] = _percentile(latencies, 50)
        model["p99_ms"] = _percentile(latencies, 99)
        report["ok"] = report["ok"] and model["ok"]
    report["checked_utc"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    return report
