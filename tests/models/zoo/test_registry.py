import json
import subprocess
import sys

import pytest

from ibtf.models.zoo import registry


@pytest.fixture
def toy_entry():
    name = "toy_known_truth"

    @registry.register(name, paper="none", check="value 0.5 within 0.1 of 0.5")
    def run(quick, seed):
        return 0.5 + (0.0 if quick else 0.2), 0.5, 0.1

    yield name
    registry._REGISTRY.pop(name)


def test_run_check_passes_and_fails_by_tolerance(toy_entry):
    assert registry.run_check(toy_entry, quick=True).passed
    assert not registry.run_check(toy_entry, quick=False).passed


def test_result_has_the_documented_fields(toy_entry):
    result = registry.run_check(toy_entry, quick=True).as_dict()
    assert set(result) == {"model", "check", "value", "truth", "tolerance", "passed", "seconds"}


def test_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="ibtf zoo list"):
        registry.get("no_such_model")


def test_cli_unknown_name_exits_2_with_one_line():
    proc = subprocess.run([sys.executable, "-m", "ibtf.cli.main", "zoo", "check", "nope"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "nope" in proc.stderr


def test_cli_list_prints_json_lines():
    proc = subprocess.run([sys.executable, "-m", "ibtf.cli.main", "zoo", "list"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for line in proc.stdout.splitlines():
        assert {"name", "paper", "check"} <= set(json.loads(line))
