import pytest

from ibtf.xla import accelerator_visible, resolve_jit_compile


def test_auto_means_xla_only_on_accelerators():
    assert resolve_jit_compile("auto") == accelerator_visible()
    assert resolve_jit_compile(True) is True and resolve_jit_compile(False) is False
    with pytest.raises(ValueError, match="'auto'"):
        resolve_jit_compile("yes")
