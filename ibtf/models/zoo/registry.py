"""The registry behind ``ibtf zoo list`` and ``ibtf zoo check NAME [--quick]``.

Each entry names a model, its paper, and a check: a function ``check(quick, seed)`` that trains
the model on data whose answer is known and returns ``(value, truth, tolerance)``. The check
passes when ``|value - truth| <= tolerance``; a one-sided target is written with the ideal as
the truth (a purity target of >= 0.95 is ``truth=1.0, tolerance=0.05``). ``quick`` must finish
within 90 seconds on 2 CPU cores and still mean something; the full check is a benchmark.

Entries register lazily: every theme package under ``ibtf.models`` (``disentangle/``,
``fair/``, ...) that has a ``zoo_checks`` module registers its entries there, and those modules
are imported (with TensorFlow) only when the registry is first asked.
"""
import dataclasses
import importlib
import importlib.util
import pkgutil
import time

__all__ = ["ZooEntry", "CheckResult", "register", "entries", "get", "run_check"]

_REGISTRY = {}
_CHECKS_MODULE = "zoo_checks"


@dataclasses.dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo and its known-truth check.

    Attributes:
      name: the registry key (lower case, e.g. "factorvae").
      paper: the citation ("Kim & Mnih 2018, Disentangling by Factorising").
      check: one line saying what is checked against what, and the pass rule.
      run: ``run(quick: bool, seed: int) -> (value, truth, tolerance)``.
      model: the Keras model class's import path ("ibtf.models.disentangle.FactorVAE").
    """
    name: str
    paper: str
    check: str
    run: object
    model: str = ""

    def describe(self):
        return {"name": self.name, "model": self.model, "paper": self.paper, "check": self.check}


@dataclasses.dataclass(frozen=True)
class CheckResult:
    model: str
    check: str
    value: float
    truth: float
    tolerance: float
    passed: bool
    seconds: float

    def as_dict(self):
        return dataclasses.asdict(self)


def register(name, *, paper, check, model=""):
    """Decorator: registers ``run(quick, seed) -> (value, truth, tolerance)`` under `name`."""
    def decorate(run):
        if name in _REGISTRY and _REGISTRY[name].run is not run:
            raise ValueError(f"zoo entry {name!r} is registered twice")
        _REGISTRY[name] = ZooEntry(name=name, paper=paper, check=check, run=run, model=model)
        return run
    return decorate


def _load():
    import ibtf.models
    for info in pkgutil.iter_modules(ibtf.models.__path__, "ibtf.models."):
        if info.ispkg and importlib.util.find_spec(f"{info.name}.{_CHECKS_MODULE}"):
            importlib.import_module(f"{info.name}.{_CHECKS_MODULE}")


def entries():
    """All entries, sorted by name."""
    _load()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def get(name):
    """The entry called `name`; a clear ValueError listing the names otherwise."""
    _load()
    if name not in _REGISTRY:
        raise ValueError(f"zoo model {name!r} is unknown; `ibtf zoo list` shows the names: "
                         f"{', '.join(sorted(_REGISTRY)) or '(none registered)'}")
    return _REGISTRY[name]


def run_check(name, *, quick=False, seed=0):
    """Runs the entry's check and returns a `CheckResult`."""
    entry = get(name)
    start = time.perf_counter()
    value, truth, tolerance = entry.run(quick=quick, seed=seed)
    value, truth, tolerance = float(value), float(truth), float(tolerance)
    return CheckResult(model=entry.name, check=entry.check, value=value, truth=truth,
                       tolerance=tolerance, passed=bool(abs(value - truth) <= tolerance),
                       seconds=round(time.perf_counter() - start, 2))
