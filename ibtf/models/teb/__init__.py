"""Transfer Entropy Bottleneck forecasters (Kalajdzievski et al., TMLR 2023): the model
(``forecaster``), seed ensembles (``ensemble``), fitting and the transfer report (``fit``),
forecast plots (``plot``) and the TF Serving export (``export``)."""
from ibtf.models.teb.ensemble import TEBEnsemble
from ibtf.models.teb.export import export_teb, predict_export
from ibtf.models.teb.fit import (TEBFit, TransferReport, backtest, fit_teb, skill_table,
                                 transfer_report)
from ibtf.models.teb.forecaster import DISTRIBUTIONS, TEBForecaster
from ibtf.models.teb.plot import plot_forecast

__all__ = ["DISTRIBUTIONS", "TEBForecaster", "TEBEnsemble", "TEBFit", "TransferReport",
           "backtest", "fit_teb", "skill_table", "transfer_report", "export_teb", "predict_export",
           "plot_forecast"]
