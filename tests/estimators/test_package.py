"""Package surface: __all__ resolves, public names are documented, docstring examples run."""
import doctest
import importlib
import pkgutil

import pytest

import ibtf.estimators

MODULES = [importlib.import_module(f"ibtf.estimators.{m.name}")
           for m in pkgutil.iter_modules(ibtf.estimators.__path__)]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_public_names_are_documented(module):
    for name in module.__all__:
        obj = getattr(module, name)
        if isinstance(obj, tuple):
            continue
        assert obj.__doc__ and len(obj.__doc__) > 40, f"{module.__name__}.{name} lacks a docstring"


def test_package_all_resolves_without_duplicates():
    names = ibtf.estimators.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(ibtf.estimators, name), name
