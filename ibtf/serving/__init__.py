"""SavedModel export for TF Serving and inspection of exports."""
from ibtf.serving.export import export, list_versions, resolve_export_dir
from ibtf.serving.inspect import describe_export

__all__ = ["export", "list_versions", "resolve_export_dir", "describe_export"]
