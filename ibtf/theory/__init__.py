"""ibtf.theory."""
