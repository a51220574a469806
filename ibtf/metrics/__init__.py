"""ibtf.metrics: forecast skill (MAE, RMSE, MASE, CRPS, pinball loss, interval coverage) and
image quality (PSNR, MS-SSIM, bits per pixel)."""
from ibtf.metrics.forecast import (crps_normal, crps_quantiles, crps_samples, interval_coverage,
                                   mae, mase, pinball_loss, rmse)
from ibtf.metrics.image import bpp, ms_ssim, psnr, psnr_from_mse

__all__ = ["bpp", "crps_normal", "crps_quantiles", "crps_samples", "interval_coverage", "mae",
           "mase", "ms_ssim", "pinball_loss", "psnr", "psnr_from_mse", "rmse"]
