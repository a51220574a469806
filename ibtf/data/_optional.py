"""Optional data packages: import them on demand with an error that names the pip extra."""
import importlib

__all__ = ["require"]

# module name -> pip distribution name
_PIP_NAMES = {"astsa": "astsa", "statsmodels": "statsmodels", "vega_datasets": "vega_datasets",
              "tensorflow_datasets": "tensorflow-datasets"}


def require(module, purpose):
    """Imports `module` or raises ImportError naming the pip extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        pip = _PIP_NAMES.get(module, module)
        raise ImportError(f"{purpose} needs the optional package {pip!r}, which is not "
                          f"installed: pip install 'ibtf[data]' (or pip install {pip})") from error
