"""ibtf.serving."""
