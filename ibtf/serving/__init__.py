"""SavedModel export for TF Serving, a model repository (models.config, warm-up requests) and a
REST client for TF Serving's predict API."""
from ibtf.serving.client import predict, read_inputs_csv
from ibtf.serving.export import export, list_versions, resolve_export_dir
from ibtf.serving.inspect import describe_export
from ibtf.serving.repository import check, package, read_models_config, write_models_config
from ibtf.serving.warmup import read_warmup_requests, write_warmup_log, write_warmup_requests

__all__ = ["export", "list_versions", "resolve_export_dir", "describe_export",
           "write_warmup_requests", "write_warmup_log", "read_warmup_requests", "package",
           "check", "read_models_config", "write_models_config", "predict", "read_inputs_csv"]
