"""Reads an export's signatures: names, inputs and outputs with dtypes and shapes."""
from ibtf._keras import tf
from ibtf.serving.export import read_export_metadata, resolve_export_dir

__all__ = ["describe_export"]


def _spec(spec):
    shape = [None if d is None else int(d) for d in spec.shape.as_list()] \
        if spec.shape.rank is not None else None
    return {"dtype": spec.dtype.name, "shape": shape}


def describe_export(path):
    """Returns ``{"path", "metadata", "signatures": {name: {"inputs", "outputs"}}}``.

    Signatures are read with ``tf.saved_model.load``. tensorflow_compression is imported first
    when present, so codec exports that use its range-coding ops load too.
    """
    path = resolve_export_dir(path)
    try:
        import tensorflow_compression  # noqa: F401  (registers custom ops for codec exports)
    except ImportError:
        pass
    loaded = tf.saved_model.load(path)
    signatures = {}
    for key in sorted(loaded.signatures.keys()):
        fn = loaded.signatures[key]
        _, kwargs = fn.structured_input_signature
        signatures[key] = {
            "inputs": {k: _spec(v) for k, v in sorted(kwargs.items())},
            "outputs": {k: _spec(v) for k, v in sorted(fn.structured_outputs.items())},
        }
    metadata = read_export_metadata(path)
    return {"path": path, "metadata": metadata, "signatures": signatures}
