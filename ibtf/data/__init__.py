"""ibtf.data: real paired series shipped in packages, and synthetic pairs with known truth.

The real sets need the ``data`` extra (``pip install 'ibtf[data]'``: astsa, statsmodels,
vega_datasets); they are read from the installed packages at run time.
"""
from ibtf.data.catalogue import DatasetInfo, list_datasets, load_dataset
from ibtf.data.packaged import (load_interest_inflation, load_lap, load_lead_sales,
                                load_macro_consumption, load_seattle_weather,
                                load_sf_seattle_temps, load_soi_rec)
from ibtf.data.synthetic import CoupledAR, coupled_ar

__all__ = ["CoupledAR", "DatasetInfo", "coupled_ar", "list_datasets", "load_dataset",
           "load_interest_inflation", "load_lap", "load_lead_sales", "load_macro_consumption",
           "load_seattle_weather", "load_sf_seattle_temps", "load_soi_rec"]
from ibtf.data.multimodal import *  # noqa: E402,F401,F403
from ibtf.data.multimodal import __all__ as _multimodal_all  # noqa: E402
__all__ += _multimodal_all
from ibtf.data.tfds_mnist_svhn import load_mnist_svhn, pair_by_label  # noqa: E402
__all__ += ["load_mnist_svhn", "pair_by_label"]
