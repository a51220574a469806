"""One trainer for the models trained with Keras' ``fit`` (VIB, CEB, the multimodal VAEs, the
zoo): a tf.distribute strategy, kill-and-resume checkpoints and the non-finite-loss guard,
with the same three arguments as `ibtf.models.teb.fit.fit_teb` and
`ibtf.models.codecs.pipeline.train_codec`.

    model, history = fit_model(lambda: VIBClassifier(num_classes=10, seed=0), x, y,
                               strategy="mirrored", checkpoint_dir="ck", batch_size=100)

``build`` is called inside ``strategy.scope()`` (variables must be created there to be
mirrored) and returns a model, compiled or not (an uncompiled one gets ``compile()``'s
defaults). ``batch_size`` is the global batch: split across replicas, never multiplied
(`ibtf.distribute`). With ``checkpoint_dir`` a SIGKILLed run rerun with the same arguments
continues from the last checkpoint (`ibtf.resume.resumable`); the guard stops at the first NaN
or Inf loss with the last good weights and a `ibtf.resume.NonFiniteLossError` naming the step.
"""
from ibtf.distribute import check_strategy, get_strategy
from ibtf.resume import check_checkpoint_dir, training_callbacks

__all__ = ["fit_model"]


def fit_model(build, x=None, y=None, *, strategy="default", checkpoint_dir=None,
              checkpoint_every=None, guard=True, callbacks=(), **fit_kwargs):
    """Builds a model under ``strategy`` and fits it; returns ``(model, history)``.

    Args:
      build: a callable with no arguments returning the (compiled or uncompiled) model (not
        a model: it must be created inside the strategy's scope).
      x, y: the training data, as for ``keras.Model.fit``.
      strategy: "default", "mirrored" or "multiworker" (`ibtf.distribute.get_strategy`).
      checkpoint_dir: a directory for resumable checkpoints (None: no checkpoints).
      checkpoint_every: checkpoint every this many steps (None: every epoch).
      guard: stop at a non-finite loss, restoring the last good weights.
      callbacks: more Keras callbacks.
      **fit_kwargs: passed to ``fit`` (``epochs``, ``batch_size``, ``verbose``, ...).
    """
    from ibtf._keras import keras
    if isinstance(build, keras.layers.Layer) or not callable(build):
        raise TypeError(f"build must be a callable returning a model (e.g. lambda: "
                        f"VIBClassifier(num_classes=10)), got {type(build).__name__}")
    check_strategy(strategy)
    check_checkpoint_dir(checkpoint_dir)
    distribution = get_strategy(strategy)
    with distribution.scope():
        model = build()
        if getattr(model, "optimizer", None) is None:
            model.compile()
    history = model.fit(x, y, callbacks=[*training_callbacks(checkpoint_dir,
                                                             checkpoint_every, guard),
                                         *callbacks], **fit_kwargs)
    return model, history
