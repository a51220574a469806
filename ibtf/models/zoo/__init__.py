"""The model zoo: information-bottleneck systems from the literature, each with a check on data
whose answer is known (``registry``). Models live in theme packages beside this one."""
from ibtf.models.zoo.registry import CheckResult, ZooEntry, entries, get, register, run_check

__all__ = ["CheckResult", "ZooEntry", "entries", "get", "register", "run_check"]
