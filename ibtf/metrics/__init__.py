"""ibtf.metrics: forecast skill (MAE, RMSE, MASE, CRPS, pinball loss, interval coverage)."""
from ibtf.metrics.forecast import (crps_normal, crps_quantiles, crps_samples, interval_coverage,
                                   mae, mase, pinball_loss, rmse)

__all__ = ["crps_normal", "crps_quantiles", "crps_samples", "interval_coverage", "mae", "mase",
           "pinball_loss", "rmse"]
