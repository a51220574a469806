import pytest

from ibtf._keras import tf
from ibtf.estimators._jit import resolve_jit_compile


def test_auto_follows_accelerators():
    has_accelerator = bool(tf.config.list_physical_devices("GPU")
                           or tf.config.list_physical_devices("TPU"))
    assert resolve_jit_compile("auto") is has_accelerator
    assert resolve_jit_compile() is has_accelerator


def test_explicit_bools_pass_through():
    assert resolve_jit_compile(True) is True
    assert resolve_jit_compile(False) is False


@pytest.mark.parametrize("bad", ["yes", 1, None, "AUTO"])
def test_rejects_other_values(bad):
    with pytest.raises(ValueError, match="jit_compile"):
        resolve_jit_compile(bad)
