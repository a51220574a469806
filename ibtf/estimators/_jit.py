"""Which XLA policy a training step runs under (tiny on purpose: a shared helper replaces it).

ibtf's policy (DESIGN.md, "XLA"): ``jit_compile="auto"`` means XLA on an accelerator and plain
graph execution on CPU, where TF 2.14's XLA measured slower.
"""
from ibtf._keras import tf

__all__ = ["resolve_jit_compile"]


def resolve_jit_compile(jit_compile="auto"):
    """Turns a ``jit_compile`` argument into the bool ``tf.function`` takes.

    Args:
      jit_compile: ``"auto"`` (XLA only when a GPU or TPU is visible), ``True`` or ``False``.

    Returns:
      bool: whether to compile the step with XLA.

    Raises:
      ValueError: if ``jit_compile`` is none of ``"auto"``, ``True``, ``False``.
    """
    if isinstance(jit_compile, bool):
        return jit_compile
    if jit_compile == "auto":
        return bool(tf.config.list_physical_devices("GPU") or tf.config.list_physical_devices("TPU"))
    raise ValueError(
        f"jit_compile must be 'auto', True or False, got {jit_compile!r}; pass 'auto' to use XLA "
        "only on accelerators."
    )
