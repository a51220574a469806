"""ibtf.metrics: forecast skill (MAE, RMSE, MASE, CRPS, pinball loss, interval coverage)."""
from ibtf.metrics.forecast import (crps_normal, crps_quantiles, crps_samples, interval_coverage,
                                   mae, mase, pinball_loss, rmse)

__all__ = ["crps_normal", "crps_quantiles", "crps_samples", "interval_coverage", "mae", "mase",
           "pinball_loss", "rmse"]
from ibtf.metrics.coherence import *  # noqa: E402,F401,F403
from ibtf.metrics.coherence import __all__ as _coherence_all  # noqa: E402
__all__ += _coherence_all
