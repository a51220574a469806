"""Tests of ibtf.models.codecs (not named `codecs`: a test package of that name would shadow the
standard library module under pytest's importlib import mode)."""
