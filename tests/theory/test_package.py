"""Package surface: __all__ is complete and importable, docstrings cite and their examples run."""

import doctest
import importlib
import pkgutil

import pytest

import ibtf.theory

MODULES = [
    importlib.import_module(f"ibtf.theory.{m.name}")
    for m in pkgutil.iter_modules(ibtf.theory.__path__)
    if not m.name.startswith("_")
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_public_name_is_documented(module):
    for name in module.__all__:
        obj = getattr(module, name)
        if isinstance(obj, tuple):
            continue
        assert obj.__doc__ and len(obj.__doc__) > 40, f"{module.__name__}.{name} lacks a docstring"


def test_package_all_resolves():
    for name in ibtf.theory.__all__:
        assert hasattr(ibtf.theory, name), name
