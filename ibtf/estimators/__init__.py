"""ibtf.estimators."""
