"""Rate reduction (MCR^2) and CTRL's closed-loop transcription."""
from ibtf.models.ratereduction.ctrl import CTRL
from ibtf.models.ratereduction.rate import coding_rate, pairwise_rate_reduction, rate_reduction

__all__ = ["CTRL", "coding_rate", "pairwise_rate_reduction", "rate_reduction"]
