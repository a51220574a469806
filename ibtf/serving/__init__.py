"""SavedModel export for TF Serving and inspection of exports."""
from ibtf.serving.export import export, list_versions, resolve_export_dir
from ibtf.serving.inspect import describe_export
from ibtf.serving.warmup import read_warmup_requests, write_warmup_requests

__all__ = ["export", "list_versions", "resolve_export_dir", "describe_export",
           "write_warmup_requests", "read_warmup_requests"]
