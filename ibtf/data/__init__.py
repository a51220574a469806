"""ibtf.data."""
