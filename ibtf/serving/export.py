"""Atomic SavedModel export in TF Serving's layout: ``base_dir/name/<version>/``.

What is saved is a plain ``tf.Module`` that tracks the model's variables and carries the serving
signatures: no Keras metadata and no traced Keras call functions, so the export loads with
``tf.saved_model.load`` (or TF Serving) in a process that does not import ibtf, and avoids the
TFP-layer SavedModel failures (tfp #1266, #1350) that come from tracing Keras internals.
"""
import datetime
import json
import os
import re
import shutil
import tempfile

import numpy as np

from ibtf._keras import tf

__all__ = ["export", "list_versions", "resolve_export_dir", "read_export_metadata"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
METADATA_FILE = os.path.join("assets.extra", "ibtf_export.json")


def list_versions(model_dir):
    """Returns the integer versions present under ``model_dir`` (TF Serving's numeric dirs)."""
    if not os.path.isdir(model_dir):
        return []
    return sorted(int(d) for d in os.listdir(model_dir)
                  if d.isdigit() and os.path.isdir(os.path.join(model_dir, d)))


def resolve_export_dir(path):
    """Returns the version directory for ``path``: itself if it holds a SavedModel, else the
    newest numeric version under it. Raises FileNotFoundError naming the path otherwise."""
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return path
    versions = list_versions(path)
    if versions:
        return os.path.join(path, str(versions[-1]))
    raise FileNotFoundError(
        f"export dir {path!r} holds no saved_model.pb and no numeric version directories; "
        "pass BASE/NAME or BASE/NAME/VERSION as written by ibtf.serving.export")


def read_export_metadata(version_dir):
    """The export's ``assets.extra/ibtf_export.json`` as a dict ({} when it has none).

    Raises ValueError naming the file when it is not UTF-8 JSON holding an object."""
    path = os.path.join(version_dir, METADATA_FILE)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON ({' '.join(str(error).split())}): the export "
                         "is damaged; export the model again") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path} holds a JSON {type(meta).__name__}, not an object: the export "
                         "is damaged; export the model again")
    return meta


def _check_signatures(signatures):
    if not isinstance(signatures, dict) or not signatures:
        raise TypeError("signatures must be a non-empty dict {name: tf.function with an "
                        f"input_signature}}, got {type(signatures).__name__}")
    if "serving_default" not in signatures:
        raise ValueError(f"signatures has keys {sorted(signatures)} but no 'serving_default'; "
                         "TF Serving calls 'serving_default' when a request names none: add it")
    for key, fn in signatures.items():
        if isinstance(fn, tf.types.experimental.ConcreteFunction):
            continue
        if getattr(fn, "input_signature", None) is None:
            raise TypeError(f"signature {key!r} must be a tf.function with an input_signature "
                            "(named tf.TensorSpec inputs) or a ConcreteFunction; wrap it as "
                            "tf.function(fn, input_signature=[tf.TensorSpec(..., name=...)])")


def _warmup_requests(warmup_inputs, signatures):
    """[(signature, {input: array})] from either accepted form of ``warmup_inputs``."""
    if not isinstance(warmup_inputs, dict) or not warmup_inputs:
        raise TypeError("warmup_inputs must be a non-empty dict {input: array} for "
                        "serving_default or {signature: {input: array}}")
    if all(isinstance(v, dict) for v in warmup_inputs.values()):
        unknown = sorted(set(warmup_inputs) - set(signatures))
        if unknown:
            raise ValueError(f"warmup_inputs names signatures {unknown} that the export lacks; "
                             f"pick from {sorted(signatures)}")
        items = list(warmup_inputs.items())
    else:
        items = [("serving_default", warmup_inputs)]
    out = []
    for key, inputs in items:
        dtypes = _input_dtypes(signatures[key])
        out.append((key, {k: np.asarray(v, dtypes.get(k, np.float32)) for k, v in
                          inputs.items()}))
    return out


def _short(error):
    """One line from a TensorFlow error: its last informative line, without node traces."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip() and not
             line.strip().startswith(("Graph execution error", "Detected at node", "[[", "File",
                                      "Traceback"))]
    return (lines[-1] if lines else type(error).__name__)[:300]


def _input_dtypes(fn):
    """{input name: numpy dtype} of a signature (tf.function or ConcreteFunction)."""
    specs = getattr(fn, "input_signature", None)
    if specs is None and isinstance(fn, tf.types.experimental.ConcreteFunction):
        specs = list(fn.structured_input_signature[1].values())
    return {spec.name: spec.dtype.as_numpy_dtype for spec in tf.nest.flatten(specs or [])
            if getattr(spec, "name", None)}


def export(model, base_dir, name, *, signatures=None, version=None, metadata=None,
           warmup_inputs=None):
    """Writes a SavedModel to ``base_dir/name/<version>/`` atomically and returns that path.

    The export is written to a hidden temporary directory beside its destination and renamed
    into place, so TF Serving (which watches numeric directories) never sees a partial export.
    An existing version is never overwritten.

    Args:
      model: a Keras model or ``tf.Module`` whose variables the signatures use. If
        ``signatures`` is None, ``model.serving_signatures()`` supplies them.
      base_dir: the directory holding exported models (e.g. ``saved_models``).
      name: the model's name, a directory under ``base_dir`` (letters, digits, ``._-``).
      signatures: dict of signature name -> ``tf.function`` with an ``input_signature`` of named
        float32 ``tf.TensorSpec``s, returning a dict of named outputs. Must include
        ``serving_default``.
      version: a positive integer; default: one past the newest existing version.
      metadata: optional JSON-serialisable dict stored in ``assets.extra/ibtf_export.json``.
      warmup_inputs: optional dict of input name -> small example batch for
        ``serving_default``, or dict of signature name -> such a dict (one request per
        signature); written as TF Serving warm-up requests (needs the ``serving`` extra).
        Each request is run once here first, so a bad example fails the export.

    Returns:
      The path of the new version directory; None on a multi-worker non-chief task.

    Under ``MultiWorkerMirroredStrategy`` every worker must call ``export``: saving reads
    the sync-on-read variables (metrics) with a collective all-reduce that all workers join
    (a chief saving alone waits for the others until the heartbeat times out). The chief (see
    `ibtf.distribute.is_chief`) writes the export; the other workers save into a temporary
    directory that is removed, so only the chief writes exports.

    >>> path = export(model, "saved_models", "vib_digits")   # doctest: +SKIP
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name={name!r} is not a valid model name: use letters, digits, '.', "
                         "'_' or '-' (no path separators), e.g. 'teb_soi_rec'")
    if signatures is None:
        if not hasattr(model, "serving_signatures"):
            raise TypeError(f"{type(model).__name__} has no serving_signatures(); pass "
                            "signatures={'serving_default': tf.function(..., input_signature=...)}")
        signatures = model.serving_signatures()
    _check_signatures(signatures)

    root = tf.Module()
    root.model_variables = list(model.variables)
    for key, fn in signatures.items():
        setattr(root, f"signature_{key}", fn)
    from ibtf.distribute import is_chief
    if not is_chief():
        scratch = tempfile.mkdtemp(prefix=".ibtf-non-chief-")
        try:
            tf.saved_model.save(root, scratch, signatures=signatures)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return None

    model_dir = os.path.join(base_dir, name)
    os.makedirs(model_dir, exist_ok=True)
    existing = list_versions(model_dir)
    if version is None:
        version = (existing[-1] + 1) if existing else 1
    elif isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version={version!r} must be a positive integer (TF Serving reads "
                         "numeric version directories), or None for the next free version")
    final = os.path.join(model_dir, str(version))
    if os.path.exists(final):
        raise FileExistsError(f"version {version} already exists at {final!r}; exports are "
                              "never overwritten: pass another version or None for the next")

    tmp = tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=model_dir)
    try:
        tf.saved_model.save(root, tmp, signatures=signatures)
        import ibtf
        info = {"ibtf_version": ibtf.__version__, "tensorflow_version": tf.__version__,
                "model_class": type(model).__name__, "name": name, "version": version,
                "signatures": sorted(signatures),
                "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        info.update(metadata or {})
        os.makedirs(os.path.join(tmp, "assets.extra"), exist_ok=True)
        with open(os.path.join(tmp, METADATA_FILE), "w") as f:
            json.dump(info, f, indent=2, default=str)
        if warmup_inputs is not None:
            from ibtf.serving.warmup import write_warmup_log
            requests = _warmup_requests(warmup_inputs, signatures)
            saved = tf.saved_model.load(tmp)   # replay as the server will: by input name
            for key, inputs in requests:
                try:
                    saved.signatures[key](**{k: tf.convert_to_tensor(v)
                                             for k, v in inputs.items()})
                except (TypeError, ValueError, tf.errors.InvalidArgumentError) as error:
                    reason = _short(error)
                    raise ValueError(f"warmup_inputs do not fit {key} ({reason}); pass a dict "
                                     "of its input names to small example batches") from None
            write_warmup_log(tmp, name, requests)
        try:
            os.rename(tmp, final)
        except OSError as error:
            raise FileExistsError(f"version {version} appeared at {final!r} while exporting; "
                                  "nothing was overwritten: export again") from error
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
