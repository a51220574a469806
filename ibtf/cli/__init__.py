"""ibtf.cli."""
