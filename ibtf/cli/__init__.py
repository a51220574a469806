"""ibtf.cli: the ``ibtf`` command.

TensorFlow's C++ logging is silenced here, before any subcommand can import TensorFlow: its
start-up lines (cuDNN/cuFFT factory registration, CPU feature notes) are logged at ERROR level,
so only level 3 hides them. Its Python logger ("tensorflow": retracing notes, deprecation
warnings) is set to ERROR before TensorFlow creates it. Set ``IBTF_TF_LOG_LEVEL`` (0-3) to see
them again.
"""
import logging
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = os.environ.get("IBTF_TF_LOG_LEVEL", "3")
if os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3":
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
