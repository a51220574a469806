"""Disentanglement and representation-learning models of the model zoo (issue 16).

Each model writes its objective out in ``train_step`` and registers a known-truth check in
:mod:`ibtf.models.disentangle.zoo_checks` (``ibtf zoo list`` / ``ibtf zoo check NAME``).
Models are imported lazily from their own modules (``factorvae``, ``infogan``, ``gwae``,
``strkm``, ...), so importing this package does not import TensorFlow.
"""
__all__ = []
