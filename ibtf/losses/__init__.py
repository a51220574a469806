"""ibtf.losses."""
