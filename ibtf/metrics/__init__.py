"""ibtf.metrics."""
