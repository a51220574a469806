"""ibtf.models."""
