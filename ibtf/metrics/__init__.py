"""ibtf.metrics: forecast skill (MAE, RMSE, MASE, CRPS, pinball loss, interval coverage), image
quality (PSNR, MS-SSIM, bits per pixel) and multimodal coherence."""
from ibtf.metrics.coherence import (cross_coherence, importance_weighted_log_likelihood,
                                    joint_coherence, latent_probe_accuracy, unimodal_classifier)
from ibtf.metrics.forecast import (crps_normal, crps_quantiles, crps_samples, interval_coverage,
                                   mae, mase, pinball_loss, rmse)
from ibtf.metrics.image import bpp, ms_ssim, psnr, psnr_from_mse

__all__ = ["bpp", "crps_normal", "crps_quantiles", "crps_samples", "interval_coverage", "mae",
           "mase", "ms_ssim", "pinball_loss", "psnr", "psnr_from_mse", "rmse",
           "cross_coherence", "joint_coherence", "latent_probe_accuracy",
           "importance_weighted_log_likelihood", "unimodal_classifier"]
