"""The per-seed table of the coherence benchmark prints each stored row as measured."""
import importlib.util
import os

# benchmarks/ is not an installed package: load the script by its path (CI runs from tox's env)
_PATH = os.path.join(os.path.dirname(__file__), os.pardir, "benchmarks", "multimodal_coherence.py")
_spec = importlib.util.spec_from_file_location("multimodal_coherence", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
per_seed_table = _module.per_seed_table


def _row(model, f, seed, base, iwll=-45.0):
    return {"model": model, "f": f, "seed": seed, "protocol": "multivae",
            "a_to_b_sample": base, "b_to_a_sample": base + 0.01, "joint": base + 0.02,
            "a_to_b_mean": base + 0.03, "b_to_a_mean": base + 0.04, "iwll": iwll,
            "steps_per_s": 10.25, "train_s": 600.0}


def test_per_seed_table_rows_and_filters():
    rows = [_row("Wyner", 1.0, 1, 0.5), _row("MMALI", 0.25, 2, 0.6, iwll=None),
            _row("MEME", 0.25, 0, 0.9)]
    lines = per_seed_table(rows, models=["Wyner", "MMALI"], fractions=[1.0, 0.25]).splitlines()
    assert len(lines) == 4
    assert lines[2] == ("| Wyner | 1 | 1 | 0.500 / 0.510 / 0.520 | 0.530 / 0.540 | -45.00 | "
                        "10.2 | 10.0 |")
    assert lines[3].startswith("| MMALI | 0.25 | 2 | 0.600 / 0.610 / 0.620 | 0.630 / 0.640 | - |")
    assert per_seed_table(rows, fractions=[0.5]).count("\n") == 1
