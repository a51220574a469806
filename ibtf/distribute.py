"""tf.distribute for every trainer: one argument, ``strategy="default"|"mirrored"|"multiworker"``.

Synchronous data parallelism: each replica computes the gradient of its share of the global
batch and the replicas all-reduce (sum) the per-replica gradients of the per-replica mean loss
divided by the number of replicas, so a step equals the single-device step on the whole batch
(Goyal et al. 2017, "Accurate, Large Minibatch SGD"; Keras scales the loss this way inside
``fit``). The batch size a trainer is given is the GLOBAL batch: it is split across replicas,
never multiplied.

* ``default``: TensorFlow's default strategy (one device, no distribution).
* ``mirrored``: ``tf.distribute.MirroredStrategy`` over the local GPUs, else over the logical
  CPUs the process was configured with (``tf.config.set_logical_device_configuration``).
* ``multiworker``: ``tf.distribute.MultiWorkerMirroredStrategy``; the cluster and this task
  come from the ``TF_CONFIG`` environment variable, e.g.
  ``{"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]}, "task": {"type": "worker",
  "index": 0}}``. Every worker runs the same command; only the chief (task "chief", or
  worker 0 when the cluster has no chief) writes exports and results.

>>> strategy = get_strategy("mirrored")                     # doctest: +SKIP
>>> with strategy.scope():                                  # doctest: +SKIP
...     model = VIBClassifier(num_classes=10); model.compile()
"""
import json
import os

__all__ = ["STRATEGIES", "get_strategy", "check_strategy", "is_chief", "tf_config",
           "replicas"]

STRATEGIES = ("default", "mirrored", "multiworker")


def check_strategy(name):
    """Validates a strategy name (before TensorFlow is imported, for the CLIs)."""
    if name not in STRATEGIES:
        raise ValueError(f"strategy={name!r} is not one of {', '.join(STRATEGIES)}")
    if name == "multiworker":
        tf_config()
    return name


def tf_config():
    """The parsed ``TF_CONFIG`` ({} when unset). Raises ValueError when it is malformed."""
    raw = os.environ.get("TF_CONFIG", "")
    if not raw.strip():
        return {}
    try:
        config = json.loads(raw)
    except ValueError:
        raise ValueError("TF_CONFIG is not JSON: set it to {\"cluster\": {\"worker\": "
                         "[\"host:port\", ...]}, \"task\": {\"type\": \"worker\", \"index\": I}}"
                         ) from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster", {}), dict) or \
            not isinstance(config.get("task", {}), dict):
        raise ValueError("TF_CONFIG must be an object with a 'cluster' object and a 'task' "
                         "object ({\"type\": \"worker\", \"index\": I})")
    task = config.get("task", {})
    cluster = config.get("cluster", {})
    if task:
        kind, index = task.get("type"), task.get("index", 0)
        members = cluster.get(kind)
        if not isinstance(members, list) or not isinstance(index, int) or \
                not 0 <= index < len(members):
            raise ValueError(f"TF_CONFIG's task {task} is not in its cluster "
                             f"{ {k: len(v) for k, v in cluster.items() if isinstance(v, list)} }"
                             ": give a task type listed in the cluster and an index below its "
                             "size")
    return config


def get_strategy(name="default"):
    """Returns the ``tf.distribute.Strategy`` called ``name`` (see the module docstring); the
    same object on every call in a process, for the same devices or TF_CONFIG."""
    check_strategy(name)
    from ibtf._keras import tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        key = ("mirrored", tuple(d.name for d in (gpus or tf.config.list_logical_devices("CPU"))))
    else:
        if not tf_config():
            raise ValueError("strategy='multiworker' needs TF_CONFIG (the cluster's workers "
                             "and this task); set it, or use 'mirrored' on one machine")
        key = ("multiworker", os.environ["TF_CONFIG"])
    # One strategy object per process and device set: every strategy numbers its collective
    # instances from the same start, and the runtime caches an instance's shape, so a second
    # MirroredStrategy over the same devices met the first one's all-reduce shapes ("Shape
    # mismatch in the collective instance 100"). MultiWorkerMirroredStrategy may be created
    # only once per process anyway.
    if key not in _STRATEGIES:
        _STRATEGIES[key] = tf.distribute.MirroredStrategy(list(key[1])) \
            if name == "mirrored" else tf.distribute.MultiWorkerMirroredStrategy()
    return _STRATEGIES[key]


_STRATEGIES = {}


def is_chief():
    """True on the task that writes exports and results: always without a ``TF_CONFIG`` task;
    in a cluster, the "chief" task, or worker 0 when the cluster has no chief."""
    config = tf_config()
    task = config.get("task") or {}
    if not task:
        return True
    if "chief" in config.get("cluster", {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and task.get("index", 0) == 0


def replicas(strategy):
    """The number of replicas that share one global batch."""
    return int(strategy.num_replicas_in_sync)
