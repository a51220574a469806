"""ibtf.layers."""
