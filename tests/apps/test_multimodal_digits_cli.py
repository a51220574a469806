"""The multimodal digits app as a command: quiet stderr, one-line errors, defaults in --help."""
import os
import re
import subprocess
import sys

APP = os.path.join(os.path.dirname(__file__), "..", "..", "apps", "multimodal_digits.py")


def _run(*args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "IBTF_TF_LOG_LEVEL")}
    return subprocess.run([sys.executable, APP, *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_bad_input_is_one_line_on_stderr_with_exit_status_2_and_no_tensorflow_lines():
    proc = _run("--paired-fraction", "1.5")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:") and "paired_fraction=1.5" in lines[0]


def test_help_shows_every_default():
    proc = _run("--help")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    options = proc.stdout.split("options:", 1)[1]
    entries = {}
    for entry in re.split(r"\n(?=  -)", options):
        names = re.findall(r"--[a-z-]+", entry.split("\n")[0])
        if names:
            entries[names[0]] = " ".join(entry.split())
    assert len(entries) >= 11
    for option, entry in entries.items():
        if option != "--help":
            assert "(default: " in entry, entry
