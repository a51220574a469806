"""A figure of a TEB forecast: history, forecast mean, a quantile band, transfer per step."""
import numpy as np

__all__ = ["plot_forecast"]


def plot_forecast(path, times, observed, mean, lower, upper, transfer, *, title="",
                  band_label="80% band", forecast_times=None, forecast_mean=None,
                  forecast_lower=None, forecast_upper=None, transfer_label="transfer (nats)"):
    """Writes a two-panel PNG.

    Top: the observed target and the one-step-ahead forecast mean with its quantile band at
    each time; optionally a multi-step forecast past the end. Bottom: the information the
    source transfers at each time (nats), with a zero line.

    Args:
      path: the PNG to write. times: [N] x values. observed, mean, lower, upper, transfer: [N].
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1.4]})
    top.plot(times, observed, color="black", lw=1.0, label="observed")
    top.plot(times, mean, color="tab:blue", lw=1.2, label="TEB forecast mean (1 step)")
    top.fill_between(times, lower, upper, color="tab:blue", alpha=0.25, label=band_label)
    if forecast_times is not None:
        top.plot(forecast_times, forecast_mean, color="tab:red", lw=1.5, marker="o", ms=3,
                 label="forecast past the data")
        top.fill_between(forecast_times, forecast_lower, forecast_upper, color="tab:red",
                         alpha=0.2)
    top.legend(loc="upper left", fontsize=8)
    top.set_title(title)
    bottom.bar(times, transfer, width=np.median(np.diff(times)) if len(times) > 1 else 1.0,
               color=np.where(np.asarray(transfer) >= 0, "tab:green", "tab:gray"))
    bottom.axhline(0.0, color="black", lw=0.8)
    bottom.set_ylabel(transfer_label)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
