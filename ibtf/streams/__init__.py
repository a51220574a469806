"""ibtf.streams."""
